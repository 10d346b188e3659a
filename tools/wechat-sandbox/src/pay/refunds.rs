//! Domestic refunds: create (accepted as PROCESSING), query, settle with a REFUND.* callback.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::auth::{Caller, authenticate};
use super::merchants::RefundOutcome;
use super::notify::{self, DeliveryOptions, Notification};
use super::orders::{TradeState, valid_out_refund_no};
use super::transactions::{digits, parse_object, required_str};
use super::wire::{PayError, beijing, signed};
use crate::state::AppState;

/// Most partial refunds on one order.
const MAX_REFUNDS_PER_ORDER: u32 = 50;

/// One refund.
#[derive(Debug, Clone)]
pub(crate) struct RefundRecord {
    pub(crate) mchid: String,
    pub(crate) refund_id: String,
    pub(crate) out_refund_no: String,
    pub(crate) out_trade_no: String,
    pub(crate) transaction_id: String,
    pub(crate) refund: i64,
    pub(crate) total: i64,
    pub(crate) status: &'static str,
    pub(crate) create_time: DateTime<Utc>,
    pub(crate) success_time: Option<DateTime<Utc>>,
    pub(crate) notify_url: Option<String>,
}

impl RefundRecord {
    /// The refund object of the create and query answers.
    pub(crate) fn json(&self) -> Value {
        let mut body = json!({
            "refund_id": self.refund_id,
            "out_refund_no": self.out_refund_no,
            "transaction_id": self.transaction_id,
            "out_trade_no": self.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": beijing(self.create_time),
            "status": self.status,
            "funds_account": "AVAILABLE",
            "amount": {
                "total": self.total, "refund": self.refund, "payer_total": self.total,
                "payer_refund": self.refund, "settlement_total": self.total,
                "settlement_refund": self.refund, "discount_refund": 0, "currency": "CNY",
                "from": [], "refund_fee": 0,
            },
            "promotion_detail": [],
        });
        if let Some(at) = self.success_time {
            body["success_time"] = json!(beijing(at));
        }
        body
    }

    /// The decrypted resource of a REFUND.* callback.
    fn notification_json(&self) -> Value {
        let mut body = json!({
            "mchid": self.mchid,
            "out_trade_no": self.out_trade_no,
            "transaction_id": self.transaction_id,
            "out_refund_no": self.out_refund_no,
            "refund_id": self.refund_id,
            "refund_status": self.status,
            "user_received_account": "支付用户零钱",
            "amount": { "total": self.total, "refund": self.refund, "payer_total": self.total, "payer_refund": self.refund },
        });
        if let Some(at) = self.success_time {
            body["success_time"] = json!(beijing(at));
        }
        body
    }
}

/// `POST /v3/refund/domestic/refunds`.
pub(crate) async fn create(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = authenticate(&state, &method, &uri, &headers, &body)
        .and_then(|caller| refund(&state, &caller, &body).map(|r| (caller, r)));
    match result {
        Ok((caller, (record, fresh))) => {
            let signing = state
                .pay
                .answer_signing(&caller, &state.clock, &state.random);
            let response = signed(&signing, StatusCode::OK, Some(record.json()));
            if fresh {
                settle_by_outcome(&state, &caller, &record);
            }
            response
        }
        Err(error) => error.into_response(),
    }
}

/// `GET /v3/refund/domestic/refunds/{out_refund_no}`.
pub(crate) async fn query(
    State(state): State<AppState>,
    Path(out_refund_no): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = authenticate(&state, &method, &uri, &headers, &body).and_then(|caller| {
        let world = state.pay.world();
        world
            .refunds
            .get(&(caller.merchant.mchid.clone(), out_refund_no))
            .map(|r| (caller.clone(), r.json()))
            .ok_or_else(|| {
                PayError::new(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "退款单不存在")
            })
    });
    match result {
        Ok((caller, body)) => {
            let signing = state
                .pay
                .answer_signing(&caller, &state.clock, &state.random);
            signed(&signing, StatusCode::OK, Some(body))
        }
        Err(error) => error.into_response(),
    }
}

