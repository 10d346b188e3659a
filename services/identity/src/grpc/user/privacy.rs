//! UserService's PIPL/GDPR RPCs: data export (request, get, download) and erasure. Handlers are
//! inherent methods on `UserApi`; the trait impl in `user.rs` delegates to them.

use chrono::{DateTime, Utc};
use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::data_export::{ExportRequest, effective_status};
use crate::app::erasure::Erasure;
use crate::error::AppError;
use crate::events::timestamp;
use crate::grpc::user::input::{Allowed, target};
use crate::grpc::{Caller, UserApi};
use crate::repo::exports::ExportRow;

/// Staff roles that request and follow exports for a consumer.
const EXPORT_ROLES: &[&str] = &["customer_service", "tenant_admin"];
/// Staff roles that erase an account on a verified request.
const ERASE_ROLES: &[&str] = &["tenant_admin"];

impl UserApi {
    /// RequestDataExport.
    pub(super) async fn request_data_export_rpc(
        &self,
        request: Request<pb::RequestDataExportRequest>,
    ) -> Result<Response<pb::RequestDataExportResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            consumer: true,
            staff: EXPORT_ROLES,
            ..Allowed::default()
        };
        let t = target(&caller, &request.get_ref().user_id, allowed)?;
        // Consumers see the openids of their own app only, in the document too.
        let app_id = if caller.ctx.principal.kind == PrincipalKind::Consumer {
            self.session_app(&caller).await?
        } else {
            String::new()
        };
        let tenant = caller.tenant();
        let reply = self
            .mutate(&request, &tenant, "RequestDataExport", {
                let tenant = tenant.clone();
                move |app, txn| {
                    Box::pin(async move {
                        let req = ExportRequest {
                            tenant: &tenant,
                            user_id: &t.user_id,
                            app_id: &app_id,
                            actor: &t.actor,
                        };
                        let row = app.request_export(txn, req).await?;
                        Ok(pb::RequestDataExportResponse {
                            export: Some(export_pb(&row, app.clock.now())),
                        })
                    })
                }
            })
            .await?;
        Ok(Response::new(reply))
    }

    /// GetDataExport.
    pub(super) async fn get_data_export_rpc(
        &self,
        request: Request<pb::GetDataExportRequest>,
    ) -> Result<Response<pb::GetDataExportResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            consumer: true,
            staff: EXPORT_ROLES,
            ..Allowed::default()
        };
        // A consumer reads their own exports only; staff any of the tenant.
        let owner = if caller.ctx.principal.kind == PrincipalKind::Consumer {
            Some(target(&caller, "", allowed)?.user_id)
        } else {
            target(&caller, "-", allowed)?;
            None
        };
        let id = export_id(&request.get_ref().export_id)?;
        let row = self
            .app
            .data_export(&caller.tenant(), id, owner.as_deref())
            .await?;
        Ok(Response::new(pb::GetDataExportResponse {
            export: Some(export_pb(&row, self.app.clock.now())),
        }))
    }

    /// DownloadDataExport: the consumer themself only.
    pub(super) async fn download_data_export_rpc(
        &self,
        request: Request<pb::DownloadDataExportRequest>,
    ) -> Result<Response<pb::DownloadDataExportResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        if caller.ctx.principal.kind != PrincipalKind::Consumer {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED").into());
        }
        let id = export_id(&request.get_ref().export_id)?;
        let user_id = &caller.ctx.principal.subject;
        let download = self
            .app
            .download_export(&caller.tenant(), user_id, id)
            .await?;
        Ok(Response::new(pb::DownloadDataExportResponse {
            payload: download.payload,
            content_type: "application/json".into(),
            file_name: format!("siyu-export-{user_id}.json"),
            sha256: download.sha256,
        }))
    }

    /// EraseUser: the consumer confirms (OTP to the bound phone, else a fresh WeChat code);
    /// staff give a reason.
    pub(super) async fn erase_user_rpc(
        &self,
        request: Request<pb::EraseUserRequest>,
    ) -> Result<Response<pb::EraseUserResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            consumer: true,
            staff: ERASE_ROLES,
            ..Allowed::default()
        };
        let req = request.get_ref();
        let t = target(&caller, &req.user_id, allowed)?;
        if req.otp.len() > 16 {
            return Err(AppError::invalid("otp", "must be 6 digits").into());
        }
        if req.wechat_code.len() > 128 {
            return Err(AppError::invalid("wechat_code", "must be at most 128 characters").into());
        }
        let tenant = caller.tenant();
        let (requested_by, reason) = if caller.ctx.principal.kind == PrincipalKind::Consumer {
            self.confirm_erasure(&caller, &tenant, &t.user_id, req)
                .await?;
            ("self", String::new())
        } else {
            let reason = req.reason.trim();
            if !(4..=200).contains(&reason.chars().count()) {
                return Err(AppError::invalid("reason", "is required: 4..200 characters").into());
            }
            ("staff", reason.to_owned())
        };
        let reply = self
            .mutate(&request, &tenant, "EraseUser", {
                let tenant = tenant.clone();
                move |app, txn| {
                    Box::pin(async move {
                        let erasure = Erasure {
                            tenant: &tenant,
                            user_id: &t.user_id,
                            requested_by,
                            actor: &t.actor,
                            reason: &reason,
                        };
                        let erased = app.erase_user(txn, erasure).await?;
                        Ok(pb::EraseUserResponse {
                            user_id: erased.user_id,
                            erase_time: Some(timestamp(erased.erased_at)),
                        })
                    })
                }
            })
            .await?;
        Ok(Response::new(reply))
    }

    /// The consumer's confirmation: an OTP (purpose CONFIRM) to the bound phone, or — with no
    /// phone bound — a fresh wx.login() code of the session's mini-program.
    async fn confirm_erasure(
        &self,
        caller: &Caller,
        tenant: &str,
        user_id: &str,
        req: &pb::EraseUserRequest,
    ) -> Result<(), Status> {
        let view = self.app.user_view(tenant, user_id).await?;
        if view.user.status == "ERASED" {
            // Nothing left to confirm against; the erasure answers its first outcome.
            return Ok(());
        }
        match view.user.phone.as_deref() {
            Some(phone) => {
                if req.otp.len() != 6 || !req.otp.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(AppError::invalid(
                        "otp",
                        "the 6-digit CONFIRM code sent to the bound phone is required",
                    )
                    .into());
                }
                Ok(self
                    .app
                    .confirm_erasure_otp(tenant, phone, &req.otp)
                    .await?)
            }
            None => {
                if req.wechat_code.trim().is_empty() {
                    return Err(AppError::invalid(
                        "wechat_code",
                        "a fresh wx.login() code is required when no phone is bound",
                    )
                    .into());
                }
                let app_id = self.session_app(caller).await?;
                Ok(self
                    .app
                    .confirm_erasure_wechat(tenant, user_id, &app_id, req.wechat_code.trim())
                    .await?)
            }
        }
    }

    /// The app of the caller's session ('' without one).
    async fn session_app(&self, caller: &Caller) -> Result<String, Status> {
        Ok(match caller.sid.as_deref() {
            Some(sid) => self.app.session(sid).await?.map(|s| s.app_id),
            None => None,
        }
        .unwrap_or_default())
    }
}

