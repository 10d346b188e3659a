//! AuditService: each RPC dispatches to the handler file of its concern — reads of entries
//! (`query.rs`) and verification of the chain (`chain.rs`) — and the wire form of an entry.

mod chain;
mod query;

use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::Request;

use crate::grpc::{AuditApi, R};
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::Entry;

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
        outcome: match e.outcome {
            AuditOutcome::Success => pb::AuditOutcome::Success,
            AuditOutcome::Failure => pb::AuditOutcome::Failure,
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
    async fn list_audit_entries(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> R<pb::ListAuditEntriesResponse> {
        query::list(self, request).await
    }

    async fn get_audit_entry(
        &self,
        request: Request<pb::GetAuditEntryRequest>,
    ) -> R<pb::GetAuditEntryResponse> {
        query::get(self, request).await
    }

    async fn verify_audit_chain(
        &self,
        request: Request<pb::VerifyAuditChainRequest>,
    ) -> R<pb::VerifyAuditChainResponse> {
        chain::verify(self, request).await
    }
}
