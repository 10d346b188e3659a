//! LedgerService on the wire: the ledger's shapes (entries, balances, lots, holds), and one
//! module per concept of its RPCs, named as in `app/ledger`.

use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;

use super::convert::cny;
use crate::app::domain::{BalanceReport, Hold, JournalEntry, Lot, Posting};

pub(super) mod adjustments;
pub(super) mod check_ins;
pub(super) mod earning_rules;
pub(super) mod expiring;
pub(super) mod holds;
pub(super) mod points;
pub(super) mod policy;
pub(super) mod reads;
pub(super) mod refunds;
pub(super) mod reports;
pub(super) mod top_up_plans;
pub(super) mod top_ups;
pub(super) mod transfers;

/// The postings as the wire shows them: the ledger keeps stored value held or spent as its
/// principal and bonus parts, the contract has one account each, so same-account legs of one
/// member and lot are summed.
fn postings_to_wire(postings: &[Posting]) -> Vec<pb::Posting> {
    let mut out: Vec<pb::Posting> = Vec::with_capacity(postings.len());
    for p in postings {
        let member_id = p.member.map(|m| m.to_string()).unwrap_or_default();
        let lot_id = p.lot_id.map(|l| l.to_string()).unwrap_or_default();
        let account = i32::from(p.account.number());
        if let Some(same) = out
            .iter_mut()
            .find(|o| o.account == account && o.member_id == member_id && o.lot_id == lot_id)
        {
            same.amount += p.amount;
            continue;
        }
        out.push(pb::Posting {
            account,
            member_id,
            amount: p.amount,
            lot_id,
        });
    }
    out.retain(|p| p.amount != 0);
    out
}

impl From<&JournalEntry> for pb::JournalEntry {
    fn from(e: &JournalEntry) -> Self {
        let s = |id: Option<uuid::Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
        Self {
            entry_id: e.id.to_string(),
            r#type: i32::from(e.entry_type.number()),
            member_id: e.member_id.to_string(),
            idempotency_key: e.key.clone(),
            order_id: s(e.order_id),
            refund_id: s(e.refund_id),
            hold_id: s(e.hold_id),
            rule_id: s(e.rule_id),
            points_delta: e.points_delta,
            stored_value_delta: cny(e.sv_delta),
            description: e.description.clone(),
            reason: e.reason.clone(),
            operator_id: e.operator_id.clone(),
            postings: postings_to_wire(&e.postings),
            created_at: Some(timestamp_ms(e.created_at_ms)),
        }
    }
}

impl From<&BalanceReport> for pb::Balances {
    fn from(r: &BalanceReport) -> Self {
        let b = &r.balances;
        Self {
            member_id: r.member_id.to_string(),
            points_available: b.points_available,
            points_held: b.points_held,
            points_expiring_soon: r.points_expiring_soon,
            next_expiry_at: r.next_expiry_ms.map(timestamp_ms),
            stored_value_principal: cny(b.sv_principal),
            stored_value_bonus: cny(b.sv_bonus),
            stored_value_held: cny(b.sv_held_principal + b.sv_held_bonus),
            stored_value_available: cny(b.sv_available()),
            points_earned_total: b.points_earned_total,
        }
    }
}

impl From<&Lot> for pb::PointsLot {
    fn from(l: &Lot) -> Self {
        Self {
            lot_id: l.id.to_string(),
            member_id: l.member_id.to_string(),
            original_points: l.original,
            remaining_points: l.remaining,
            expires_at: l.expires_at_ms.map(timestamp_ms),
            entry_id: l.entry_id.to_string(),
            created_at: Some(timestamp_ms(l.created_at_ms)),
        }
    }
}

impl From<&Hold> for pb::Hold {
    fn from(h: &Hold) -> Self {
        let stored_value = h.kind == crate::app::domain::HoldKind::StoredValue;
        let money = |fen: i64| if stored_value { cny(fen) } else { None };
        Self {
            hold_id: h.id.to_string(),
            order_id: h.order_id.to_string(),
            member_id: h.member_id.to_string(),
            kind: i32::from(h.kind.number()),
            status: i32::from(h.status.number()),
            points: h.points,
            amount: money(h.amount),
            principal_part: money(h.principal_part),
            bonus_part: money(h.bonus_part),
            refunded_points: h.refunded_points,
            refunded_amount: money(h.refunded_amount),
            created_at: Some(timestamp_ms(h.created_at_ms)),
            settled_at: h.settled_at_ms.map(timestamp_ms),
            release_reason: h.release_reason.clone(),
            attempt: h.attempt,
        }
    }
}
