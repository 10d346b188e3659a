//! GetLedgerPolicy and UpdateLedgerPolicy on the wire.

use siyu_proto::membership::v1 as pb;
use tonic::{Request, Response};

use super::super::convert::mask;
use super::super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::domain::{ExpiryMode, LedgerPolicy};
use crate::app::ledger::policy::PolicyUpdate;

impl From<&LedgerPolicy> for pb::LedgerPolicy {
    fn from(p: &LedgerPolicy) -> Self {
        Self {
            points_per_yuan: p.points_per_yuan,
            max_points_deduction_bps: p.max_points_deduction_bps,
            min_points_per_order: p.min_points_per_order,
            stored_value_enabled: p.stored_value_enabled,
            points_transfer_enabled: p.points_transfer_enabled,
            expiry_mode: i32::from(p.expiry_mode.number()),
            expiry_days: p.expiry_days,
            expiry_reminder_days: p.expiry_reminder_days,
            restored_points_grace_days: p.restored_points_grace_days,
            stored_value_earns: p.stored_value_earns,
        }
    }
}

/// The masked fields of the request, each checked against its range.
fn parse(req: &pb::UpdateLedgerPolicyRequest) -> Result<PolicyUpdate, AppError> {
    let paths = mask(req.update_mask.as_ref())?;
    let p = req.policy.unwrap_or_default();
    let field = |name: &str| format!("policy.{name}");
    let mut policy = LedgerPolicy::default();
    for path in &paths {
        let bad = |why: &str| Err(AppError::invalid(field(path), why));
        match path.as_str() {
            "points_per_yuan" if !(1..=100_000).contains(&p.points_per_yuan) => {
                return bad("must be within 1..=100000");
            }
            "max_points_deduction_bps" if !(0..=10_000).contains(&p.max_points_deduction_bps) => {
                return bad("must be within 0..=10000");
            }
            "min_points_per_order" if !(0..=10_000_000).contains(&p.min_points_per_order) => {
                return bad("must be within 0..=10000000");
            }
            "expiry_days" if !(1..=3650).contains(&p.expiry_days) => {
                return bad("must be within 1..=3650");
            }
            "expiry_reminder_days" if !(1..=90).contains(&p.expiry_reminder_days) => {
                return bad("must be within 1..=90");
            }
            "restored_points_grace_days" if !(0..=365).contains(&p.restored_points_grace_days) => {
                return bad("must be within 0..=365");
            }
            "expiry_mode" => {
                policy.expiry_mode = ExpiryMode::from_number(p.expiry_mode)
                    .ok_or_else(|| AppError::invalid(field(path), "must be a known mode"))?;
            }
            "points_per_yuan"
            | "max_points_deduction_bps"
            | "min_points_per_order"
            | "stored_value_enabled"
            | "points_transfer_enabled"
            | "expiry_days"
            | "expiry_reminder_days"
            | "restored_points_grace_days"
            | "stored_value_earns" => {}
            other => return Err(AppError::UnknownFieldPath(other.to_owned())),
        }
    }
    policy.points_per_yuan = p.points_per_yuan;
    policy.max_points_deduction_bps = p.max_points_deduction_bps;
    policy.min_points_per_order = p.min_points_per_order;
    policy.stored_value_enabled = p.stored_value_enabled;
    policy.points_transfer_enabled = p.points_transfer_enabled;
    policy.expiry_days = p.expiry_days;
    policy.expiry_reminder_days = p.expiry_reminder_days;
    policy.restored_points_grace_days = p.restored_points_grace_days;
    policy.stored_value_earns = p.stored_value_earns;
    Ok(PolicyUpdate { policy, paths })
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn get(
    h: &Handlers,
    request: Request<pb::GetLedgerPolicyRequest>,
) -> R<pb::GetLedgerPolicyResponse> {
    let ctx = ctx(&request)?;
    let p = h.app.policy(&h.app.db, &ctx).await?;
    Ok(Response::new(pb::GetLedgerPolicyResponse {
        points_per_yuan: p.points_per_yuan,
        max_points_deduction_bps: p.max_points_deduction_bps,
        stored_value_enabled: p.stored_value_enabled,
        policy: Some((&p).into()),
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateLedgerPolicyRequest>,
) -> R<pb::UpdateLedgerPolicyResponse> {
    let ctx = ctx(&request)?;
    let input = parse(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let p = app.update_policy(txn, &ctx, input).await?;
                Ok(pb::UpdateLedgerPolicyResponse {
                    policy: Some((&p).into()),
                })
            })
        })
        .await
}
