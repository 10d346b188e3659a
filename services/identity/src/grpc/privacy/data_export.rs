//! UserService: RequestDataExport, GetDataExport and DownloadDataExport.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::{Request, Response};

use crate::app::privacy::data_export::{ExportRequest, effective_status};
use crate::grpc::consumers::access::target;
use crate::grpc::ids::id;
use crate::grpc::{Api, Caller, R, record};
use crate::repo::privacy::ExportStatus;
use crate::repo::privacy::exports::DataExport;

/// RequestDataExport: a running export of the user is answered as is.
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn request(
    api: &Api,
    request: Request<pb::RequestDataExportRequest>,
) -> R<pb::RequestDataExportResponse> {
    let caller = Caller::of(&request)?;
    let t = target(&caller, &request.get_ref().user_id)?;
    record("user_id", &t.user_id);
    // Consumers see the openids of their own app only, in the document too.
    let app_id = match caller.ctx.principal.kind {
        PrincipalKind::Consumer => api.app.session_app(caller.sid.as_deref()).await?,
        _ => String::new(),
    };
    let (app, tenant) = (Arc::clone(&api.app), caller.tenant());
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let req = ExportRequest {
                    tenant,
                    user_id: &t.user_id,
                    app_id: &app_id,
                    actor: &t.actor,
                };
                let row = app.request_export(txn, req).await?;
                Ok(pb::RequestDataExportResponse {
                    export: Some(export_pb(&row, app.clock.now())),
                })
            })
        })
        .await
}

/// GetDataExport: a consumer its own exports only, staff any of the tenant.
#[tracing::instrument(skip_all, fields(export_id))]
pub(crate) async fn get(
    api: &Api,
    request: Request<pb::GetDataExportRequest>,
) -> R<pb::GetDataExportResponse> {
    let caller = Caller::of(&request)?;
    let export_id = id("export_id", &request.get_ref().export_id)?.to_string();
    record("export_id", &export_id);
    let owner = (caller.ctx.principal.kind == PrincipalKind::Consumer)
        .then_some(caller.ctx.principal.subject.as_str());
    let row = api
        .app
        .data_export(caller.tenant(), &export_id, owner)
        .await?;
    Ok(Response::new(pb::GetDataExportResponse {
        export: Some(export_pb(&row, api.app.clock.now())),
    }))
}

/// DownloadDataExport: the consumer themself only (by contract), audited.
#[tracing::instrument(skip_all, fields(export_id))]
pub(crate) async fn download(
    api: &Api,
    request: Request<pb::DownloadDataExportRequest>,
) -> R<pb::DownloadDataExportResponse> {
    let caller = Caller::of(&request)?;
    let export_id = id("export_id", &request.get_ref().export_id)?.to_string();
    record("export_id", &export_id);
    let user_id = &caller.ctx.principal.subject;
    let download = api
        .app
        .download_export(caller.tenant(), user_id, &export_id)
        .await?;
    Ok(Response::new(pb::DownloadDataExportResponse {
        payload: download.payload,
        content_type: "application/json".into(),
        file_name: format!("siyu-export-{user_id}.json"),
        sha256: download.sha256,
    }))
}

/// An export job as the proto shows it (status as of `now`).
fn export_pb(row: &DataExport, now: DateTime<Utc>) -> pb::DataExport {
    let status = match effective_status(row, now) {
        ExportStatus::Pending => pb::DataExportStatus::Pending,
        ExportStatus::Running => pb::DataExportStatus::Running,
        ExportStatus::Ready => pb::DataExportStatus::Ready,
        ExportStatus::Failed => pb::DataExportStatus::Failed,
        ExportStatus::Expired => pb::DataExportStatus::Expired,
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
