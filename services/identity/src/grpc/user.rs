//! UserService handlers; the proto conversions (shared with ConsumerAuthService) live in
//! `user/convert.rs`, caller resolution and input parsing in `user/input.rs`.

mod convert;
mod input;
mod links;
mod merges;
mod privacy;

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

pub use self::convert::{binding_pb, identity_pb, merge_pb, user_pb};
use self::convert::{consent_pb, view_pb};
use self::input::{Allowed, Target, consent_kind, profile_patch, target};
use crate::app::merge::Merged;
use crate::app::user_lookup::Lookup;
use crate::app::users::NewConsent;
use crate::error::AppError;
use crate::events::timestamp;
use crate::grpc::{UserApi, client_info};
use crate::otp::{mask_phone, normalize_phone};
use crate::repo::profiles::ConsentRow;

/// Staff roles that read users (GetUser, LookupUsers).
const READ_ROLES: &[&str] = &[
    "customer_service",
    "tenant_admin",
    "hq_operator",
    "store_manager",
    "guide",
];
/// Staff roles that edit a profile for the consumer.
const EDIT_ROLES: &[&str] = &["customer_service", "tenant_admin"];
/// Staff roles that read identities and consents.
const SUPPORT_ROLES: &[&str] = &["customer_service", "tenant_admin", "auditor"];
/// Staff roles that may see a full phone number.
const REVEAL_ROLES: &[&str] = &["customer_service", "store_manager", "tenant_admin"];
/// Staff roles that record consent given in store.
const CONSENT_ROLES: &[&str] = &["store_manager", "guide", "customer_service"];