/// Validates and records a refund; `(record, true)` when it is new.
fn refund(state: &AppState, caller: &Caller, raw: &[u8]) -> Result<(RefundRecord, bool), PayError> {
    let body = parse_object(raw)?;
    let out_refund_no = required_str(&body, "out_refund_no")?;
    if !valid_out_refund_no(out_refund_no) {
        return Err(PayError::param(
            "out_refund_no",
            "out_refund_no 须为1-64位数字、大小写字母、_-|*@ 组成",
        ));
    }
    let transaction_id = body.get("transaction_id").and_then(Value::as_str);
    let out_trade_no = body.get("out_trade_no").and_then(Value::as_str);
    if transaction_id.is_some() == out_trade_no.is_some() {
        return Err(PayError::param(
            "transaction_id",
            "transaction_id 和 out_trade_no 必须二选一",
        ));
    }
    let amount = |field: &str| -> Result<i64, PayError> {
        match body.pointer(&format!("/amount/{field}")) {
            None | Some(Value::Null) => Err(PayError::required(&format!("amount/{field}"))),
            Some(v) => v.as_i64().filter(|n| *n >= 1).ok_or_else(|| {
                PayError::param(
                    &format!("amount/{field}"),
                    format!("amount.{field} 须为大于0的整数（单位：分）"),
                )
            }),
        }
    };
    let (refund, total) = (amount("refund")?, amount("total")?);
    if required_str(&body, "amount/currency")? != "CNY" {
        return Err(PayError::param(
            "amount/currency",
            "amount.currency 仅支持 CNY",
        ));
    }
    let notify_url = body
        .get("notify_url")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mchid = caller.merchant.mchid.clone();
    let now = state.clock.now();

    let mut world = state.pay.world();
    // The same out_refund_no refunds once: a retry gets the existing refund.
    if let Some(existing) = world
        .refunds
        .get(&(mchid.clone(), out_refund_no.to_owned()))
    {
        return Ok((existing.clone(), false));
    }
    let key = match (transaction_id, out_trade_no) {
        (Some(id), _) => world
            .transactions
            .get(id)
            .filter(|(m, _)| *m == mchid)
            .cloned(),
        (None, Some(no)) => Some((mchid.clone(), no.to_owned())),
        (None, None) => None,
    };
    let not_found = || PayError::new(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "订单不存在");
    let key = key.ok_or_else(not_found)?;
    let fault = world
        .merchants
        .get_mut(&mchid)
        .and_then(|m| (!m.refund_faults.is_empty()).then(|| m.refund_faults.remove(0)));
    let order = world.orders.get_mut(&key).ok_or_else(not_found)?;
    if !order.state_at(now).is_paid() {
        return Err(PayError::new(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_EXISTS",
            "订单尚未支付",
        ));
    }
    if total != order.total {
        return Err(PayError::param(
            "amount/total",
            "amount.total 与原订单金额不一致",
        ));
    }
    if order.refunded + refund > order.total {
        return Err(PayError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "申请退款金额超过订单可退金额",
        ));
    }
    if order.refund_count >= MAX_REFUNDS_PER_ORDER {
        return Err(PayError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "部分退款次数超过50次",
        ));
    }
    if let Some(last) = order.last_refund_at
        && now - last < Duration::minutes(1)
    {
        return Err(PayError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "FREQUENCY_LIMITED",
            "同一笔订单的退款请求需间隔1分钟",
        ));
    }
    let injected = fault.map(|f| (fault_error(f.code), f.accept));
    if let Some((error, false)) = &injected {
        return Err(error.clone());
    }
    order.refunded += refund;
    order.refund_count += 1;
    order.last_refund_at = Some(now);
    order.state = TradeState::Refund;
    let record = RefundRecord {
        mchid: mchid.clone(),
        refund_id: format!("50{}", digits(state, 27)),
        out_refund_no: out_refund_no.to_owned(),
        out_trade_no: order.out_trade_no.clone(),
        transaction_id: order.transaction_id.clone().unwrap_or_default(),
        refund,
        total,
        status: "PROCESSING",
        create_time: now,
        success_time: None,
        notify_url,
    };
    world
        .refunds
        .insert((mchid, out_refund_no.to_owned()), record.clone());
    // An injected fault with `accept`: the refund exists, but the caller sees an error.
    if let Some((error, true)) = injected {
        drop(world);
        settle_by_outcome(state, caller, &record);
        return Err(error);
    }
    Ok((record, true))
}

fn fault_error(code: &'static str) -> PayError {
    match code {
        "NOT_ENOUGH" => PayError::new(
            StatusCode::FORBIDDEN,
            "NOT_ENOUGH",
            "基本账户余额不足，请充值后重新发起",
        ),
        "FREQUENCY_LIMITED" => PayError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "FREQUENCY_LIMITED",
            "频率限制",
        ),
        _ => PayError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SYSTEM_ERROR",
            "系统错误",
        ),
    }
}

fn settle_by_outcome(state: &AppState, caller: &Caller, record: &RefundRecord) {
    let outcome = state
        .pay
        .merchant(&caller.merchant.mchid)
        .map_or(RefundOutcome::Settle("SUCCESS"), |m| m.refund_outcome);
    if let RefundOutcome::Settle(status) = outcome {
        settle(state, &record.mchid, &record.out_refund_no, status);
    }
}

/// Moves a PROCESSING refund to `status` and sends the matching REFUND.* callback.
pub(crate) fn settle(
    state: &AppState,
    mchid: &str,
    out_refund_no: &str,
    status: &'static str,
) -> Option<Value> {
    let now = state.clock.now();
    let (record, merchant) = {
        let mut world = state.pay.world();
        let merchant = world.merchants.get(mchid).cloned()?;
        let record = world
            .refunds
            .get_mut(&(mchid.to_owned(), out_refund_no.to_owned()))?;
        if record.status != "PROCESSING" {
            return Some(record.json());
        }
        record.status = status;
        if status == "SUCCESS" {
            record.success_time = Some(now);
        }
        let record = record.clone();
        // A closed refund gives the amount back to what can still be refunded.
        if status == "CLOSED"
            && let Some(order) = world
                .orders
                .get_mut(&(mchid.to_owned(), record.out_trade_no.clone()))
        {
            order.refunded -= record.refund;
        }
        (record, merchant)
    };
    if let Some(url) = &record.notify_url {
        let summary = match status {
            "SUCCESS" => "退款成功",
            "CLOSED" => "退款关闭",
            _ => "退款异常",
        };
        let notification = Notification::build(
            state,
            &merchant,
            url,
            &format!("REFUND.{status}"),
            summary,
            "refund",
            &record.notification_json(),
            &record.out_trade_no,
        );
        notify::dispatch(state, notification, DeliveryOptions::default());
    }
    Some(record.json())
}
