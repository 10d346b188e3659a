//! PartnerService: CreatePartnerClient, GetPartnerClient, ListPartnerClients,
//! UpdatePartnerClient and RevokePartnerClient.

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::ids::opt_id;
use crate::grpc::partners::input::{full_spec, required_id, update_in};
use crate::grpc::partners::partner_view;
use crate::grpc::sealed::{open, seal};
use crate::grpc::{Api, Caller, R, owned_actor, page, record};
use crate::repo::partners::PartnerStatus;

/// The pages of ListPartnerClients.
const CLIENTS: Paging = Paging::new("partner_clients", 50, 200);

/// CreatePartnerClient: the secret is in the reply once (sealed in the stored reply, so a
/// retry with the same key returns it again).
#[tracing::instrument(skip_all, fields(client_id))]
pub(super) async fn create(
    api: &Api,
    request: Request<pb::CreatePartnerClientRequest>,
) -> R<pb::CreatePartnerClientResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_on_root(&caller.ctx).await?;
    let client = request.get_ref().client.as_ref();
    let spec = full_spec(client.ok_or_else(|| AppError::invalid("client", "is required"))?)?;
    let (app, tenant, actor) = (Arc::clone(&api.app), caller.tenant(), owned_actor(&caller));
    let reply = api
        .mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (row, secret) = app
                    .create_partner(txn, tenant, (&actor.0, &actor.1), spec)
                    .await?;
                Ok(pb::CreatePartnerClientResponse {
                    client: Some(partner_view(&row)),
                    client_secret: seal(&app, &secret)?,
                })
            })
        })
        .await?
        .into_inner();
    record(
        "client_id",
        reply.client.as_ref().map_or("", |c| &c.client_id),
    );
    Ok(Response::new(pb::CreatePartnerClientResponse {
        client_secret: open(&api.app, &reply.client_secret)?,
        ..reply
    }))
}

/// GetPartnerClient: a partner reads itself; staff read the tenant's clients.
#[tracing::instrument(skip_all, fields(client_id))]
pub(super) async fn get(
    api: &Api,
    request: Request<pb::GetPartnerClientRequest>,
) -> R<pb::GetPartnerClientResponse> {
    let caller = Caller::of(&request)?;
    let named = opt_id("client_id", &request.get_ref().client_id)?.map(|id| id.to_string());
    let row = api.app.partner_for(&caller.ctx, named.as_deref()).await?;
    record("client_id", &row.client_id);
    Ok(Response::new(pb::GetPartnerClientResponse {
        client: Some(partner_view(&row)),
    }))
}

/// ListPartnerClients, optionally by status.
#[tracing::instrument(skip_all)]
pub(super) async fn list(
    api: &Api,
    request: Request<pb::ListPartnerClientsRequest>,
) -> R<pb::ListPartnerClientsResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_on_root(&caller.ctx).await?;
    let req = request.get_ref();
    let status = match pb::PartnerClientStatus::try_from(req.status) {
        Ok(pb::PartnerClientStatus::Unspecified) => None,
        Ok(pb::PartnerClientStatus::Active) => Some(PartnerStatus::Active),
        Ok(pb::PartnerClientStatus::Revoked) => Some(PartnerStatus::Revoked),
        Err(_) => return Err(AppError::invalid("status", "is not a known status").into()),
    };
    let rows = api.app.partners(caller.tenant(), status).await?;
    let (rows, page) = page(&CLIENTS, rows, req.page.as_ref())?;
    Ok(Response::new(pb::ListPartnerClientsResponse {
        clients: rows.iter().map(partner_view).collect(),
        page: Some(page),
    }))
}

/// UpdatePartnerClient under an etag, by update mask (optionally revoking issued tokens).
#[tracing::instrument(skip_all, fields(client_id))]
pub(super) async fn update(
    api: &Api,
    request: Request<pb::UpdatePartnerClientRequest>,
) -> R<pb::UpdatePartnerClientResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_on_root(&caller.ctx).await?;
    let change = update_in(request.get_ref())?;
    record("client_id", &change.id);
    let (app, tenant, actor) = (Arc::clone(&api.app), caller.tenant(), owned_actor(&caller));
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let row = app
                    .update_partner(
                        txn,
                        tenant,
                        (&actor.0, &actor.1),
                        &change.id,
                        &change.etag,
                        change.spec,
                        change.revoke_tokens,
                    )
                    .await?;
                Ok(pb::UpdatePartnerClientResponse {
                    client: Some(partner_view(&row)),
                })
            })
        })
        .await
}

/// RevokePartnerClient: the client and every token it holds.
#[tracing::instrument(skip_all, fields(client_id))]
pub(super) async fn revoke(
    api: &Api,
    request: Request<pb::RevokePartnerClientRequest>,
) -> R<pb::RevokePartnerClientResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_on_root(&caller.ctx).await?;
    let req = request.get_ref();
    let id = required_id(&req.client_id, "client_id")?;
    record("client_id", &id);
    if req.reason.chars().count() > 256 {
        return Err(AppError::invalid("reason", "must be at most 256 characters").into());
    }
    let reason = req.reason.clone();
    let (app, tenant, actor) = (Arc::clone(&api.app), caller.tenant(), owned_actor(&caller));
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let row = app
                    .revoke_partner(txn, tenant, (&actor.0, &actor.1), &id, &reason)
                    .await?;
                Ok(pb::RevokePartnerClientResponse {
                    client: Some(partner_view(&row)),
                })
            })
        })
        .await
}
