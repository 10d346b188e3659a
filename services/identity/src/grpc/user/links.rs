//! SetUserBlocked, LinkIdentity, UnlinkIdentity and GetUserContacts handlers (inherent methods
//! the `UserService` impl delegates to): authenticate → check caller → parse → app → reply.

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::user_links::{Contacts, NewLink};
use crate::error::AppError;
use crate::events::timestamp;
use crate::grpc::user::convert::{identity_pb, view_pb};
use crate::grpc::user::input::{Allowed, consent_pb_kind, target};
use crate::grpc::{Caller, UserApi};

/// Staff roles that block users and link or unlink identities.
const ADMIN_ROLES: &[&str] = &["customer_service", "tenant_admin"];

/// A required free-text reason: trimmed, 1..200 characters.
pub(super) fn reason(value: &str, required: bool) -> Result<String, AppError> {
    let value = value.trim();
    let n = value.chars().count();
    if (required && n == 0) || n > 200 {
        let what = if required {
            "is required, at most 200 characters"
        } else {
            "must be at most 200 characters"
        };
        return Err(AppError::invalid("reason", what));
    }
    Ok(value.to_owned())
}

impl UserApi {
    /// SetUserBlocked.
    #[tracing::instrument(skip_all)]
    pub(super) async fn set_user_blocked_rpc(
        &self,
        request: Request<pb::SetUserBlockedRequest>,
    ) -> Result<Response<pb::SetUserBlockedResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            staff: ADMIN_ROLES,
            ..Allowed::default()
        };
        let req = request.get_ref();
        let t = target(&caller, &req.user_id, allowed)?;
        let why = reason(&req.reason, true)?;
        let blocked = req.blocked;
        let tenant = caller.tenant();
        let scope = tenant.clone();
        let reply = self
            .mutate(&request, &scope, "SetUserBlocked", move |app, txn| {
                Box::pin(async move {
                    let view = app
                        .set_user_blocked(txn, &tenant, &t.user_id, blocked, &why, &t.actor)
                        .await?;
                    Ok(pb::SetUserBlockedResponse {
                        user: Some(view_pb(&view, &t, &caller)),
                    })
                })
            })
            .await?;
        Ok(Response::new(reply))
    }

    /// LinkIdentity.
    #[tracing::instrument(skip_all)]
    pub(super) async fn link_identity_rpc(
        &self,
        request: Request<pb::LinkIdentityRequest>,
    ) -> Result<Response<pb::LinkIdentityResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            staff: ADMIN_ROLES,
            partner_scope: Some("members.write"),
            service: true,
            ..Allowed::default()
        };
        let req = request.get_ref();
        let t = target(&caller, &req.user_id, allowed)?;
        let link = self.new_link(&caller, req).await?;
        let tenant = caller.tenant();
        let scope = tenant.clone();
        let reply = self
            .mutate(&request, &scope, "LinkIdentity", move |app, txn| {
                Box::pin(async move {
                    let (row, source) = app
                        .link_identity(txn, &tenant, &t.user_id, link, &t.actor)
                        .await?;
                    Ok(pb::LinkIdentityResponse {
                        identity: Some(identity_pb(&row, &source)),
                    })
                })
            })
            .await?;
        Ok(Response::new(reply))
    }

    /// The link a LinkIdentity request asks for, or every field violation at once.
    async fn new_link(
        &self,
        caller: &Caller,
        req: &pb::LinkIdentityRequest,
    ) -> Result<NewLink, AppError> {
        let kind_of = caller.ctx.principal.kind;
        let (kind, scoped) = match pb::IdentityKind::try_from(req.kind) {
            Ok(pb::IdentityKind::WechatOpenid) => ("OPENID", true),
            Ok(pb::IdentityKind::WechatUnionid) => ("UNIONID", false),
            Ok(pb::IdentityKind::WecomExternalUserId) => ("WECOM", true),
            Ok(pb::IdentityKind::MemberCardNo) => ("CARD", false),
            Ok(pb::IdentityKind::Phone) => return Err(not_linkable("phones are bound verified")),
            _ => return Err(AppError::invalid("kind", "must name an identity kind")),
        };
        if kind == "UNIONID" && kind_of != PrincipalKind::Service {
            return Err(not_linkable("only services link unionids"));
        }
        if kind_of == PrincipalKind::Partner && !matches!(kind, "WECOM" | "CARD") {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED"));
        }
        let mut fields = Vec::new();
        let app_id = req.app_id.trim();
        if scoped && (app_id.is_empty() || app_id.len() > 64) {
            fields.push(("app_id".to_owned(), "must be 1..64 characters".to_owned()));
        } else if !scoped && !app_id.is_empty() {
            fields.push((
                "app_id".to_owned(),
                "must be empty for this kind".to_owned(),
            ));
        }
        let value = req.value.trim();
        if value.is_empty() || value.len() > 128 || value.chars().any(char::is_control) {
            fields.push(("value".to_owned(), "must be 1..128 characters".to_owned()));
        }
        if req.source.len() > 32 {
            fields.push((
                "source".to_owned(),
                "must be at most 32 characters".to_owned(),
            ));
        }
        if !fields.is_empty() {
            return Err(AppError::InvalidArgument {
                reason: "INVALID_ARGUMENT",
                fields,
            });
        }
        if kind == "OPENID" {
            // An openid belongs to one of the tenant's apps (an official account for OA login).
            let own = match self.app.resolve_app(app_id).await {
                Ok(resolved) => resolved.tenant.id == caller.tenant(),
                Err(AppError::NotFound(_) | AppError::FailedPrecondition(_)) => false,
                Err(err) => return Err(err),
            };
            if !own {
                return Err(AppError::invalid("app_id", "is not an app of the tenant"));
            }
        }
        let source = if req.source.trim().is_empty() {
            crate::app::tokens::sessions::kind_name(kind_of).to_owned()
        } else {
            req.source.trim().to_owned()
        };
        Ok(NewLink {
            kind,
            scope: app_id.to_owned(),
            value: value.to_owned(),
            source,
        })
    }

    /// UnlinkIdentity.
    #[tracing::instrument(skip_all)]
    pub(super) async fn unlink_identity_rpc(
        &self,
        request: Request<pb::UnlinkIdentityRequest>,
    ) -> Result<Response<pb::UnlinkIdentityResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            consumer: true,
            staff: ADMIN_ROLES,
            service: true,
            ..Allowed::default()
        };
        let req = request.get_ref();
        let t = target(&caller, &req.user_id, allowed)?;
        let identity_id = req.identity_id.trim().to_owned();
        if identity_id.is_empty() || identity_id.len() > 64 {
            return Err(AppError::invalid("identity_id", "must be 1..64 characters").into());
        }
        let why = reason(&req.reason, false)?;
        let tenant = caller.tenant();
        let scope = tenant.clone();
        let reply = self
            .mutate(&request, &scope, "UnlinkIdentity", move |app, txn| {
                Box::pin(async move {
                    app.unlink_identity(txn, &tenant, &t.user_id, &identity_id, &why, &t.actor)
                        .await?;
                    Ok(pb::UnlinkIdentityResponse {})
                })
            })
            .await?;
        Ok(Response::new(reply))
    }

    /// GetUserContacts (services only: content dispatch).
    #[tracing::instrument(skip_all)]
    pub(super) async fn get_user_contacts_rpc(
        &self,
        request: Request<pb::GetUserContactsRequest>,
    ) -> Result<Response<pb::GetUserContactsResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            service: true,
            ..Allowed::default()
        };
        let t = target(&caller, &request.get_ref().user_id, allowed)?;
        let contacts = self.app.user_contacts(&caller.tenant(), &t.user_id).await?;
        Ok(Response::new(contacts_pb(contacts)))
    }
}

