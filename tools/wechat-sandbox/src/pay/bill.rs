//! The trade bill: `GET /v3/bill/tradebill` → `download_url` → the CSV-like file, unsigned,
//! checked by SHA1. Rows are frozen when the bill is produced.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};
use serde_json::json;
use sha1::{Digest as _, Sha1};

use super::PayWorld;
use super::auth::authenticate;
use super::wire::{PayError, china, signed};
use crate::state::AppState;

/// A produced bill behind a download token.
#[derive(Debug, Clone)]
pub(crate) struct BillFile {
    pub(crate) mchid: String,
    pub(crate) content: Vec<u8>,
    pub(crate) expires_at: DateTime<Utc>,
}

const ALL_COLUMNS: &[&str] = &[
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "申请退款金额",
    "费率备注",
];
const SUCCESS_COLUMNS: &[&str] = &[
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "费率备注",
];
const REFUND_EXTRA: &[&str] = &["退款申请时间", "退款成功时间"];

/// `GET /v3/bill/tradebill?bill_date=&bill_type=`.
pub(crate) async fn tradebill(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = authenticate(&state, &method, &uri, &headers, &body).and_then(|caller| {
        let params = crate::wire::query_params(&uri);
        let (date, bill_type) = parse_query(&params)?;
        let now = state.clock.now();
        // Bills of day D are generated from 09:00 on D+1 (Beijing); ask after 10:00.
        let ready_at = beijing_at(date + Duration::days(1), 10);
        if now < ready_at {
            return Err(PayError::new(
                StatusCode::BAD_REQUEST,
                "STATEMENT_CREATING",
                "账单生成中",
            ));
        }
        let mchid = caller.merchant.mchid.clone();
        let mut world = state.pay.world();
        let content = render(&world, &mchid, date, bill_type, now).ok_or_else(|| {
            PayError::new(
                StatusCode::BAD_REQUEST,
                "NO_STATEMENT_EXIST",
                "请求的账单文件不存在",
            )
        })?;
        let hash = hex::encode(Sha1::digest(&content));
        let token = state.random.hex(40);
        world.bills.insert(
            token.clone(),
            BillFile {
                mchid,
                content,
                expires_at: now + Duration::minutes(5),
            },
        );
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let body = json!({
            "hash_type": "SHA1",
            "hash_value": hash,
            "download_url": format!("http://{host}/v3/billdownload/file?token={token}"),
        });
        Ok((caller, body))
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

/// `GET /v3/billdownload/file?token=`: a signed request, a raw unsigned answer.
pub(crate) async fn download(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = authenticate(&state, &method, &uri, &headers, &body).and_then(|caller| {
        let params = crate::wire::query_params(&uri);
        let token = params.get("token").cloned().unwrap_or_default();
        let world = state.pay.world();
        let file = world
            .bills
            .get(&token)
            .filter(|f| f.mchid == caller.merchant.mchid)
            .ok_or_else(|| PayError::new(StatusCode::BAD_REQUEST, "PARAM_ERROR", "token 无效"))?;
        if state.clock.now() >= file.expires_at {
            return Err(PayError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "下载链接已过期，请重新申请",
            ));
        }
        Ok(file.content.clone())
    });
    match result {
        Ok(content) => {
            let mut response = (StatusCode::OK, content).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            response
        }
        Err(error) => error.into_response(),
    }
}

fn parse_query(
    params: &std::collections::HashMap<String, String>,
) -> Result<(NaiveDate, &'static str), PayError> {
    let query_error = |field: &str, message: &str| {
        let mut error = PayError::new(StatusCode::BAD_REQUEST, "PARAM_ERROR", message);
        error.detail = Some(json!({ "location": "query", "field": field }));
        error
    };
    let date = params
        .get("bill_date")
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| query_error("bill_date", "bill_date 须为 YYYY-MM-DD 格式的日期"))?;
    let bill_type = match params.get("bill_type").map(String::as_str) {
        None | Some("ALL") => "ALL",
        Some("SUCCESS") => "SUCCESS",
        Some("REFUND") => "REFUND",
        Some(_) => return Err(query_error("bill_type", "bill_type 取值错误")),
    };
    if params.get("tar_type").is_some_and(|t| t != "GZIP") {
        return Err(query_error("tar_type", "tar_type 取值错误"));
    }
    if params.contains_key("tar_type") {
        // Not emulated: compressed bills would need a gzip encoder for one test path.
        return Err(query_error(
            "tar_type",
            "the sandbox does not produce GZIP bills",
        ));
    }
    Ok((date, bill_type))
}

fn beijing_at(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default();
    china()
        .from_local_datetime(&date.and_time(time))
        .single()
        // A fixed offset has no gaps; if it ever had, "not ready yet" is the safe answer.
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.with_timezone(&Utc))
}

fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

/// The 0.6% fee in yuan with 5 decimals: fen × 6 is the fee in units of 0.00001 yuan.
fn fee(fen: i64) -> String {
    let units = fen * 6;
    let sign = if units < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:05}",
        units.abs() / 100_000,
        units.abs() % 100_000
    )
}

fn local(at: DateTime<Utc>) -> String {
    at.with_timezone(&china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A bill line before projection: its time and its values by column name.
type Row<'a> = (DateTime<Utc>, Vec<(&'a str, String)>);

/// Renders the bill of `date` (Beijing) for one merchant; `None` when it has no rows.
pub(crate) fn render(
    world: &PayWorld,
    mchid: &str,
    date: NaiveDate,
    bill_type: &str,
    now: DateTime<Utc>,
) -> Option<Vec<u8>> {
    let on_day = |at: DateTime<Utc>| at.with_timezone(&china()).date_naive() == date && at <= now;
    let mut rows: Vec<Row<'_>> = Vec::new();
    let (mut count, mut settled, mut refunded, mut fees, mut ordered, mut asked) =
        (0i64, 0i64, 0i64, 0i64, 0i64, 0i64);
    if bill_type != "REFUND" {
        for order in world.orders.values().filter(|o| o.mchid == mchid) {
            let Some(paid_at) = order.success_time.filter(|t| on_day(*t)) else {
                continue;
            };
            count += 1;
            settled += order.total;
            ordered += order.total;
            fees += order.total;
            rows.push((
                paid_at,
                vec![
                    ("交易时间", local(paid_at)),
                    ("公众账号ID", order.appid.clone()),
                    ("商户号", order.mchid.clone()),
                    ("特约商户号", "0".into()),
                    ("设备号", String::new()),
                    (
                        "微信订单号",
                        order.transaction_id.clone().unwrap_or_default(),
                    ),
                    ("商户订单号", order.out_trade_no.clone()),
                    ("用户标识", order.openid.clone()),
                    ("交易类型", "JSAPI".into()),
                    ("交易状态", "SUCCESS".into()),
                    ("付款银行", "OTHERS".into()),
                    ("货币种类", "CNY".into()),
                    ("应结订单金额", yuan(order.total)),
                    ("代金券金额", "0.00".into()),
                    ("微信退款单号", "0".into()),
                    ("商户退款单号", "0".into()),
                    ("退款金额", "0.00".into()),
                    ("充值券退款金额", "0.00".into()),
                    ("退款类型", String::new()),
                    ("退款状态", String::new()),
                    ("商品名称", order.description.clone()),
                    ("商户数据包", order.attach.clone().unwrap_or_default()),
                    ("手续费", fee(order.total)),
                    ("费率", "0.60%".into()),
                    ("订单金额", yuan(order.total)),
                    ("申请退款金额", "0.00".into()),
                    ("费率备注", String::new()),
                    ("退款申请时间", String::new()),
                    ("退款成功时间", String::new()),
                ],
            ));
        }
    }
    if bill_type != "SUCCESS" {
        for refund in world
            .refunds
            .values()
            .filter(|r| r.mchid == mchid && on_day(r.create_time))
        {
            let Some(order) = world
                .orders
                .get(&(mchid.to_owned(), refund.out_trade_no.clone()))
            else {
                continue;
            };
            count += 1;
            refunded += refund.refund;
            asked += refund.refund;
            fees -= refund.refund;
            // A refund row carries the initiation time and the status at bill time, never updated.
            rows.push((
                refund.create_time,
                vec![
                    ("交易时间", local(refund.create_time)),
                    ("公众账号ID", order.appid.clone()),
                    ("商户号", mchid.to_owned()),
                    ("特约商户号", "0".into()),
                    ("设备号", String::new()),
                    ("微信订单号", refund.transaction_id.clone()),
                    ("商户订单号", refund.out_trade_no.clone()),
                    ("用户标识", order.openid.clone()),
                    ("交易类型", "JSAPI".into()),
                    ("交易状态", "REFUND".into()),
                    ("付款银行", "OTHERS".into()),
                    ("货币种类", "CNY".into()),
                    ("应结订单金额", "0.00".into()),
                    ("代金券金额", "0.00".into()),
                    ("微信退款单号", refund.refund_id.clone()),
                    ("商户退款单号", refund.out_refund_no.clone()),
                    ("退款金额", yuan(refund.refund)),
                    ("充值券退款金额", "0.00".into()),
                    ("退款类型", "ORIGINAL".into()),
                    ("退款状态", refund.status.to_owned()),
                    ("商品名称", order.description.clone()),
                    ("商户数据包", order.attach.clone().unwrap_or_default()),
                    ("手续费", fee(-refund.refund)),
                    ("费率", "0.60%".into()),
                    ("订单金额", "0.00".into()),
                    ("申请退款金额", yuan(refund.refund)),
                    ("费率备注", String::new()),
                    ("退款申请时间", local(refund.create_time)),
                    (
                        "退款成功时间",
                        refund.success_time.map(local).unwrap_or_default(),
                    ),
                ],
            ));
        }
    }
    if rows.is_empty() {
        return None;
    }
    rows.sort_by_key(|(at, _)| *at);
    let columns: Vec<&str> = match bill_type {
        "SUCCESS" => SUCCESS_COLUMNS.to_vec(),
        "REFUND" => {
            let at = ALL_COLUMNS
                .iter()
                .position(|c| *c == "代金券金额")
                .map_or(0, |p| p + 1);
            let mut cols = ALL_COLUMNS.to_vec();
            for (i, extra) in REFUND_EXTRA.iter().enumerate() {
                cols.insert(at + i, extra);
            }
            cols
        }
        _ => ALL_COLUMNS.to_vec(),
    };
    // The SDK fixture starts with a BOM and uses CRLF; the sandbox follows it.
    let mut text = String::from("\u{feff}");
    text.push_str(&columns.join(","));
    text.push_str("\r\n");
    for (_, values) in &rows {
        let line: Vec<String> = columns
            .iter()
            .map(|c| {
                format!(
                    "`{}",
                    values
                        .iter()
                        .find(|(k, _)| k == c)
                        .map(|(_, v)| v.as_str())
                        .unwrap_or("")
                )
            })
            .collect();
        text.push_str(&line.join(","));
        text.push_str("\r\n");
    }
    let summary = if bill_type == "SUCCESS" {
        text.push_str("总交易单数,应结订单总金额,手续费总金额,订单总金额\r\n");
        vec![count.to_string(), yuan(settled), fee(fees), yuan(ordered)]
    } else {
        text.push_str("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n");
        vec![
            count.to_string(),
            yuan(settled),
            yuan(refunded),
            "0.00".into(),
            fee(fees),
            yuan(ordered),
            yuan(asked),
        ]
    };
    let summary: Vec<String> = summary.into_iter().map(|v| format!("`{v}")).collect();
    text.push_str(&summary.join(","));
    text.push_str("\r\n");
    Some(text.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats_follow_the_bill() {
        assert_eq!(yuan(1), "0.01");
        assert_eq!(yuan(12_345), "123.45");
        assert_eq!(yuan(-50), "-0.50");
        assert_eq!(fee(1), "0.00006");
        assert_eq!(fee(10_000), "0.60000");
        assert_eq!(fee(-100), "-0.00600");
    }
}
