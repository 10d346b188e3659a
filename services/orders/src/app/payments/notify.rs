//! `HandleWechatPayNotification`: a callback as the gateway received it is checked (caller,
//! route, timestamp window, signature, decryption) and then applied through the inbox in the
//! route's tenant.

use siyu_core::{Ctx, PrincipalKind};
use siyu_wechatpay::WechatPayError;
use siyu_wechatpay::error::SignatureError;
use siyu_wechatpay::model::TradeState;
use siyu_wechatpay::notify::VerifiedNotification;
// The client verifies callbacks from an HTTP header map (the `http` crate, as tonic exports it).
use tonic::codegen::http::{HeaderMap, HeaderName, HeaderValue};

use super::inbox::{self, PspPayment};
use super::merchant::Merchant;
use super::{Notification, NotificationKind, Outcome, PaymentError};
use crate::AppError;
use crate::app::App;
use crate::app::refunds::inbox::{PspRefund, apply_refund};
use crate::repo::payments::{inbox as inbox_repo, routes};

/// The gateway's service name (`sub` of its service token).
pub const GATEWAY: &str = "gateway";
/// The scope the gateway's token carries for notifications.
pub const NOTIFY_SCOPE: &str = "psp.notify";

/// A callback as received: the route key, the five `Wechatpay-*` headers and the raw body.
#[derive(Debug, Clone, Default)]
pub struct RawNotification {
    /// The `{route_key}` of the notify URL.
    pub route_key: String,
    /// `Wechatpay-Timestamp`.
    pub timestamp: String,
    /// `Wechatpay-Nonce`.
    pub nonce: String,
    /// `Wechatpay-Signature`.
    pub signature: String,
    /// `Wechatpay-Serial`.
    pub serial: String,
    /// `Wechatpay-Signature-Type` (empty: the default).
    pub signature_type: String,
    /// The body, byte for byte.
    pub body: Vec<u8>,
}

impl App {
    /// Verifies, decrypts and applies one callback. Returns what this delivery did and the
    /// inbox record.
    pub async fn handle_wechat_pay_notification(
        &self,
        caller: &Ctx,
        raw: RawNotification,
    ) -> Result<(Outcome, Notification), AppError> {
        require_gateway(caller)?;
        let merchant = self.notify_merchant(&raw.route_key).await?;
        let headers = header_map(&raw)?;
        let verified = match merchant.client.verify_notification(&headers, &raw.body) {
            Err(WechatPayError::Signature(SignatureError::UnknownSerial(serial))) => {
                // A platform key switch: trust what WeChat lists now, then try once more.
                merchant.client.refresh_certificates().await.map_err(|e| {
                    PaymentError::ProviderUnavailable(format!("certificate refresh: {e}"))
                })?;
                tracing::info!(%serial, "platform certificates refreshed for an unknown serial");
                merchant.client.verify_notification(&headers, &raw.body)
            }
            other => other,
        }
        .map_err(refusal)?;
        let now_ms = self.now_ms();
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let (outcome, record, advanced) = apply(&txn, &merchant, &verified, now_ms).await?;
        txn.commit().await?;
        if let Some(refund) = advanced {
            self.kick_refund(merchant.tenant, refund);
        }
        Ok((outcome, record))
    }

    /// The merchant a route key names (NOTIFY_ROUTE_UNKNOWN when none, or when the tenant's
    /// merchant is no longer the one the route was issued for).
    async fn notify_merchant(&self, route_key: &str) -> Result<std::sync::Arc<Merchant>, AppError> {
        let well_formed = (16..=64).contains(&route_key.len())
            && route_key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(PaymentError::NotifyRouteUnknown.into());
        }
        let (tenant, mch_id) = routes::find(&self.db, route_key)
            .await?
            .ok_or(PaymentError::NotifyRouteUnknown)?;
        let merchant = self.merchants.get(&self.db, tenant).await?;
        if merchant.mch_id != mch_id {
            return Err(PaymentError::NotifyRouteUnknown.into());
        }
        Ok(merchant)
    }
}

/// Only the gateway's service token may deliver notifications.
fn require_gateway(caller: &Ctx) -> Result<(), PaymentError> {
    let p = &caller.principal;
    if p.kind != PrincipalKind::Service {
        return Err(PaymentError::NotGateway("not a service token"));
    }
    if p.subject != GATEWAY {
        return Err(PaymentError::NotGateway("not the gateway"));
    }
    if !p.has_scope(NOTIFY_SCOPE) {
        return Err(PaymentError::NotGateway("scope psp.notify missing"));
    }
    Ok(())
}

