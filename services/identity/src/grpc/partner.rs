//! PartnerService handlers.
//!
//! A secret is shown once, yet a retry with the same idempotency key must return it again; the
//! stored reply therefore holds the secret sealed (AES-256-GCM, the tenant-secret key), never
//! in clear, and the handler opens it on the way out.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::App;
use crate::app::partners::{PartnerSpec, check_cidrs, check_scopes};
use crate::error::AppError;
use crate::events::timestamp;
use crate::grpc::paging::page;
use crate::grpc::{Api, Caller, PartnerApi, owned_actor};
use crate::repo::partners::PartnerRow;

/// The wire form of a client (never its secret).
pub fn partner_view(p: &PartnerRow) -> pb::PartnerClient {
    pb::PartnerClient {
        client_id: p.client_id.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        scopes: p.scopes.clone(),
        rate_limit_per_minute: p.rate_limit_per_minute,
        rate_limit_burst: p.rate_limit_burst,
        ip_allow_list: p.ip_allow_list.clone(),
        token_ttl_seconds: p.token_ttl_secs,
        status: if p.status == "ACTIVE" {
            pb::PartnerClientStatus::Active
        } else {
            pb::PartnerClientStatus::Revoked
        } as i32,
        secret_last4: p.secret_last4.clone(),
        secret_create_time: p.secret_created_at.map(timestamp),
        previous_secret_expire_time: p.previous_secret_expires_at.map(timestamp),
        created_by: p.created_by.clone(),
        create_time: Some(timestamp(p.created_at)),
        update_time: Some(timestamp(p.updated_at)),
        last_token_time: p.last_token_at.map(timestamp),
        etag: p.version.to_string(),
    }
}

pub(super) fn seal(app: &App, secret: &str) -> Result<String, AppError> {
    Ok(STANDARD.encode(app.sealer.seal(secret.as_bytes())?))
}

pub(super) fn open(api: &Api, sealed: &str) -> Result<String, AppError> {
    let bytes = STANDARD
        .decode(sealed)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    String::from_utf8(api.app.sealer.open(&bytes)?).map_err(|e| AppError::Internal(e.to_string()))
}

fn range(value: i32, field: &str, lo: i32, hi: i32) -> Result<Option<i32>, AppError> {
    match value {
        0 => Ok(None),
        v if (lo..=hi).contains(&v) => Ok(Some(v)),
        _ => Err(AppError::invalid(field, &format!("must be {lo}..{hi}"))),
    }
}

fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if (1..=64).contains(&name.chars().count()) {
        Ok(name.to_owned())
    } else {
        Err(AppError::invalid("client.name", "must be 1..64 characters"))
    }
}

fn check_description(value: &str) -> Result<String, AppError> {
    if value.chars().count() <= 512 {
        Ok(value.to_owned())
    } else {
        Err(AppError::invalid(
            "client.description",
            "must be at most 512 characters",
        ))
    }
}

fn scopes(c: &pb::PartnerClient) -> Result<Vec<String>, AppError> {
    if c.scopes.is_empty() {
        return Err(AppError::invalid(
            "client.scopes",
            "at least one scope is required",
        ));
    }
    check_scopes(&c.scopes, "client.scopes")?;
    let mut scopes = c.scopes.clone();
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}

fn ips(c: &pb::PartnerClient) -> Result<Vec<String>, AppError> {
    if c.ip_allow_list.len() > 100 {
        return Err(AppError::invalid(
            "client.ip_allow_list",
            "at most 100 entries",
        ));
    }
    check_cidrs(&c.ip_allow_list, "client.ip_allow_list")?;
    Ok(c.ip_allow_list
        .iter()
        .map(|s| s.trim().to_owned())
        .collect())
}

/// Every settable field of `c` (CreatePartnerClient).
fn full_spec(c: &pb::PartnerClient) -> Result<PartnerSpec, AppError> {
    Ok(PartnerSpec {
        name: Some(check_name(&c.name)?),
        description: Some(check_description(&c.description)?),
        scopes: Some(scopes(c)?),
        rate_limit_per_minute: range(
            c.rate_limit_per_minute,
            "client.rate_limit_per_minute",
            1,
            100_000,
        )?,
        rate_limit_burst: range(c.rate_limit_burst, "client.rate_limit_burst", 1, 10_000)?,
        ip_allow_list: Some(ips(c)?),
        token_ttl_secs: range(c.token_ttl_seconds, "client.token_ttl_seconds", 300, 7200)?,
    })
}

/// The fields named by an update mask.
fn masked_spec(c: &pb::PartnerClient, paths: &[String]) -> Result<PartnerSpec, AppError> {
    let mut spec = PartnerSpec::default();
    for path in paths {
        match path.as_str() {
            "name" => spec.name = Some(check_name(&c.name)?),
            "description" => spec.description = Some(check_description(&c.description)?),
            "scopes" => spec.scopes = Some(scopes(c)?),
            "rate_limit_per_minute" => {
                spec.rate_limit_per_minute = Some(
                    range(
                        c.rate_limit_per_minute,
                        "client.rate_limit_per_minute",
                        1,
                        100_000,
                    )?
                    .unwrap_or(600),
                );
            }
            "rate_limit_burst" => {
                spec.rate_limit_burst = Some(
                    range(c.rate_limit_burst, "client.rate_limit_burst", 1, 10_000)?.unwrap_or(60),
                );
            }
            "ip_allow_list" => spec.ip_allow_list = Some(ips(c)?),
            "token_ttl_seconds" => {
                spec.token_ttl_secs = Some(
                    range(c.token_ttl_seconds, "client.token_ttl_seconds", 300, 7200)?
                        .unwrap_or(3600),
                );
            }
            _ => return Err(AppError::invalid("update_mask", "has an unknown path")),
        }
    }
    Ok(spec)
}

