//! The one path by which the PSP's word about a refund takes effect, as for payments: a final
//! status (SUCCESS, ABNORMAL, CLOSED), from a callback or a query, is recorded in the inbox under
//! WeChat's refund id and only the first record of a key applies. An ABNORMAL or CLOSED refund
//! may later succeed (handled in the console, or resubmitted by RetryRefund), so those are
//! keyed `<refund id>:<status>` and a success under the plain id still applies once. PROCESSING
//! is not a fact to record: it only marks the refund submitted.

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use uuid::Uuid;

use super::{psp, status};
use crate::AppError;
use crate::app::payments::notify::parse_time;
use crate::app::payments::{Notification, NotificationKind, Outcome};
use crate::repo;
use crate::repo::payments::inbox as inbox_repo;
use crate::repo::refunds::PspState;

/// What the PSP says about one refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PspRefund {
    /// `REFUND.SUCCESS`…, or `SUBMIT` / `QUERY` for an API answer.
    pub event_type: String,
    /// The PSP's notification id (empty for an API answer).
    pub psp_notification_id: String,
    /// WeChat's refund id.
    pub refund_id: String,
    /// The refund number (ours).
    pub out_refund_no: String,
    /// The payment's merchant order number.
    pub out_trade_no: String,
    /// `SUCCESS`, `PROCESSING`, `ABNORMAL`, `CLOSED`.
    pub status: String,
    /// Refunded, fen.
    pub refund_fen: i64,
    /// Where the money goes.
    pub received_account: String,
    /// When it succeeded (ms).
    pub succeeded_at_ms: Option<i64>,
}

impl PspRefund {
    /// The fact of a WeChat refund object.
    pub fn from_wechat(
        r: &siyu_wechatpay::model::Refund,
        event_type: &str,
        notification_id: &str,
    ) -> Self {
        use siyu_wechatpay::model::RefundStatus as S;
        Self {
            event_type: event_type.to_owned(),
            psp_notification_id: notification_id.to_owned(),
            refund_id: r.refund_id.clone(),
            out_refund_no: r.out_refund_no.clone(),
            out_trade_no: r.out_trade_no.clone(),
            status: match r.status {
                S::Processing => "PROCESSING",
                S::Success => "SUCCESS",
                S::Closed => "CLOSED",
                S::Abnormal => "ABNORMAL",
                S::Unknown => "UNKNOWN",
            }
            .to_owned(),
            refund_fen: r.amount.refund,
            received_account: r.user_received_account.clone().unwrap_or_default(),
            succeeded_at_ms: r.success_time.as_deref().and_then(parse_time),
        }
    }
}

/// What applying a fact did: the delivery's outcome, the inbox record when one was written, and
/// the refund that may now advance.
#[derive(Debug, Clone)]
pub struct Applied {
    /// APPLIED, DUPLICATE, IGNORED, AMOUNT_MISMATCH, UNKNOWN_REFERENCE.
    pub outcome: Outcome,
    /// The inbox record (none for PROCESSING, which is not recorded).
    pub record: Option<Notification>,
    /// The refund, when the fact changed it.
    pub advanced: Option<Uuid>,
}

/// Records `p` and applies it if it is the first record of its key (see the module docs).
pub async fn apply_refund(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &PspRefund,
    now_ms: i64,
) -> Result<Applied, AppError> {
    let local = repo::refunds::by_no(conn, tenant, &p.out_refund_no, true).await?;
    if p.status == "PROCESSING" {
        let mut advanced = None;
        if let Some(r) = local
            .as_ref()
            .filter(|r| r.psp_status == psp::NOT_SUBMITTED)
        {
            let state = PspState {
                psp_status: psp::PROCESSING,
                psp_refund_id: p.refund_id.clone(),
                ..PspState::default()
            };
            if repo::refunds::set_psp(conn, tenant, r.id, &state, status::PROCESSING, now_ms)
                .await?
            {
                advanced = Some(r.id);
            }
        }
        return Ok(Applied {
            outcome: Outcome::Ignored,
            record: None,
            advanced,
        });
    }
    let outcome = match &local {
        None => Outcome::UnknownReference,
        Some(r) if r.cash_fen != p.refund_fen => Outcome::AmountMismatch,
        Some(_) if !matches!(p.status.as_str(), "SUCCESS" | "ABNORMAL" | "CLOSED") => {
            Outcome::Ignored
        }
        Some(_) => Outcome::Applied,
    };
    let key = if p.status == "SUCCESS" {
        p.refund_id.clone()
    } else {
        format!("{}:{}", p.refund_id, p.status)
    };
    let record = Notification {
        id: siyu_core::id::new(),
        psp_notification_id: p.psp_notification_id.clone(),
        kind: NotificationKind::Refund,
        event_type: p.event_type.clone(),
        psp_key: key,
        out_trade_no: p.out_trade_no.clone(),
        out_refund_no: p.out_refund_no.clone(),
        payment_id: local.as_ref().and_then(|r| r.payment_id),
        refund_id: local.as_ref().map(|r| r.id),
        psp_state: p.status.clone(),
        amount_fen: p.refund_fen,
        outcome,
        delivery_count: 1,
        first_received_at_ms: now_ms,
        last_received_at_ms: now_ms,
    };
    let stored = inbox_repo::record(conn, tenant, &record).await?;
    let duplicate = stored.delivery_count > 1;
    // A failure seen again after RetryRefund (a CLOSED refund resubmitted under its number
    // answers CLOSED once more) puts the refund back to NEEDS_ATTENTION: that effect only sets
    // a state, and `set_psp` never undoes a success.
    let again = duplicate
        && p.status != "SUCCESS"
        && local
            .as_ref()
            .is_some_and(|r| r.status == status::PROCESSING);
    if duplicate && !again {
        return Ok(Applied {
            outcome: Outcome::Duplicate,
            record: Some(stored),
            advanced: None,
        });
    }
    let mut advanced = None;
    if let (Outcome::Applied, Some(r)) = (outcome, &local) {
        let (psp_status, refund_status, issue) = match p.status.as_str() {
            "SUCCESS" => (psp::SUCCESS, status::PROCESSING, ""),
            "ABNORMAL" => (
                psp::ABNORMAL,
                status::NEEDS_ATTENTION,
                "PSP_REFUND_ABNORMAL",
            ),
            _ => (psp::CLOSED, status::NEEDS_ATTENTION, "PSP_REFUND_CLOSED"),
        };
        let state = PspState {
            psp_status,
            psp_refund_id: p.refund_id.clone(),
            received_account: p.received_account.clone(),
            succeeded_at_ms: (psp_status == psp::SUCCESS)
                .then(|| p.succeeded_at_ms.unwrap_or(now_ms)),
        };
        if repo::refunds::set_psp(conn, tenant, r.id, &state, refund_status, now_ms).await? {
            advanced = Some(r.id);
            if let Some(case) = r.after_sale_id {
                repo::after_sales::set_issue(conn, tenant, case, issue).await?;
            }
        }
    }
    Ok(Applied {
        outcome: if duplicate {
            Outcome::Duplicate
        } else {
            outcome
        },
        record: Some(stored),
        advanced,
    })
}