/// A validated export id.
fn export_id(id: &str) -> Result<&str, AppError> {
    if id.is_empty() || id.len() > 64 {
        return Err(AppError::invalid("export_id", "must be 1..64 characters"));
    }
    Ok(id)
}

/// An export job as the proto shows it (status as of `now`).
fn export_pb(row: &ExportRow, now: DateTime<Utc>) -> pb::DataExport {
    let status = match effective_status(row, now) {
        "PENDING" => pb::DataExportStatus::Pending,
        "RUNNING" => pb::DataExportStatus::Running,
        "READY" => pb::DataExportStatus::Ready,
        "FAILED" => pb::DataExportStatus::Failed,
        "EXPIRED" => pb::DataExportStatus::Expired,
        _ => pb::DataExportStatus::Unspecified,
    };
    let ready = status == pb::DataExportStatus::Ready;
    pb::DataExport {
        export_id: row.id.clone(),
        user_id: row.user_id.clone(),
        status: status as i32,
        request_time: Some(timestamp(row.created_at)),
        finish_time: row.finished_at.map(timestamp),
        expire_time: row.expires_at.map(timestamp),
        size_bytes: if ready { row.size_bytes } else { 0 },
        sha256: if ready {
            row.sha256.clone()
        } else {
            String::new()
        },
    }
}
