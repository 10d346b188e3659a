//! Control endpoints of the payment half, under `/sandbox/pay`: register merchants, play the
//! user at the cashier, steer callbacks and refunds, rotate keys, produce bills.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::crypto::{self, RsaSigner};
use super::keys::{PlatformView, TEST_MERCHANT_KEY_PEM, TEST_MERCHANT_SERIAL};
use super::merchants::{Merchant, RefundFault, RefundOutcome};
use super::notify::{self, DeliveryOptions, DeliveryView};
use super::refunds;
use super::transactions::{ActionRefused, UserAction, user_action};
use crate::control::ControlError;
use crate::error::SandboxError;
use crate::state::AppState;

/// Body of `POST /sandbox/pay/merchants`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegisterMerchant {
    /// The merchant id; 10 random digits when absent.
    pub mchid: Option<String>,
    /// Mini-program appids bound to the merchant.
    #[serde(default)]
    pub appids: Vec<String>,
    /// The merchant API public key (PEM); the shipped TEST-ONLY key pair when absent.
    pub public_key_pem: Option<String>,
    /// The merchant certificate serial; the test key's serial when absent.
    pub serial_no: Option<String>,
    /// The 32-character APIv3 key; random when absent.
    pub apiv3_key: Option<String>,
}

/// Answer of `POST /sandbox/pay/merchants`: what to configure the client with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisteredMerchant {
    /// The merchant id.
    pub mchid: String,
    /// The serial the Authorization header must name.
    pub serial_no: String,
    /// The APIv3 key.
    pub apiv3_key: String,
    /// The TEST-ONLY private key, when the sandbox's own test key pair is used.
    pub private_key_pem: Option<String>,
}

/// Body of the cashier controls (`pay`, `fail`, `abandon`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CashierAction {
    /// The prepay id the mini program got.
    pub prepay_id: String,
    /// How the TRANSACTION.SUCCESS callback is delivered (pay only).
    #[serde(flatten, default)]
    pub delivery: DeliveryOptions,
}

/// Body naming one merchant.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MerchantRef {
    /// The merchant id.
    pub mchid: String,
}

/// Body of `POST /sandbox/pay/refunds/outcome`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetRefundOutcome {
    /// The merchant id.
    pub mchid: String,
    /// `SUCCESS` (default), `ABNORMAL`, `CLOSED`, or `HOLD` (stay PROCESSING).
    pub outcome: String,
}

/// Body of `POST /sandbox/pay/refunds/complete`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompleteRefund {
    /// The merchant id.
    pub mchid: String,
    /// The refund.
    pub out_refund_no: String,
    /// `SUCCESS`, `ABNORMAL` or `CLOSED`.
    pub status: String,
}

/// Body of `POST /sandbox/pay/refunds/fault`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InjectRefundFault {
    /// The merchant id.
    pub mchid: String,
    /// `NOT_ENOUGH` (403), `FREQUENCY_LIMITED` (429) or `SYSTEM_ERROR` (500).
    pub code: String,
    /// Create the refund anyway (the caller still sees the error).
    #[serde(default)]
    pub accept: bool,
}

/// Body of `POST /sandbox/pay/probes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProbeAnswers {
    /// The merchant id.
    pub mchid: String,
    /// How many next answers get a probe signature.
    pub answers: u32,
}

/// Body of `POST /sandbox/pay/notifications/release`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseNotifications {
    /// The merchant id.
    pub mchid: String,
    /// Deliver newest first.
    #[serde(default)]
    pub reverse: bool,
}

/// Body of `POST /sandbox/pay/notifications/resend`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResendNotification {
    /// The notification id.
    pub id: String,
    /// Delivery options for the copy.
    #[serde(flatten, default)]
    pub delivery: DeliveryOptions,
}

/// Query of `GET /sandbox/pay/notifications` and `GET /sandbox/pay/bills`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PayFilter {
    /// The merchant id.
    pub mchid: String,
    /// For bills: `YYYY-MM-DD`.
    pub bill_date: Option<String>,
    /// For bills: `ALL`, `SUCCESS`, `REFUND`.
    pub bill_type: Option<String>,
}

