//! RequestDataExport, GetDataExport and DownloadDataExport (inherent handlers the
//! `UserService` impl delegates to).

use chrono::{DateTime, Utc};
use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::privacy::data_export::{ExportRequest, effective_status};
use crate::grpc::consumers::access::target;
use crate::grpc::ids::id;
use crate::grpc::{Caller, UserApi};
use crate::repo::privacy::exports::ExportRow;
use siyu_proto::time::timestamp;

impl UserApi {
    /// RequestDataExport.
    pub(crate) async fn request_data_export_rpc(
        &self,
        request: Request<pb::RequestDataExportRequest>,
    ) -> Result<Response<pb::RequestDataExportResponse>, Status> {
        let caller = Caller::of(&request)?;
        let t = target(&caller, &request.get_ref().user_id)?;
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
    pub(crate) async fn get_data_export_rpc(
        &self,
        request: Request<pb::GetDataExportRequest>,
    ) -> Result<Response<pb::GetDataExportResponse>, Status> {
        let caller = Caller::of(&request)?;
        // A consumer reads their own exports only; staff any of the tenant.
        let owner = (caller.ctx.principal.kind == PrincipalKind::Consumer)
            .then(|| caller.ctx.principal.subject.clone());
        let id = id("export_id", &request.get_ref().export_id)?.to_string();
        let row = self
            .app
            .data_export(&caller.tenant(), &id, owner.as_deref())
            .await?;
        Ok(Response::new(pb::GetDataExportResponse {
            export: Some(export_pb(&row, self.app.clock.now())),
        }))
    }

    /// DownloadDataExport: the consumer themself only.
    pub(crate) async fn download_data_export_rpc(
        &self,
        request: Request<pb::DownloadDataExportRequest>,
    ) -> Result<Response<pb::DownloadDataExportResponse>, Status> {
        let caller = Caller::of(&request)?;
        let id = id("export_id", &request.get_ref().export_id)?.to_string();
        let user_id = &caller.ctx.principal.subject;
        let download = self
            .app
            .download_export(&caller.tenant(), user_id, &id)
            .await?;
        Ok(Response::new(pb::DownloadDataExportResponse {
            payload: download.payload,
            content_type: "application/json".into(),
            file_name: format!("siyu-export-{user_id}.json"),
            sha256: download.sha256,
        }))
    }
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
