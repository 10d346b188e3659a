//! The trade bill: not ready before 10:00 the next day, none for a quiet day, otherwise a
//! hash-checked, unsigned file in yuan with refund rows frozen at bill time.

use chrono::NaiveDate;
use serde_json::json;
use siyu_wechatpay::WechatPayError;
use siyu_wechatpay::model::{BillType, RefundAmountRequest, RefundRequest};

use super::support::{PayTest, assert_api_error};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_bill_lists_payments_and_refunds_in_yuan() {
    let t = PayTest::start().await;
    let prepay = t
        .client
        .jsapi_prepay(&t.order("SIYU20261207401", 2590))
        .await
        .unwrap();
    let paid = t.pay(&prepay.prepay_id).await;
    t.control(
        "/refunds/outcome",
        json!({ "mchid": t.merchant.mchid, "outcome": "HOLD" }),
    )
    .await;
    let refund = RefundRequest {
        transaction_id: paid["transaction_id"].as_str().map(str::to_owned),
        out_trade_no: None,
        out_refund_no: "R401".into(),
        reason: None,
        notify_url: None,
        amount: RefundAmountRequest {
            refund: 590,
            total: 2590,
            currency: "CNY".into(),
        },
    };
    t.client.refund(&refund).await.unwrap();

    assert_api_error(
        t.client.trade_bill(day(), BillType::All).await,
        400,
        "STATEMENT_CREATING",
    );
    // 2026-12-08T10:00:00+08:00: the bill of the 7th is ready.
    t.advance(24 * 3600);
    let bill = t
        .client
        .fetch_trade_bill(day(), BillType::All)
        .await
        .unwrap();
    assert_eq!(bill.rows.len(), 2);
    let payment = bill
        .rows
        .iter()
        .find(|r| r.trade_state() == Some("SUCCESS"))
        .unwrap();
    assert_eq!(payment.out_trade_no(), Some("SIYU20261207401"));
    assert_eq!(payment.transaction_id(), paid["transaction_id"].as_str());
    assert_eq!(payment.fen("订单金额").unwrap(), 2590);
    assert_eq!(payment.get("交易时间"), Some("2026-12-07 10:00:00"));
    assert_eq!(payment.out_refund_no(), Some("0"));
    let refund_row = bill
        .rows
        .iter()
        .find(|r| r.trade_state() == Some("REFUND"))
        .unwrap();
    assert_eq!(refund_row.out_refund_no(), Some("R401"));
    assert_eq!(refund_row.fen("退款金额").unwrap(), 590);
    assert_eq!(
        refund_row.get("退款状态"),
        Some("PROCESSING"),
        "frozen at bill time"
    );
    assert_eq!(bill.summary["总交易单数"], "2");

    let success_only = t
        .client
        .fetch_trade_bill(day(), BillType::Success)
        .await
        .unwrap();
    assert_eq!(success_only.rows.len(), 1);
    assert!(!success_only.columns.contains(&"退款金额".to_owned()));
    let refunds_only = t
        .client
        .fetch_trade_bill(day(), BillType::Refund)
        .await
        .unwrap();
    assert_eq!(refunds_only.rows.len(), 1);
    assert!(refunds_only.columns.contains(&"退款申请时间".to_owned()));

    // A quiet day has no bill.
    let quiet = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
    assert_api_error(
        t.client.trade_bill(quiet, BillType::All).await,
        400,
        "NO_STATEMENT_EXIST",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_download_is_unsigned_hash_checked_and_expires() {
    let t = PayTest::start().await;
    let prepay = t
        .client
        .jsapi_prepay(&t.order("SIYU20261207402", 100))
        .await
        .unwrap();
    t.pay(&prepay.prepay_id).await;
    t.advance(24 * 3600);
    let meta = t.client.trade_bill(day(), BillType::All).await.unwrap();
    assert_eq!(meta.hash_type, "SHA1");
    assert!(meta.download_url.contains("/v3/billdownload/file?token="));

    // The raw download carries no Wechatpay-* headers.
    let path = &meta.download_url[meta.download_url.find("/v3/").unwrap()..];
    let response = t
        .http
        .get(&meta.download_url)
        .header("authorization", t.authorization("GET", path, ""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("wechatpay-signature").is_none());
    let text = response.text().await.unwrap();
    assert!(text.starts_with('\u{feff}') && text.contains("\r\n`"));

    let mut forged = meta.clone();
    forged.hash_value = "0".repeat(40);
    assert!(matches!(
        t.client.download_bill(&forged).await,
        Err(WechatPayError::BillHashMismatch)
    ));
    t.client.download_bill(&meta).await.unwrap();
    t.advance(300);
    assert_api_error(t.client.download_bill(&meta).await, 400, "INVALID_REQUEST");

    // Malformed queries.
    let bad = "/v3/bill/tradebill?bill_date=2026-13-01";
    let (status, answer) = t
        .raw("GET", bad, "", Some(t.authorization("GET", bad, "")))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("PARAM_ERROR"))
    );
    let bad = "/v3/bill/tradebill?bill_date=2026-12-07&bill_type=FOO";
    let (status, answer) = t
        .raw("GET", bad, "", Some(t.authorization("GET", bad, "")))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("PARAM_ERROR"))
    );
}