/// Body of `POST /sandbox/pay/trades`: a payment WeChat collected that the merchant's own
/// system never recorded (another till, a record lost), so it shows only in the bill.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordTrade {
    /// The merchant id.
    pub mchid: String,
    /// The app the payer paid in.
    pub appid: String,
    /// The merchant order number.
    pub out_trade_no: String,
    /// The amount, fen (> 0).
    pub total: i64,
    /// The payer's openid.
    #[serde(default)]
    pub openid: String,
    /// When WeChat received the money (its bill day follows, Asia/Shanghai).
    pub success_time: chrono::DateTime<chrono::Utc>,
}

/// Answer of `GET /sandbox/pay/notifications`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotificationLog {
    /// Callbacks in creation order.
    pub notifications: Vec<DeliveryView>,
}

/// The payment control routes, relative to `/sandbox/pay`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/merchants", post(register_merchant))
        .route("/platform", get(platform))
        .route("/platform/rotate-certificate", post(rotate_certificate))
        .route("/platform/enable-public-key", post(enable_public_key))
        .route("/platform/revoke-certificates", post(revoke_certificates))
        .route("/transactions/pay", post(pay))
        .route("/transactions/fail", post(fail))
        .route("/transactions/abandon", post(abandon))
        .route("/refunds/outcome", post(refund_outcome))
        .route("/refunds/complete", post(complete_refund))
        .route("/refunds/fault", post(refund_fault))
        .route("/probes", post(probes))
        .route("/notifications", get(notifications))
        .route("/notifications/hold", post(hold))
        .route("/notifications/release", post(release))
        .route("/notifications/resend", post(resend))
        .route("/bills", get(bill))
        .route("/trades", post(record_trade))
}

fn invalid(message: impl Into<String>) -> ControlError {
    SandboxError::InvalidControlRequest(message.into()).into()
}

fn not_found(message: impl Into<String>) -> ControlError {
    SandboxError::NotFound(message.into()).into()
}

async fn register_merchant(
    State(state): State<AppState>,
    Json(request): Json<RegisterMerchant>,
) -> Result<Json<RegisteredMerchant>, ControlError> {
    let mchid = request
        .mchid
        .unwrap_or_else(|| format!("19{}", super::transactions::digits(&state, 8)));
    let (public_key, serial_no, private_key_pem) = match request.public_key_pem {
        Some(pem) => (
            crypto::public_key_from_pem(&pem).map_err(invalid)?,
            request
                .serial_no
                .ok_or_else(|| invalid("serial_no is required with public_key_pem"))?,
            None,
        ),
        None => {
            let signer = RsaSigner::from_pem(TEST_MERCHANT_KEY_PEM).map_err(invalid)?;
            (
                signer.public_key(),
                request
                    .serial_no
                    .unwrap_or_else(|| TEST_MERCHANT_SERIAL.to_owned()),
                Some(TEST_MERCHANT_KEY_PEM.to_owned()),
            )
        }
    };
    let apiv3_key = request
        .apiv3_key
        .unwrap_or_else(|| state.random.alphanumeric(32));
    if apiv3_key.len() != 32 {
        return Err(invalid("apiv3_key must be 32 characters"));
    }
    let merchant = Merchant {
        mchid: mchid.clone(),
        serial_no: serial_no.clone(),
        public_key,
        apiv3_key: apiv3_key.clone(),
        appids: request.appids,
        refund_outcome: RefundOutcome::Settle("SUCCESS"),
        refund_faults: Vec::new(),
        probe_answers: 0,
        close_unknown_is_404: false,
    };
    state.pay.world().merchants.insert(mchid.clone(), merchant);
    Ok(Json(RegisteredMerchant {
        mchid,
        serial_no,
        apiv3_key,
        private_key_pem,
    }))
}

async fn platform(State(state): State<AppState>) -> Json<PlatformView> {
    Json(state.pay.world().platform.view())
}

async fn rotate_certificate(
    State(state): State<AppState>,
) -> Result<Json<PlatformView>, ControlError> {
    let mut world = state.pay.world();
    world
        .platform
        .rotate_certificate(state.clock.now())
        .map_err(|e| ControlError(SandboxError::Conflict(e)))?;
    Ok(Json(world.platform.view()))
}

async fn enable_public_key(State(state): State<AppState>) -> Json<PlatformView> {
    let mut world = state.pay.world();
    world.platform.public_key_enabled = true;
    Json(world.platform.view())
}

