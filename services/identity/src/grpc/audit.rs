//! AuditService handlers.

mod query;

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::audit::chain::BreakKind;
use crate::error::AppError;
use crate::grpc::ids::opt_tenant_id;
use crate::grpc::{AuditApi, Caller};
use crate::repo::audit::chain::Entry;
use siyu_proto::time::timestamp;

fn party(kind: &str, id: &str) -> pb::AuditParty {
    pb::AuditParty {
        kind: pb::PrincipalKind::from_str_name(&format!(
            "PRINCIPAL_KIND_{}",
            kind.to_ascii_uppercase()
        ))
        .unwrap_or(pb::PrincipalKind::Unspecified) as i32,
        id: id.to_owned(),
        display: String::new(),
    }
}

fn entry_view(e: &Entry) -> pb::AuditEntry {
    pb::AuditEntry {
        entry_id: e.id.clone(),
        sequence: e.seq,
        occur_time: Some(timestamp(e.created_at)),
        kind: pb::AuditKind::from_str_name(&format!("AUDIT_KIND_{}", e.kind))
            .unwrap_or(pb::AuditKind::Unspecified) as i32,
        outcome: if e.outcome == "SUCCESS" {
            pb::AuditOutcome::Success
        } else {
            pb::AuditOutcome::Failure
        } as i32,
        actor: Some(party(&e.actor_kind, &e.actor_id)),
        subject: Some(party(&e.target_kind, &e.target_id)),
        details: serde_json::from_str(&e.details).unwrap_or_default(),
        prev_hash: e.prev_hash.clone(),
        hash: e.hash.clone(),
        ..Default::default()
    }
}

#[tonic::async_trait]
impl pb::audit_service_server::AuditService for AuditApi {
    #[tracing::instrument(skip_all)]
    async fn list_audit_entries(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> Result<Response<pb::ListAuditEntriesResponse>, Status> {
        self.list(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn get_audit_entry(
        &self,
        request: Request<pb::GetAuditEntryRequest>,
    ) -> Result<Response<pb::GetAuditEntryResponse>, Status> {
        self.get(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn verify_audit_chain(
        &self,
        request: Request<pb::VerifyAuditChainRequest>,
    ) -> Result<Response<pb::VerifyAuditChainResponse>, Status> {
        let caller = Caller::of(&request)?;
        let wanted = opt_tenant_id("tenant_id", &request.get_ref().tenant_id)?
            .map(|t| t.to_string())
            .unwrap_or_default();
        let tenant = if wanted.is_empty() || wanted == caller.tenant() {
            self.require_root_role(&caller).await?;
            caller.tenant()
        } else {
            if self.require_platform(&caller).await.is_err() {
                return Err(AppError::NotFound("TENANT_NOT_FOUND").into());
            }
            wanted
        };
        let v = self.app.verify_audit_chain(&tenant).await?;
        Ok(Response::new(pb::VerifyAuditChainResponse {
            intact: v.first_break.is_none(),
            checked_count: v.checked,
            last_checked_sequence: v.last_seq,
            last_checked_hash: v.last_hash,
            first_break: v.first_break.map(|b| pb::ChainBreak {
                kind: match b.kind {
                    BreakKind::HashMismatch => pb::ChainBreakKind::HashMismatch,
                    BreakKind::PrevHashMismatch => pb::ChainBreakKind::PrevHashMismatch,
                    BreakKind::SequenceGap => pb::ChainBreakKind::SequenceGap,
                    BreakKind::Truncated => pb::ChainBreakKind::Truncated,
                } as i32,
                sequence: b.seq,
                entry_id: b.entry_id,
                expected_hash: b.expected,
                actual_hash: b.actual,
            }),
            next_from_sequence: 0,
            head_sequence: v.head_seq,
        }))
    }
}
