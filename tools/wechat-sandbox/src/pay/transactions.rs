//! JSAPI prepay, query (by out_trade_no and by transaction_id) and close, plus the user's
//! side of paying that the control API drives (pay, fail, abandon).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::auth::{Caller, authenticate};
use super::notify::{self, DeliveryOptions};
use super::orders::{Order, TradeState, valid_out_trade_no};
use super::wire::{PayError, signed};
use crate::state::AppState;

/// `POST /v3/pay/transactions/jsapi`.
pub(crate) async fn jsapi(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = authenticate(&state, &method, &uri, &headers, &body)
        .and_then(|caller| prepay(&state, &caller, &body).map(|id| (caller, id)));
    match result {
        Ok((caller, prepay_id)) => {
            let signing = state
                .pay
                .answer_signing(&caller, &state.clock, &state.random);
            signed(
                &signing,
                StatusCode::OK,
                Some(json!({ "prepay_id": prepay_id })),
            )
        }
        Err(error) => error.into_response(),
    }
}

/// `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=`.
pub(crate) async fn query_by_out_trade_no(
    State(state): State<AppState>,
    Path(out_trade_no): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = authenticate(&state, &method, &uri, &headers, &body).and_then(|caller| {
        check_query_mchid(&uri, &caller)?;
        let now = state.clock.now();
        let world = state.pay.world();
        let order = world
            .orders
            .get(&(caller.merchant.mchid.clone(), out_trade_no))
            .ok_or_else(PayError::order_not_exist)?;
        Ok((caller, order.transaction_json(now)))
    });
    answer(&state, result)
}

/// `GET /v3/pay/transactions/id/{transaction_id}?mchid=`: only paid orders have one.
pub(crate) async fn query_by_id(
    State(state): State<AppState>,
    Path(transaction_id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = authenticate(&state, &method, &uri, &headers, &body).and_then(|caller| {
        check_query_mchid(&uri, &caller)?;
        let now = state.clock.now();
        let world = state.pay.world();
        let order = world
            .transactions
            .get(&transaction_id)
            .filter(|(mchid, _)| *mchid == caller.merchant.mchid)
            .and_then(|key| world.orders.get(key))
            .ok_or_else(PayError::order_not_exist)?;
        Ok((caller, order.transaction_json(now)))
    });
    answer(&state, result)
}

/// `POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close` → 204.
pub(crate) async fn close(
    State(state): State<AppState>,
    Path(out_trade_no): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = authenticate(&state, &method, &uri, &headers, &body).and_then(|caller| {
        let json = parse_object(&body)?;
        let mchid = required_str(&json, "mchid")?;
        if mchid != caller.merchant.mchid {
            return Err(mchid_mismatch());
        }
        let now = state.clock.now();
        let mut world = state.pay.world();
        match world.orders.get_mut(&(mchid.to_owned(), out_trade_no)) {
            None if caller.merchant.close_unknown_is_404 => Err(PayError::order_not_exist()),
            // Observed in production: closing a mistyped out_trade_no answers 204.
            None => Ok(caller),
            Some(order) => match order.state_at(now) {
                TradeState::Success | TradeState::Refund => Err(order_paid()),
                TradeState::NotPay | TradeState::Closed => {
                    order.state = TradeState::Closed;
                    Ok(caller)
                }
            },
        }
    });
    match result {
        Ok(caller) => {
            let signing = state
                .pay
                .answer_signing(&caller, &state.clock, &state.random);
            signed(&signing, StatusCode::NO_CONTENT, None)
        }
        Err(error) => error.into_response(),
    }
}

fn answer(state: &AppState, result: Result<(Caller, Value), PayError>) -> Response {
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

/// The query's `mchid` parameter must be present and be the caller's.
fn check_query_mchid(uri: &Uri, caller: &Caller) -> Result<(), PayError> {
    let params = crate::wire::query_params(uri);
    match params.get("mchid").map(String::as_str) {
        None | Some("") => Err(PayError::new(
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "输入源“/query/mchid”映射到字段“mchid”必填性规则校验失败，此字段为必填项",
        )),
        Some(mchid) if mchid != caller.merchant.mchid => Err(mchid_mismatch()),
        Some(_) => Ok(()),
    }
}

pub(crate) fn mchid_mismatch() -> PayError {
    PayError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
        "http header中的mchid与post payload中的mchid不匹配",
    )
}

pub(crate) fn order_paid() -> PayError {
    PayError::new(StatusCode::BAD_REQUEST, "ORDERPAID", "该订单已支付")
}

pub(crate) fn parse_object(body: &[u8]) -> Result<Value, PayError> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| {
            PayError::new(
                StatusCode::BAD_REQUEST,
                "PARAM_ERROR",
                "解析请求体失败，请检查JSON格式",
            )
        })
}