async fn revoke_certificates(State(state): State<AppState>) -> Json<PlatformView> {
    let mut world = state.pay.world();
    world.platform.public_key_enabled = true;
    world.platform.certificates_revoked = true;
    Json(world.platform.view())
}

async fn pay(
    State(state): State<AppState>,
    Json(request): Json<CashierAction>,
) -> Result<Json<Value>, ControlError> {
    cashier(&state, &request, UserAction::Pay)
}

async fn fail(
    State(state): State<AppState>,
    Json(request): Json<CashierAction>,
) -> Result<Json<Value>, ControlError> {
    cashier(&state, &request, UserAction::Fail)
}

async fn abandon(
    State(state): State<AppState>,
    Json(request): Json<CashierAction>,
) -> Result<Json<Value>, ControlError> {
    cashier(&state, &request, UserAction::Abandon)
}

fn cashier(
    state: &AppState,
    request: &CashierAction,
    action: UserAction,
) -> Result<Json<Value>, ControlError> {
    user_action(state, &request.prepay_id, action, request.delivery)
        .map(Json)
        .map_err(|refused| match refused {
            ActionRefused::UnknownPrepay => {
                not_found(format!("unknown prepay_id {}", request.prepay_id))
            }
            ActionRefused::Expired => ControlError(SandboxError::Conflict(
                "prepay_id expired (2 hours) or superseded; prepay again with identical parameters"
                    .into(),
            )),
            ActionRefused::NotPayable(state) => {
                ControlError(SandboxError::Conflict(format!("the order is {state}")))
            }
        })
}

fn with_merchant<T>(
    state: &AppState,
    mchid: &str,
    change: impl FnOnce(&mut Merchant) -> T,
) -> Result<T, ControlError> {
    let mut world = state.pay.world();
    let merchant = world
        .merchants
        .get_mut(mchid)
        .ok_or_else(|| not_found(format!("unknown mchid {mchid}")))?;
    Ok(change(merchant))
}

fn refund_status(value: &str) -> Result<&'static str, ControlError> {
    match value {
        "SUCCESS" => Ok("SUCCESS"),
        "ABNORMAL" => Ok("ABNORMAL"),
        "CLOSED" => Ok("CLOSED"),
        other => Err(invalid(format!("unknown refund status {other}"))),
    }
}

