//! AuditService: VerifyAuditChain — the caller's own chain, or another tenant's for the
//! platform.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response};

use crate::app::audit::chain::{BreakKind, ChainBreak};
use crate::grpc::ids::opt_tenant_id;
use crate::grpc::{Api, Caller, R, record};

/// VerifyAuditChain: walks the whole chain of the tenant.
#[tracing::instrument(skip_all, fields(tenant_id))]
pub(super) async fn verify(
    api: &Api,
    request: Request<pb::VerifyAuditChainRequest>,
) -> R<pb::VerifyAuditChainResponse> {
    let caller = Caller::of(&request)?;
    let wanted = opt_tenant_id("tenant_id", &request.get_ref().tenant_id)?;
    let tenant = api.app.tenant_in_reach(&caller.ctx, wanted).await?;
    record("tenant_id", tenant);
    let v = api.app.verify_audit_chain(tenant).await?;
    Ok(Response::new(pb::VerifyAuditChainResponse {
        intact: v.first_break.is_none(),
        checked_count: v.checked,
        last_checked_sequence: v.last_seq,
        last_checked_hash: v.last_hash,
        first_break: v.first_break.map(break_view),
        next_from_sequence: 0,
        head_sequence: v.head_seq,
    }))
}

fn break_view(b: ChainBreak) -> pb::ChainBreak {
    let kind = match b.kind {
        BreakKind::HashMismatch => pb::ChainBreakKind::HashMismatch,
        BreakKind::PrevHashMismatch => pb::ChainBreakKind::PrevHashMismatch,
        BreakKind::SequenceGap => pb::ChainBreakKind::SequenceGap,
        BreakKind::Truncated => pb::ChainBreakKind::Truncated,
    };
    pb::ChainBreak {
        kind: kind as i32,
        sequence: b.seq,
        entry_id: b.entry_id,
        expected_hash: b.expected,
        actual_hash: b.actual,
    }
}
