//! PartnerService: CreatePartnerClient, GetPartnerClient, ListPartnerClients,
//! UpdatePartnerClient and RevokePartnerClient.

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::paging::page;
use crate::grpc::partners::input::{full_spec, masked_spec, required_id};
use crate::grpc::partners::partner_view;
use crate::grpc::sealed::{open, seal};
use crate::grpc::{Caller, PartnerApi, owned_actor};

impl PartnerApi {
    /// CreatePartnerClient: the secret is in the reply once (sealed in the stored reply).
    pub(super) async fn create_partner_client_rpc(
        &self,
        request: Request<pb::CreatePartnerClientRequest>,
    ) -> Result<pb::CreatePartnerClientResponse, Status> {
        let caller = Caller::of(&request)?;
        self.admin(&caller).await?;
        let client = request
            .get_ref()
            .client
            .as_ref()
            .ok_or_else(|| AppError::invalid("client", "is required"))?;
        let spec = full_spec(client)?;
        let (tenant, actor) = (caller.tenant(), owned_actor(&caller));
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "CreatePartnerClient",
                move |app, txn| {
                    Box::pin(async move {
                        let (row, secret) = app
                            .create_partner(txn, &tenant, (&actor.0, &actor.1), spec)
                            .await?;
                        Ok(pb::CreatePartnerClientResponse {
                            client: Some(partner_view(&row)),
                            client_secret: seal(&app, &secret)?,
                        })
                    })
                },
            )
            .await?;
        Ok(pb::CreatePartnerClientResponse {
            client_secret: open(self, &reply.client_secret)?,
            ..reply
        })
    }

    /// GetPartnerClient.
    pub(super) async fn get_partner_client_rpc(
        &self,
        request: Request<pb::GetPartnerClientRequest>,
    ) -> Result<pb::GetPartnerClientResponse, Status> {
        let caller = Caller::of(&request)?;
        let named = &request.get_ref().client_id;
        let id = if caller.ctx.principal.kind == PrincipalKind::Partner {
            // A partner reads itself only; another client's id is nobody's business.
            let own = &caller.ctx.principal.subject;
            if named.is_empty() {
                own.clone()
            } else if required_id(named, "client_id")? == *own {
                own.clone()
            } else {
                return Err(AppError::NotFound("PARTNER_CLIENT_NOT_FOUND").into());
            }
        } else {
            self.require_root_role(&caller).await?;
            required_id(named, "client_id")?
        };
        let row = self
            .app
            .partner(&self.app.db, &caller.tenant(), &id)
            .await?;
        Ok(pb::GetPartnerClientResponse {
            client: Some(partner_view(&row)),
        })
    }

    /// ListPartnerClients.
    pub(super) async fn list_partner_clients_rpc(
        &self,
        request: Request<pb::ListPartnerClientsRequest>,
    ) -> Result<pb::ListPartnerClientsResponse, Status> {
        let caller = Caller::of(&request)?;
        self.require_root_role(&caller).await?;
        let req = request.get_ref();
        let status = match pb::PartnerClientStatus::try_from(req.status) {
            Ok(pb::PartnerClientStatus::Unspecified) => None,
            Ok(pb::PartnerClientStatus::Active) => Some("ACTIVE"),
            Ok(pb::PartnerClientStatus::Revoked) => Some("REVOKED"),
            Err(_) => return Err(AppError::invalid("status", "is not a known status").into()),
        };
        let rows = self.app.partners(&caller.tenant(), status).await?;
        let (rows, page) = page("partner_clients", rows, req.page.as_ref(), 200)?;
        Ok(pb::ListPartnerClientsResponse {
            clients: rows.iter().map(partner_view).collect(),
            page: Some(page),
        })
    }

    /// UpdatePartnerClient under an etag, by update mask.
    pub(super) async fn update_partner_client_rpc(
        &self,
        request: Request<pb::UpdatePartnerClientRequest>,
    ) -> Result<pb::UpdatePartnerClientResponse, Status> {
        let caller = Caller::of(&request)?;
        self.admin(&caller).await?;
        let req = request.get_ref();
        let client = req
            .client
            .as_ref()
            .ok_or_else(|| AppError::invalid("client", "is required"))?;
        let id = required_id(&client.client_id, "client.client_id")?;
        if client.etag.is_empty() {
            return Err(AppError::invalid("client.etag", "is required").into());
        }
        let paths = req
            .update_mask
            .as_ref()
            .map(|m| m.paths.clone())
            .unwrap_or_default();
        if paths.is_empty() && !req.revoke_tokens {
            return Err(AppError::invalid("update_mask", "is required").into());
        }
        let spec = masked_spec(client, &paths)?;
        let (tenant, actor, etag) = (caller.tenant(), owned_actor(&caller), client.etag.clone());
        let revoke = req.revoke_tokens;
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "UpdatePartnerClient",
                move |app, txn| {
                    Box::pin(async move {
                        let row = app
                            .update_partner(
                                txn,
                                &tenant,
                                (&actor.0, &actor.1),
                                &id,
                                &etag,
                                spec,
                                revoke,
                            )
                            .await?;
                        Ok(pb::UpdatePartnerClientResponse {
                            client: Some(partner_view(&row)),
                        })
                    })
                },
            )
            .await?;
        Ok(reply)
    }

    /// RevokePartnerClient.
    pub(super) async fn revoke_partner_client_rpc(
        &self,
        request: Request<pb::RevokePartnerClientRequest>,
    ) -> Result<pb::RevokePartnerClientResponse, Status> {
        let caller = Caller::of(&request)?;
        self.admin(&caller).await?;
        let req = request.get_ref();
        let id = required_id(&req.client_id, "client_id")?;
        if req.reason.chars().count() > 256 {
            return Err(AppError::invalid("reason", "must be at most 256 characters").into());
        }
        let (tenant, actor, reason) = (caller.tenant(), owned_actor(&caller), req.reason.clone());
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "RevokePartnerClient",
                move |app, txn| {
                    Box::pin(async move {
                        let row = app
                            .revoke_partner(txn, &tenant, (&actor.0, &actor.1), &id, &reason)
                            .await?;
                        Ok(pb::RevokePartnerClientResponse {
                            client: Some(partner_view(&row)),
                        })
                    })
                },
            )
            .await?;
        Ok(reply)
    }
}
