//! A JSAPI order and its states: NOTPAY → SUCCESS → REFUND, or NOTPAY → CLOSED.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::wire::beijing;

/// `trade_state` values a JSAPI order can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TradeState {
    NotPay,
    Success,
    Refund,
    Closed,
}

impl TradeState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::NotPay => "NOTPAY",
            Self::Success => "SUCCESS",
            Self::Refund => "REFUND",
            Self::Closed => "CLOSED",
        }
    }

    fn desc(self) -> &'static str {
        match self {
            Self::NotPay => "订单未支付",
            Self::Success => "支付成功",
            Self::Refund => "转入退款",
            Self::Closed => "订单已关闭",
        }
    }

    /// Paid at some point (SUCCESS or REFUND).
    pub(crate) fn is_paid(self) -> bool {
        matches!(self, Self::Success | Self::Refund)
    }
}

/// One order of one merchant.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub(crate) mchid: String,
    pub(crate) appid: String,
    pub(crate) out_trade_no: String,
    pub(crate) description: String,
    pub(crate) notify_url: String,
    pub(crate) attach: Option<String>,
    pub(crate) total: i64,
    pub(crate) openid: String,
    /// The first request body, for the "identical parameters" rule of re-entry.
    pub(crate) fingerprint: Value,
    pub(crate) time_expire: DateTime<Utc>,
    pub(crate) state: TradeState,
    pub(crate) transaction_id: Option<String>,
    pub(crate) success_time: Option<DateTime<Utc>>,
    pub(crate) prepay_id: String,
    pub(crate) prepay_issued_at: DateTime<Utc>,
    /// Refunded so far (not counting closed refunds), fen.
    pub(crate) refunded: i64,
    pub(crate) refund_count: u32,
    pub(crate) last_refund_at: Option<DateTime<Utc>>,
    /// Failed or abandoned payment attempts: they leave the order NOTPAY, with no callback.
    pub(crate) failed_attempts: u32,
}

impl Order {
    /// The state as seen at `now`: an unpaid order past `time_expire` is closed.
    pub(crate) fn state_at(&self, now: DateTime<Utc>) -> TradeState {
        if self.state == TradeState::NotPay && now >= self.time_expire {
            TradeState::Closed
        } else {
            self.state
        }
    }

    /// The transaction object of the query answer and of the callback.
    pub(crate) fn transaction_json(&self, now: DateTime<Utc>) -> Value {
        let state = self.state_at(now);
        let mut body = json!({
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": self.out_trade_no,
            "trade_state": state.as_str(),
            "trade_state_desc": state.desc(),
            "amount": { "total": self.total, "currency": "CNY", "payer_currency": "CNY" },
        });
        // Payment facts exist only once paid: transaction_id, payer, success_time, attach.
        if state.is_paid() {
            body["transaction_id"] = json!(self.transaction_id);
            body["trade_type"] = json!("JSAPI");
            body["bank_type"] = json!("OTHERS");
            body["attach"] = json!(self.attach.clone().unwrap_or_default());
            body["success_time"] = json!(self.success_time.map(beijing));
            body["payer"] = json!({ "openid": self.openid });
            body["amount"]["payer_total"] = json!(self.total);
            body["promotion_detail"] = json!([]);
        }
        body
    }
}

/// `out_trade_no`: 6–32 characters of `[0-9A-Za-z_-|*]`.
pub(crate) fn valid_out_trade_no(value: &str) -> bool {
    (6..=32).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'|' | b'*'))
}

/// `out_refund_no`: 1–64 characters of `[0-9A-Za-z_-|*@]`.
pub(crate) fn valid_out_refund_no(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'|' | b'*' | b'@'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_follow_the_documented_charset() {
        assert!(valid_out_trade_no("T_2026-1|*"));
        assert!(!valid_out_trade_no("T1234"));
        assert!(!valid_out_trade_no(&"A".repeat(33)));
        assert!(!valid_out_trade_no("T123456 "));
        assert!(!valid_out_trade_no("T12345@"));
        assert!(valid_out_refund_no("R@1"));
        assert!(!valid_out_refund_no(""));
        assert!(!valid_out_refund_no("R#1"));
    }
}