pub(crate) fn required_str<'a>(body: &'a Value, pointer: &str) -> Result<&'a str, PayError> {
    let field = pointer.trim_start_matches('/');
    match body.pointer(&format!("/{field}")) {
        None | Some(Value::Null) => Err(PayError::required(field)),
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(PayError::param(
            field,
            format!("字段“{field}”类型或取值错误"),
        )),
    }
}

fn optional_str<'a>(body: &'a Value, field: &str, max: usize) -> Result<Option<&'a str>, PayError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() <= max => Ok(Some(s)),
        Some(_) => Err(PayError::param(
            field,
            format!("字段“{field}”类型或长度错误"),
        )),
    }
}

/// Validates a prepay request and creates, re-issues or refuses the order.
fn prepay(state: &AppState, caller: &Caller, raw: &[u8]) -> Result<String, PayError> {
    let body = parse_object(raw)?;
    let appid = required_str(&body, "appid")?;
    let mchid = required_str(&body, "mchid")?;
    let description = required_str(&body, "description")?;
    let out_trade_no = required_str(&body, "out_trade_no")?;
    let notify_url = required_str(&body, "notify_url")?;
    let total = match body.pointer("/amount/total") {
        None | Some(Value::Null) => return Err(PayError::required("amount/total")),
        Some(value) => value.as_i64().filter(|t| *t >= 1).ok_or_else(|| {
            PayError::param("amount/total", "amount.total 必须为大于0的整数（单位：分）")
        })?,
    };
    if let Some(currency) = body.pointer("/amount/currency")
        && currency != "CNY"
    {
        return Err(PayError::param(
            "amount/currency",
            "amount.currency 仅支持 CNY",
        ));
    }
    let openid = required_str(&body, "payer/openid")?;
    if mchid != caller.merchant.mchid {
        return Err(mchid_mismatch());
    }
    if !caller.merchant.binds(appid) {
        return Err(PayError::new(
            StatusCode::BAD_REQUEST,
            "APPID_MCHID_NOT_MATCH",
            "appid和mch_id不匹配",
        ));
    }
    if description.len() > 127 {
        return Err(PayError::param(
            "description",
            "description 长度超过127字节",
        ));
    }
    if !valid_out_trade_no(out_trade_no) {
        return Err(PayError::param(
            "out_trade_no",
            "out_trade_no 须为6-32位数字、大小写字母、_-|* 组成",
        ));
    }
    let url_ok = (notify_url.starts_with("https://") || notify_url.starts_with("http://"))
        && !notify_url.contains('?')
        && notify_url.len() <= 255;
    if !url_ok {
        return Err(PayError::param(
            "notify_url",
            "notify_url 须为不带参数的 http(s) 地址",
        ));
    }
    let attach = optional_str(&body, "attach", 128)?;
    let now = state.clock.now();
    let time_expire = match optional_str(&body, "time_expire", 64)? {
        None => now + state.pay.timings.order_ttl,
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map_err(|_| {
                PayError::param(
                    "time_expire",
                    "time_expire 须为 RFC3339 格式，如 2026-12-07T20:00:00+08:00",
                )
            })?
            .with_timezone(&Utc)
            .clamp(now + Duration::minutes(1), now + Duration::days(90)),
    };

    let key = (mchid.to_owned(), out_trade_no.to_owned());
    let mut world = state.pay.world();
    if let Some(order) = world.orders.get_mut(&key) {
        match order.state_at(now) {
            TradeState::Success | TradeState::Refund => return Err(order_paid()),
            TradeState::Closed => {
                return Err(PayError::new(
                    StatusCode::BAD_REQUEST,
                    "ORDER_CLOSED",
                    "订单已关闭",
                ));
            }
            TradeState::NotPay => {}
        }
        if order.fingerprint != body {
            return Err(PayError::new(
                StatusCode::FORBIDDEN,
                "OUT_TRADE_NO_USED",
                "商户订单号重复",
            ));
        }
        // Identical parameters: the live prepay_id, or a fresh one once 2 hours have passed.
        if now - order.prepay_issued_at >= state.pay.timings.prepay_ttl {
            let fresh = prepay_id(state, now);
            order.prepay_id = fresh.clone();
            order.prepay_issued_at = now;
            world.prepays.insert(fresh.clone(), key);
            return Ok(fresh);
        }
        return Ok(order.prepay_id.clone());
    }
    let id = prepay_id(state, now);
    let order = Order {
        mchid: mchid.to_owned(),
        appid: appid.to_owned(),
        out_trade_no: out_trade_no.to_owned(),
        description: description.to_owned(),
        notify_url: notify_url.to_owned(),
        attach: attach.map(str::to_owned),
        total,
        openid: openid.to_owned(),
        fingerprint: body.clone(),
        time_expire,
        state: TradeState::NotPay,
        transaction_id: None,
        success_time: None,
        prepay_id: id.clone(),
        prepay_issued_at: now,
        refunded: 0,
        refund_count: 0,
        last_refund_at: None,
        failed_attempts: 0,
    };
    world.orders.insert(key.clone(), order);
    world.prepays.insert(id.clone(), key);
    Ok(id)
}