/// The headers as the client reads them; a missing or unprintable one is malformed.
fn header_map(raw: &RawNotification) -> Result<HeaderMap, PaymentError> {
    let mut headers = HeaderMap::new();
    let pairs = [
        ("wechatpay-timestamp", &raw.timestamp),
        ("wechatpay-nonce", &raw.nonce),
        ("wechatpay-signature", &raw.signature),
        ("wechatpay-serial", &raw.serial),
        ("wechatpay-signature-type", &raw.signature_type),
    ];
    for (name, value) in pairs {
        if value.is_empty() {
            if name == "wechatpay-signature-type" {
                continue;
            }
            return Err(PaymentError::NotificationMalformed(format!(
                "{name} missing"
            )));
        }
        let value = HeaderValue::from_str(value)
            .map_err(|_| PaymentError::NotificationMalformed(format!("{name} unreadable")))?;
        headers.insert(HeaderName::from_static(name), value);
    }
    Ok(headers)
}

/// What a failed verification tells the caller.
fn refusal(err: WechatPayError) -> AppError {
    let err = match err {
        WechatPayError::Signature(SignatureError::Expired) => PaymentError::NotificationStale,
        WechatPayError::Signature(
            SignatureError::MissingHeader(_) | SignatureError::MalformedTimestamp,
        ) => PaymentError::NotificationMalformed(err.to_string()),
        WechatPayError::Signature(e) => PaymentError::SignatureInvalid(e.to_string()),
        WechatPayError::Decrypt => PaymentError::DecryptionFailed,
        WechatPayError::Malformed(m) => PaymentError::NotificationMalformed(m),
        other => return AppError::Internal(format!("notification: {other}")),
    };
    err.into()
}

/// Applies a verified callback in `conn`'s transaction; answers the refund it advanced, if any.
async fn apply(
    conn: &impl sea_orm::ConnectionTrait,
    merchant: &Merchant,
    verified: &VerifiedNotification,
    now_ms: i64,
) -> Result<(Outcome, Notification, Option<uuid::Uuid>), AppError> {
    let envelope = &verified.envelope;
    if envelope.event_type.starts_with("TRANSACTION.") {
        let t = verified
            .transaction()
            .map_err(|e| PaymentError::NotificationMalformed(e.to_string()))?;
        let transaction_id = t
            .transaction_id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| PaymentError::NotificationMalformed("transaction_id missing".into()))?;
        let amount = t.amount.clone().unwrap_or_default();
        let p = PspPayment {
            event_type: envelope.event_type.clone(),
            psp_notification_id: envelope.id.clone(),
            transaction_id,
            mch_id: t.mchid.clone(),
            out_trade_no: t.out_trade_no.clone(),
            trade_state: trade_state(t.trade_state).to_owned(),
            amount_fen: amount.total,
            currency: amount.currency,
            bank_type: t.bank_type.clone().unwrap_or_default(),
            paid_at_ms: t.success_time.as_deref().and_then(parse_time),
        };
        let (outcome, record) = inbox::apply_payment(conn, merchant.tenant, &p, now_ms).await?;
        return Ok((outcome, record, None));
    }
    if envelope.event_type.starts_with("REFUND.") {
        let r = verified
            .refund()
            .map_err(|e| PaymentError::NotificationMalformed(e.to_string()))?;
        if r.refund_id.is_empty() {
            return Err(PaymentError::NotificationMalformed("refund_id missing".into()).into());
        }
        let p = PspRefund::from_wechat(&r, &envelope.event_type, &envelope.id);
        let applied = apply_refund(conn, merchant.tenant, &p, now_ms).await?;
        if let Some(record) = applied.record {
            return Ok((applied.outcome, record, applied.advanced));
        }
        // A callback says PROCESSING only by mistake: recorded as an event, no effect.
    }
    let (kind, key) = (NotificationKind::Payment, format!("event:{}", envelope.id));
    let record = Notification {
        id: siyu_core::id::new(),
        psp_notification_id: envelope.id.clone(),
        kind,
        event_type: envelope.event_type.clone(),
        psp_key: key,
        out_trade_no: String::new(),
        out_refund_no: String::new(),
        payment_id: None,
        refund_id: None,
        psp_state: String::new(),
        amount_fen: 0,
        outcome: Outcome::Ignored,
        delivery_count: 1,
        first_received_at_ms: now_ms,
        last_received_at_ms: now_ms,
    };
    let stored = inbox_repo::record(conn, merchant.tenant, &record).await?;
    let outcome = if stored.delivery_count > 1 {
        Outcome::Duplicate
    } else {
        Outcome::Ignored
    };
    Ok((outcome, stored, None))
}

/// The wire name of a trade state.
pub fn trade_state(state: TradeState) -> &'static str {
    match state {
        TradeState::Success => "SUCCESS",
        TradeState::Refund => "REFUND",
        TradeState::NotPay => "NOTPAY",
        TradeState::Closed => "CLOSED",
        TradeState::Revoked => "REVOKED",
        TradeState::UserPaying => "USERPAYING",
        TradeState::PayError => "PAYERROR",
        TradeState::Accept => "ACCEPT",
        TradeState::Unknown => "UNKNOWN",
    }
}

/// An RFC 3339 time in ms.
pub fn parse_time(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}