fn required_id(id: &str, field: &str) -> Result<String, AppError> {
    if id.is_empty() || id.len() > 64 {
        Err(AppError::invalid(field, "is required"))
    } else {
        Ok(id.to_owned())
    }
}

impl PartnerApi {
    async fn admin(&self, caller: &Caller) -> Result<(), Status> {
        self.require_root_role(caller, &["tenant_admin"]).await
    }
}

#[tonic::async_trait]
impl pb::partner_service_server::PartnerService for PartnerApi {
    #[tracing::instrument(skip_all)]
    async fn create_partner_client(
        &self,
        request: Request<pb::CreatePartnerClientRequest>,
    ) -> Result<Response<pb::CreatePartnerClientResponse>, Status> {
        let caller = self.authenticate(&request).await?;
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
        Ok(Response::new(pb::CreatePartnerClientResponse {
            client_secret: open(self, &reply.client_secret)?,
            ..reply
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_partner_client(
        &self,
        request: Request<pb::GetPartnerClientRequest>,
    ) -> Result<Response<pb::GetPartnerClientResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let mut id = request.get_ref().client_id.clone();
        if caller.ctx.principal.kind == PrincipalKind::Partner {
            if id.is_empty() {
                id.clone_from(&caller.ctx.principal.subject);
            } else if id != caller.ctx.principal.subject {
                return Err(AppError::NotFound("PARTNER_CLIENT_NOT_FOUND").into());
            }
        } else {
            self.require_root_role(&caller, &["tenant_admin", "auditor"])
                .await?;
        }
        let id = required_id(&id, "client_id")?;
        let row = self
            .app
            .partner(&self.app.db, &caller.tenant(), &id)
            .await?;
        Ok(Response::new(pb::GetPartnerClientResponse {
            client: Some(partner_view(&row)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_partner_clients(
        &self,
        request: Request<pb::ListPartnerClientsRequest>,
    ) -> Result<Response<pb::ListPartnerClientsResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        self.require_root_role(&caller, &["tenant_admin", "auditor"])
            .await?;
        let req = request.get_ref();
        let status = match pb::PartnerClientStatus::try_from(req.status) {
            Ok(pb::PartnerClientStatus::Unspecified) => None,
            Ok(pb::PartnerClientStatus::Active) => Some("ACTIVE"),
            Ok(pb::PartnerClientStatus::Revoked) => Some("REVOKED"),
            Err(_) => return Err(AppError::invalid("status", "is not a known status").into()),
        };
        let rows = self.app.partners(&caller.tenant(), status).await?;
        let (rows, page) = page("partner_clients", rows, req.page.as_ref(), 200)?;
        Ok(Response::new(pb::ListPartnerClientsResponse {
            clients: rows.iter().map(partner_view).collect(),
            page: Some(page),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn update_partner_client(
        &self,
        request: Request<pb::UpdatePartnerClientRequest>,
    ) -> Result<Response<pb::UpdatePartnerClientResponse>, Status> {
        let caller = self.authenticate(&request).await?;
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
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn rotate_partner_client_secret(
        &self,
        request: Request<pb::RotatePartnerClientSecretRequest>,
    ) -> Result<Response<pb::RotatePartnerClientSecretResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        self.admin(&caller).await?;
        let req = request.get_ref();
        let id = required_id(&req.client_id, "client_id")?;
        if !(0..=604_800).contains(&req.previous_secret_grace_seconds) {
            return Err(
                AppError::invalid("previous_secret_grace_seconds", "must be 0..604800").into(),
            );
        }
        let grace = i64::from(req.previous_secret_grace_seconds);
        let (tenant, actor) = (caller.tenant(), owned_actor(&caller));
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "RotatePartnerClientSecret",
                move |app, txn| {
                    Box::pin(async move {
                        let (row, secret) = app
                            .rotate_partner_secret(txn, &tenant, (&actor.0, &actor.1), &id, grace)
                            .await?;
                        Ok(pb::RotatePartnerClientSecretResponse {
                            client: Some(partner_view(&row)),
                            client_secret: seal(&app, &secret)?,
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(pb::RotatePartnerClientSecretResponse {
            client_secret: open(self, &reply.client_secret)?,
            ..reply
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_partner_client(
        &self,
        request: Request<pb::RevokePartnerClientRequest>,
    ) -> Result<Response<pb::RevokePartnerClientResponse>, Status> {
        let caller = self.authenticate(&request).await?;
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
        Ok(Response::new(reply))
    }
}