async fn refund_outcome(
    State(state): State<AppState>,
    Json(request): Json<SetRefundOutcome>,
) -> Result<StatusCode, ControlError> {
    let outcome = match request.outcome.as_str() {
        "HOLD" => RefundOutcome::Hold,
        other => RefundOutcome::Settle(refund_status(other)?),
    };
    with_merchant(&state, &request.mchid, |m| m.refund_outcome = outcome)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn complete_refund(
    State(state): State<AppState>,
    Json(request): Json<CompleteRefund>,
) -> Result<Json<Value>, ControlError> {
    let status = refund_status(&request.status)?;
    refunds::settle(&state, &request.mchid, &request.out_refund_no, status)
        .map(Json)
        .ok_or_else(|| not_found(format!("unknown refund {}", request.out_refund_no)))
}

async fn refund_fault(
    State(state): State<AppState>,
    Json(request): Json<InjectRefundFault>,
) -> Result<StatusCode, ControlError> {
    let code = match request.code.as_str() {
        "NOT_ENOUGH" => "NOT_ENOUGH",
        "FREQUENCY_LIMITED" => "FREQUENCY_LIMITED",
        "SYSTEM_ERROR" => "SYSTEM_ERROR",
        other => return Err(invalid(format!("unknown fault {other}"))),
    };
    let fault = RefundFault {
        code,
        accept: request.accept,
    };
    with_merchant(&state, &request.mchid, |m| m.refund_faults.push(fault))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn probes(
    State(state): State<AppState>,
    Json(request): Json<ProbeAnswers>,
) -> Result<StatusCode, ControlError> {
    with_merchant(&state, &request.mchid, |m| {
        m.probe_answers = request.answers
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn notifications(
    State(state): State<AppState>,
    Query(filter): Query<PayFilter>,
) -> Json<NotificationLog> {
    let world = state.pay.world();
    let notifications = world
        .notifications
        .log
        .iter()
        .filter(|(n, _)| n.mchid == filter.mchid)
        .map(|(_, view)| view.clone())
        .collect();
    Json(NotificationLog { notifications })
}

async fn hold(
    State(state): State<AppState>,
    Json(request): Json<MerchantRef>,
) -> Result<StatusCode, ControlError> {
    with_merchant(&state, &request.mchid, |_| ())?;
    state
        .pay
        .world()
        .notifications
        .holding
        .insert(request.mchid);
    Ok(StatusCode::NO_CONTENT)
}

async fn release(
    State(state): State<AppState>,
    Json(request): Json<ReleaseNotifications>,
) -> Result<StatusCode, ControlError> {
    let mut held = {
        let mut world = state.pay.world();
        world.notifications.holding.remove(&request.mchid);
        world
            .notifications
            .held
            .remove(&request.mchid)
            .unwrap_or_default()
    };
    if request.reverse {
        held.reverse();
    }
    // One after the other, so arrival order is the order asked for.
    let state = state.clone();
    tokio::spawn(async move {
        for (notification, options) in held {
            notify::deliver(&state, &notification, options.probe).await;
        }
    });
    Ok(StatusCode::NO_CONTENT)
}

async fn resend(
    State(state): State<AppState>,
    Json(request): Json<ResendNotification>,
) -> Result<StatusCode, ControlError> {
    let notification = state
        .pay
        .world()
        .notifications
        .log
        .iter()
        .find(|(n, _)| n.id == request.id)
        .map(|(n, _)| n.clone())
        .ok_or_else(|| not_found(format!("unknown notification {}", request.id)))?;
    notify::dispatch(&state, notification, request.delivery);
    Ok(StatusCode::NO_CONTENT)
}

/// Records a SUCCESS trade with no prepay and no callback (the merchant never knew of it); it
/// is queryable and in the bill of its day like any payment. Answers the transaction.
async fn record_trade(
    State(state): State<AppState>,
    Json(request): Json<RecordTrade>,
) -> Result<Json<Value>, ControlError> {
    if request.total <= 0 || request.out_trade_no.is_empty() {
        return Err(invalid("total must be > 0 and out_trade_no set"));
    }
    let transaction_id = format!("4200{}", super::transactions::digits(&state, 24));
    let mut world = state.pay.world();
    if !world.merchants.contains_key(&request.mchid) {
        return Err(not_found(format!("unknown merchant {}", request.mchid)));
    }
    let key = (request.mchid.clone(), request.out_trade_no.clone());
    if world.orders.contains_key(&key) {
        return Err(ControlError(SandboxError::Conflict(format!(
            "out_trade_no {} exists",
            request.out_trade_no
        ))));
    }
    let at = request.success_time;
    let order = super::orders::Order {
        mchid: request.mchid.clone(),
        appid: request.appid.clone(),
        out_trade_no: request.out_trade_no.clone(),
        description: "outside the merchant system".into(),
        notify_url: String::new(),
        attach: None,
        total: request.total,
        openid: request.openid.clone(),
        fingerprint: Value::Null,
        time_expire: at,
        state: super::orders::TradeState::Success,
        transaction_id: Some(transaction_id.clone()),
        success_time: Some(at),
        prepay_id: String::new(),
        prepay_issued_at: at,
        refunded: 0,
        refund_count: 0,
        last_refund_at: None,
        failed_attempts: 0,
    };
    let answer = order.transaction_json(state.clock.now());
    world.orders.insert(key.clone(), order);
    world.transactions.insert(transaction_id, key);
    Ok(Json(answer))
}

async fn bill(
    State(state): State<AppState>,
    Query(filter): Query<PayFilter>,
) -> Result<Response, ControlError> {
    let date = filter
        .bill_date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| invalid("bill_date must be YYYY-MM-DD"))?;
    let bill_type = match filter.bill_type.as_deref() {
        None | Some("ALL") => "ALL",
        Some("SUCCESS") => "SUCCESS",
        Some("REFUND") => "REFUND",
        Some(other) => return Err(invalid(format!("unknown bill_type {other}"))),
    };
    let now = state.clock.now();
    let content = super::bill::render(&state.pay.world(), &filter.mchid, date, bill_type, now)
        .ok_or_else(|| not_found("no trades that day"))?;
    let mut response = (StatusCode::OK, content).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    Ok(response)
}
