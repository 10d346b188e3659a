//! PartnerService: RotatePartnerClientSecret.

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::partners::input::required_id;
use crate::grpc::partners::partner_view;
use crate::grpc::sealed::{open, seal};
use crate::grpc::{Api, Caller, R, owned_actor, record};

/// RotatePartnerClientSecret: the new secret is in the reply once (sealed in the stored
/// reply); the previous one keeps working for the grace period.
#[tracing::instrument(skip_all, fields(client_id))]
pub(super) async fn rotate(
    api: &Api,
    request: Request<pb::RotatePartnerClientSecretRequest>,
) -> R<pb::RotatePartnerClientSecretResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_on_root(&caller.ctx).await?;
    let req = request.get_ref();
    let id = required_id(&req.client_id, "client_id")?;
    record("client_id", &id);
    if !(0..=604_800).contains(&req.previous_secret_grace_seconds) {
        return Err(AppError::invalid("previous_secret_grace_seconds", "must be 0..604800").into());
    }
    let grace = i64::from(req.previous_secret_grace_seconds);
    let (app, tenant, actor) = (Arc::clone(&api.app), caller.tenant(), owned_actor(&caller));
    let reply = api
        .mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (row, secret) = app
                    .rotate_partner_secret(txn, tenant, (&actor.0, &actor.1), &id, grace)
                    .await?;
                Ok(pb::RotatePartnerClientSecretResponse {
                    client: Some(partner_view(&row)),
                    client_secret: seal(&app, &secret)?,
                })
            })
        })
        .await?
        .into_inner();
    Ok(Response::new(pb::RotatePartnerClientSecretResponse {
        client_secret: open(&api.app, &reply.client_secret)?,
        ..reply
    }))
}