/// `wx` + Beijing time + 20 random characters: 36 characters like WeChat's.
fn prepay_id(state: &AppState, now: DateTime<Utc>) -> String {
    let local = now.with_timezone(&super::wire::china());
    format!("wx{}{}", local.format("%Y%m%d%H%M%S"), state.random.hex(20))
}

/// What a test can make the user do with a prepay id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserAction {
    Pay,
    Fail,
    Abandon,
}

/// Why the user's action was refused.
#[derive(Debug)]
pub(crate) enum ActionRefused {
    UnknownPrepay,
    Expired,
    NotPayable(&'static str),
}

/// Plays the user on the cashier. Paying sends TRANSACTION.SUCCESS; failing or abandoning
/// leaves NOTPAY and sends nothing, as WeChat Pay does.
pub(crate) fn user_action(
    state: &AppState,
    prepay_id: &str,
    action: UserAction,
    delivery: DeliveryOptions,
) -> Result<Value, ActionRefused> {
    let now = state.clock.now();
    let (order, merchant) = {
        let mut world = state.pay.world();
        let key = world
            .prepays
            .get(prepay_id)
            .cloned()
            .ok_or(ActionRefused::UnknownPrepay)?;
        let merchant = world
            .merchants
            .get(&key.0)
            .cloned()
            .ok_or(ActionRefused::UnknownPrepay)?;
        let ttl = state.pay.timings.prepay_ttl;
        let transaction_id = format!("4200{}", digits(state, 24));
        let order = world
            .orders
            .get_mut(&key)
            .ok_or(ActionRefused::UnknownPrepay)?;
        if order.prepay_id != prepay_id || now - order.prepay_issued_at >= ttl {
            return Err(ActionRefused::Expired);
        }
        let current = order.state_at(now);
        if current != TradeState::NotPay {
            return Err(ActionRefused::NotPayable(current.as_str()));
        }
        match action {
            UserAction::Fail | UserAction::Abandon => {
                order.failed_attempts += 1;
                return Ok(order.transaction_json(now));
            }
            UserAction::Pay => {
                order.state = TradeState::Success;
                order.transaction_id = Some(transaction_id.clone());
                order.success_time = Some(now);
            }
        }
        let order = order.clone();
        world.transactions.insert(transaction_id, key);
        (order, merchant)
    };
    let resource = order.transaction_json(now);
    let notification = notify::Notification::build(
        state,
        &merchant,
        &order.notify_url,
        "TRANSACTION.SUCCESS",
        "支付成功",
        "transaction",
        &resource,
        &order.out_trade_no,
    );
    notify::dispatch(state, notification, delivery);
    Ok(resource)
}

/// `n` random decimal digits.
pub(crate) fn digits(state: &AppState, n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        out.push_str(&format!("{:09}", state.random.u32() % 1_000_000_000));
    }
    out.truncate(n);
    out
}