fn not_linkable(why: &str) -> AppError {
    AppError::invalid_with("IDENTITY_KIND_NOT_LINKABLE", "kind", why)
}

fn contacts_pb(c: Contacts) -> pb::GetUserContactsResponse {
    let user = crate::grpc::user::convert::user_pb(&c.user);
    let app_kind = |app_id: &str| match c
        .apps
        .iter()
        .find(|(id, _)| id == app_id)
        .map(|(_, k)| k.as_str())
    {
        Some("MINI_PROGRAM") => pb::AppKind::MiniProgram,
        Some("OFFICIAL_ACCOUNT") => pb::AppKind::OfficialAccount,
        _ => pb::AppKind::Unspecified,
    };
    let openids = c
        .identities
        .iter()
        .filter(|i| i.kind == "OPENID")
        .map(|i| pb::AppOpenId {
            app_id: i.scope.clone(),
            app_kind: app_kind(&i.scope) as i32,
            openid: i.value.clone(),
        })
        .collect();
    let wecom_contacts = c
        .identities
        .iter()
        .filter(|i| i.kind == "WECOM")
        .map(|i| pb::WeComContact {
            corp_id: i.scope.clone(),
            external_user_id: i.value.clone(),
        })
        .collect();
    let marketing_consents = c
        .marketing
        .iter()
        .map(|r| pb::MarketingConsent {
            channel: consent_pb_kind(&r.kind, &r.channel).1 as i32,
            granted: r.granted,
            record_time: Some(timestamp(r.created_at)),
        })
        .collect();
    pb::GetUserContactsResponse {
        user_id: user.user_id,
        status: user.status,
        merged_into_user_id: user.merged_into_user_id,
        phone: user.phone,
        openids,
        wecom_contacts,
        marketing_consents,
        nickname: c.nickname,
    }
}