#[tonic::async_trait]
impl pb::user_service_server::UserService for UserApi {
    #[tracing::instrument(skip_all)]
    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::GetUserResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            consumer: true,
            staff: READ_ROLES,
            partner_scope: Some("members.read"),
            service: true,
        };
        let t = target(&caller, &request.get_ref().user_id, allowed)?;
        let view = self.app.user_view(&caller.tenant(), &t.user_id).await?;
        Ok(Response::new(pb::GetUserResponse {
            user: Some(view_pb(&view, &t, &caller)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn batch_get_users(
        &self,
        request: Request<pb::BatchGetUsersRequest>,
    ) -> Result<Response<pb::BatchGetUsersResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let ids = &request.get_ref().user_ids;
        if ids.is_empty() || ids.len() > 200 {
            return Err(AppError::invalid("user_ids", "must hold 1..200 ids").into());
        }
        if ids.iter().any(|id| id.is_empty() || id.len() > 64) {
            return Err(AppError::invalid("user_ids", "ids must be 1..64 characters").into());
        }
        let masked = match caller.ctx.principal.kind {
            PrincipalKind::Staff => true,
            PrincipalKind::Service => false,
            PrincipalKind::Consumer | PrincipalKind::Partner => {
                return Err(AppError::PermissionDenied("PERMISSION_DENIED").into());
            }
        };
        let views = self.app.user_views(&caller.tenant(), ids).await?;
        let users = views
            .iter()
            .map(|v| {
                let t = Target {
                    user_id: v.user.id.clone(),
                    masked,
                    actor: crate::app::Actor {
                        kind: String::new(),
                        id: String::new(),
                    },
                };
                view_pb(v, &t, &caller)
            })
            .collect();
        Ok(Response::new(pb::BatchGetUsersResponse { users }))
    }

    #[tracing::instrument(skip_all)]
    async fn update_user_profile(
        &self,
        request: Request<pb::UpdateUserProfileRequest>,
    ) -> Result<Response<pb::UpdateUserProfileResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            consumer: true,
            staff: EDIT_ROLES,
            ..Allowed::default()
        };
        let t = target(&caller, &request.get_ref().user_id, allowed)?;
        let patch = profile_patch(request.get_ref(), self.app.clock.now())?;
        let tenant = caller.tenant();
        let reply = self
            .mutate(&request, &tenant, "UpdateUserProfile", {
                let tenant = tenant.clone();
                move |app, txn| {
                    Box::pin(async move {
                        let view = app
                            .update_profile(txn, &tenant, &t.user_id, patch, &t.actor)
                            .await?;
                        Ok(pb::UpdateUserProfileResponse {
                            user: Some(view_pb(&view, &t, &caller)),
                        })
                    })
                }
            })
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn list_linked_identities(
        &self,
        request: Request<pb::ListLinkedIdentitiesRequest>,
    ) -> Result<Response<pb::ListLinkedIdentitiesResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            consumer: true,
            staff: SUPPORT_ROLES,
            service: true,
            ..Allowed::default()
        };
        let t = target(&caller, &request.get_ref().user_id, allowed)?;
        let rows = self
            .app
            .linked_identities(&caller.tenant(), &t.user_id)
            .await?;
        // A consumer sees openids of the app of their session only.
        let own_app = if caller.ctx.principal.kind == PrincipalKind::Consumer {
            match caller.sid.as_deref() {
                Some(sid) => self.app.session(sid).await?.map(|s| s.app_id),
                None => None,
            }
        } else {
            None
        };
        let identities = rows
            .iter()
            .filter(|i| {
                own_app
                    .as_ref()
                    .is_none_or(|app| i.kind != "OPENID" || &i.scope == app)
            })
            .map(|i| {
                let mut pb = identity_pb(i, "");
                if t.masked && i.kind == "PHONE" {
                    pb.value = mask_phone(&i.value);
                }
                pb
            })
            .collect();
        Ok(Response::new(pb::ListLinkedIdentitiesResponse {
            identities,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn record_consent(
        &self,
        request: Request<pb::RecordConsentRequest>,
    ) -> Result<Response<pb::RecordConsentResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            consumer: true,
            staff: CONSENT_ROLES,
            partner_scope: Some("members.write"),
            service: true,
        };
        let req = request.get_ref();
        let t = target(&caller, &req.user_id, allowed)?;
        let (kind, channel) = consent_kind(req)?;
        if req.version.len() > 64 {
            return Err(AppError::invalid("version", "must be at most 64 characters").into());
        }
        if req.source.len() > 32 {
            return Err(AppError::invalid("source", "must be at most 32 characters").into());
        }
        // Consent given in store is recorded as such whatever the client claims.
        let source = if caller.ctx.principal.kind == PrincipalKind::Staff {
            "store".to_owned()
        } else {
            req.source.clone()
        };
        let consent = NewConsent {
            kind,
            channel,
            version: if kind == "MARKETING" {
                String::new()
            } else {
                req.version.trim().to_owned()
            },
            granted: req.granted,
            source,
            ip_masked: client_info(&request).ip_masked(),
        };
        let tenant = caller.tenant();
        let reply = self
            .mutate(&request, &tenant, "RecordConsent", {
                let tenant = tenant.clone();
                move |app, txn| {
                    Box::pin(async move {
                        let row = app
                            .record_consent(txn, &tenant, &t.user_id, consent, &t.actor)
                            .await?;
                        Ok(pb::RecordConsentResponse {
                            consent: Some(consent_pb(&row)),
                        })
                    })
                }
            })
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn lookup_users(
        &self,
        request: Request<pb::LookupUsersRequest>,
    ) -> Result<Response<pb::LookupUsersResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            staff: READ_ROLES,
            service: true,
            ..Allowed::default()
        };
        // Authorization first (a placeholder id: look-ups name no user).
        let t = target(&caller, "-", allowed)?;
        let req = request.get_ref();
        let (kind, scoped) = match pb::IdentityKind::try_from(req.kind) {
            Ok(pb::IdentityKind::WechatOpenid) => ("OPENID", true),
            Ok(pb::IdentityKind::WechatUnionid) => ("UNIONID", false),
            Ok(pb::IdentityKind::Phone) => ("PHONE", false),
            Ok(pb::IdentityKind::WecomExternalUserId) => ("WECOM", true),
            Ok(pb::IdentityKind::MemberCardNo) => ("CARD", false),
            _ => return Err(AppError::invalid("kind", "must name an identity kind").into()),
        };
        if req.value.trim().is_empty() || req.value.len() > 128 {
            return Err(AppError::invalid("value", "must be 1..128 characters").into());
        }
        if req.app_id.len() > 64 {
            return Err(AppError::invalid("app_id", "must be at most 64 characters").into());
        }
        let value = if kind == "PHONE" {
            normalize_phone(&req.value)
                .ok_or_else(|| AppError::invalid("value", "not a mainland mobile number"))?
        } else {
            req.value.trim().to_owned()
        };
        let scope = (scoped && !req.app_id.is_empty()).then_some(req.app_id.as_str());
        let query = Lookup {
            kind,
            scope: if scoped { scope } else { Some("") },
            value: &value,
            include_inactive: req.include_inactive,
        };
        let staff = (caller.ctx.principal.kind == PrincipalKind::Staff).then_some(&t.actor);
        let found = self
            .app
            .lookup_users(&caller.tenant(), query, staff)
            .await?;
        let users = found
            .iter()
            .map(|v| {
                let status = user_pb(&v.user).status;
                pb::UserSummary {
                    user_id: v.user.id.clone(),
                    status,
                    nickname: v.profile.nickname.clone(),
                    avatar_url: v.profile.avatar_url.clone(),
                    phone_masked: v.user.phone.as_deref().map(mask_phone).unwrap_or_default(),
                    create_time: Some(timestamp(v.user.created_at)),
                    matched_kind: req.kind,
                }
            })
            .collect();
        Ok(Response::new(pb::LookupUsersResponse { users }))
    }

    #[tracing::instrument(skip_all)]
    async fn reveal_user_phone(
        &self,
        request: Request<pb::RevealUserPhoneRequest>,
    ) -> Result<Response<pb::RevealUserPhoneResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            staff: REVEAL_ROLES,
            ..Allowed::default()
        };
        let req = request.get_ref();
        let t = target(&caller, &req.user_id, allowed)?;
        let reason = req.reason.trim();
        let n = reason.chars().count();
        if !(4..=200).contains(&n) {
            return Err(AppError::invalid("reason", "must be 4..200 characters").into());
        }
        let phone = self
            .app
            .reveal_phone(&caller.tenant(), &t.user_id, reason, &t.actor)
            .await?;
        Ok(Response::new(pb::RevealUserPhoneResponse { phone }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_user_merges(
        &self,
        request: Request<pb::ListUserMergesRequest>,
    ) -> Result<Response<pb::ListUserMergesResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            staff: SUPPORT_ROLES,
            ..Allowed::default()
        };
        let req = request.get_ref();
        let t = target(&caller, &req.user_id, allowed)?;
        let records = self.app.user_merges(&caller.tenant(), &t.user_id).await?;
        let list = format!("merges:{}", t.user_id);
        let (records, page) = crate::grpc::org::page(&list, records, req.page.as_ref(), 100)?;
        let merges = records
            .into_iter()
            .map(|(record, moved)| {
                let mut merge = merge_pb(&Merged {
                    row: record.row,
                    moved,
                });
                for identity in &mut merge.moved_identities {
                    if identity.kind == pb::IdentityKind::Phone as i32 {
                        identity.value = mask_phone(&identity.value);
                    }
                }
                merge.reverse_time = record.reversed_at.map(timestamp);
                merge.reversed_by = record.reversed_by.unwrap_or_default();
                merge
            })
            .collect();
        Ok(Response::new(pb::ListUserMergesResponse {
            merges,
            page: Some(page),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_consents(
        &self,
        request: Request<pb::ListConsentsRequest>,
    ) -> Result<Response<pb::ListConsentsResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            consumer: true,
            staff: SUPPORT_ROLES,
            service: true,
            ..Allowed::default()
        };
        let req = request.get_ref();
        let t = target(&caller, &req.user_id, allowed)?;
        let rows = self.app.consents(&caller.tenant(), &t.user_id).await?;
        let mut current: Vec<&ConsentRow> = Vec::new();
        for row in &rows {
            if !current
                .iter()
                .any(|c| c.kind == row.kind && c.channel == row.channel)
            {
                current.push(row);
            }
        }
        let current = current.into_iter().map(consent_pb).collect();
        let list = format!("consents:{}", t.user_id);
        let (history, page) = crate::grpc::org::page(&list, rows, req.page.as_ref(), 200)?;
        Ok(Response::new(pb::ListConsentsResponse {
            current,
            history: history.iter().map(consent_pb).collect(),
            page: Some(page),
        }))
    }

    async fn set_user_blocked(
        &self,
        request: Request<pb::SetUserBlockedRequest>,
    ) -> Result<Response<pb::SetUserBlockedResponse>, Status> {
        self.set_user_blocked_rpc(request).await
    }

    async fn link_identity(
        &self,
        request: Request<pb::LinkIdentityRequest>,
    ) -> Result<Response<pb::LinkIdentityResponse>, Status> {
        self.link_identity_rpc(request).await
    }

    async fn unlink_identity(
        &self,
        request: Request<pb::UnlinkIdentityRequest>,
    ) -> Result<Response<pb::UnlinkIdentityResponse>, Status> {
        self.unlink_identity_rpc(request).await
    }

    async fn get_user_contacts(
        &self,
        request: Request<pb::GetUserContactsRequest>,
    ) -> Result<Response<pb::GetUserContactsResponse>, Status> {
        self.get_user_contacts_rpc(request).await
    }

    async fn merge_users(
        &self,
        request: Request<pb::MergeUsersRequest>,
    ) -> Result<Response<pb::MergeUsersResponse>, Status> {
        self.merge_users_rpc(request).await
    }

    async fn reverse_user_merge(
        &self,
        request: Request<pb::ReverseUserMergeRequest>,
    ) -> Result<Response<pb::ReverseUserMergeResponse>, Status> {
        self.reverse_user_merge_rpc(request).await
    }

    #[tracing::instrument(skip_all)]
    async fn request_data_export(
        &self,
        request: Request<pb::RequestDataExportRequest>,
    ) -> Result<Response<pb::RequestDataExportResponse>, Status> {
        self.request_data_export_rpc(request).await
    }

    #[tracing::instrument(skip_all)]
    async fn get_data_export(
        &self,
        request: Request<pb::GetDataExportRequest>,
    ) -> Result<Response<pb::GetDataExportResponse>, Status> {
        self.get_data_export_rpc(request).await
    }

    #[tracing::instrument(skip_all)]
    async fn download_data_export(
        &self,
        request: Request<pb::DownloadDataExportRequest>,
    ) -> Result<Response<pb::DownloadDataExportResponse>, Status> {
        self.download_data_export_rpc(request).await
    }

    #[tracing::instrument(skip_all)]
    async fn erase_user(
        &self,
        request: Request<pb::EraseUserRequest>,
    ) -> Result<Response<pb::EraseUserResponse>, Status> {
        self.erase_user_rpc(request).await
    }
}
