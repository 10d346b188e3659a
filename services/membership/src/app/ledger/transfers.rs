//! TransferPoints: points moved from one member to another (e.g. family) in one TRANSFER
//! entry whose postings are the sender's lots (oldest-expiring first) and new lots of the
//! recipient with the same expiry dates — moved points keep their expiry. Both balance rows are
//! locked in id order, so two transfers between the same members in opposite directions never
//! wait on each other in a cycle. Off unless the tenant's policy allows transfers.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;

use super::{Begun, begin, delta_of, head, lock, new_lot, take_points};
use crate::app::domain::{BalanceReport, EntryType, JournalEntry, MemberId, Posting};
use crate::app::{App, callers};
use crate::{AppError, repo};

/// Who receives a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// By member id.
    Member(MemberId),
    /// By card number (what a consumer knows).
    Card(String),
}

/// A TransferPoints request, parsed.
#[derive(Debug, Clone)]
pub struct Transfer {
    /// The sender (consumers: themselves).
    pub from: Option<MemberId>,
    /// The recipient.
    pub to: Recipient,
    /// Points, ≥ 1.
    pub points: i64,
    /// The caller's business key.
    pub key: String,
    /// Note shown to both.
    pub note: String,
}

impl App {
    /// TransferPoints.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn transfer(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        t: Transfer,
    ) -> Result<(JournalEntry, BalanceReport), AppError> {
        let now_ms = self.now_ms();
        let sender = callers::member(conn, ctx, t.from, false).await?;
        let recipient = match &t.to {
            Recipient::Member(id) => repo::members::by_id(conn, ctx.tenant, *id, false).await?,
            Recipient::Card(card) => repo::members::by_card(conn, ctx.tenant, card).await?,
        }
        .ok_or(AppError::MemberNotFound)?;
        if recipient.id == sender.id {
            return Err(AppError::TransferToSelf);
        }
        if !repo::ledger::policy::get(conn, ctx.tenant)
            .await?
            .points_transfer_enabled
        {
            return Err(AppError::PointsTransferDisabled);
        }
        let fingerprint = format!("transfer|{}|{}|{}", sender.id, recipient.id, t.points);
        let mut h = head(
            ctx,
            EntryType::Transfer,
            sender.id,
            t.key,
            fingerprint,
            now_ms,
        );
        h.description = "积分转赠".into();
        h.reason = t.note;
        h.reference_id = recipient.id.to_string();
        if let Begun::Repeat(entry) = begin(conn, ctx.tenant, &h).await? {
            let balances = self.balance_report(conn, ctx, sender.id).await?;
            return Ok((*entry, balances));
        }
        let (first, second) = if sender.id.0 < recipient.id.0 {
            (sender.id, recipient.id)
        } else {
            (recipient.id, sender.id)
        };
        let a = lock(conn, ctx, first, now_ms).await?;
        let b = lock(conn, ctx, second, now_ms).await?;
        let (from, to) = if a.member.id == sender.id {
            (a, b)
        } else {
            (b, a)
        };
        if let Some(refusal) = from.member.refuses_writes() {
            return Err(refusal);
        }
        if to.member.refuses_writes().is_some() {
            return Err(AppError::MemberNotFound);
        }
        if from.balances.points_available < t.points {
            return Err(AppError::PointsInsufficient {
                available: from.balances.points_available,
                requested: t.points,
            });
        }
        let (mut postings, taken) = take_points(conn, ctx.tenant, sender.id, t.points).await?;
        for (lot, n) in taken {
            let expires = repo::ledger::lots::get(conn, ctx.tenant, lot)
                .await?
                .and_then(|l| l.expires_at_ms);
            let (_, credit) =
                new_lot(conn, ctx.tenant, recipient.id, n, expires, h.id, now_ms).await?;
            postings.push(credit);
        }
        let entry = post_between(conn, ctx, &h, postings, recipient.id).await?;
        let balances = self.balance_report(conn, ctx, sender.id).await?;
        Ok((entry, balances))
    }
}

/// Like `post`, for an entry between the head's member and `other`: each member's balances
/// change by their own postings.
pub(super) async fn post_between(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    h: &repo::ledger::EntryHead,
    postings: Vec<Posting>,
    other: MemberId,
) -> Result<JournalEntry, AppError> {
    if !crate::app::domain::balanced(&postings) {
        return Err(AppError::Internal(format!("unbalanced entry {}", h.key)));
    }
    let mine: Vec<Posting> = postings
        .iter()
        .filter(|p| p.member == Some(h.member_id))
        .cloned()
        .collect();
    let theirs: Vec<Posting> = postings
        .iter()
        .filter(|p| p.member == Some(other))
        .cloned()
        .collect();
    if mine.len() + theirs.len() != postings.len() {
        return Err(AppError::Internal(format!(
            "entry {} posts to a third party",
            h.key
        )));
    }
    let (d_mine, d_theirs) = (delta_of(&mine), delta_of(&theirs));
    let sv_mine = d_mine.sv_principal + d_mine.sv_bonus;
    repo::ledger::complete(
        conn,
        ctx.tenant,
        h,
        &postings,
        d_mine.points_available,
        sv_mine,
    )
    .await?;
    for (member, delta) in [(h.member_id, &d_mine), (other, &d_theirs)] {
        repo::ledger::balances::apply(conn, ctx.tenant, member, delta, h.created_at_ms)
            .await?
            .ok_or_else(|| AppError::Internal(format!("entry {} would overdraw", h.key)))?;
    }
    Ok(JournalEntry {
        id: h.id,
        entry_type: h.entry_type,
        member_id: h.member_id,
        key: h.key.clone(),
        order_id: None,
        refund_id: None,
        hold_id: None,
        rule_id: None,
        points_delta: d_mine.points_available,
        sv_delta: sv_mine,
        description: h.description.clone(),
        reason: h.reason.clone(),
        operator_id: h.operator_id.clone(),
        reference_id: h.reference_id.clone(),
        postings,
        created_at_ms: h.created_at_ms,
    })
}
