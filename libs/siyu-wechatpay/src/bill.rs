//! The trade bill file: a CSV whose values carry a leading backtick, amounts in yuan.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

use crate::error::WechatPayError;

/// One parsed bill: detail rows and the summary row, keyed by the (Chinese) column names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TradeBill {
    /// The detail header, e.g. `交易时间,公众账号ID,…`.
    pub columns: Vec<String>,
    /// Detail rows.
    pub rows: Vec<BillRow>,
    /// The summary row (`总交易单数` …).
    pub summary: BTreeMap<String, String>,
}

/// A detail row of the bill.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BillRow {
    /// Column name → value, backtick removed.
    pub values: BTreeMap<String, String>,
}

impl BillRow {
    /// A column's value.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.values.get(column).map(String::as_str)
    }

    /// The merchant order number (`商户订单号`).
    pub fn out_trade_no(&self) -> Option<&str> {
        self.get("商户订单号")
    }

    /// WeChat's order number (`微信订单号`).
    pub fn transaction_id(&self) -> Option<&str> {
        self.get("微信订单号")
    }

    /// `SUCCESS` for a payment row, `REFUND` for a refund row (`交易状态`).
    pub fn trade_state(&self) -> Option<&str> {
        self.get("交易状态")
    }

    /// The merchant refund number (`商户退款单号`), `0` on payment rows.
    pub fn out_refund_no(&self) -> Option<&str> {
        self.get("商户退款单号")
    }

    /// A yuan column (2 decimals) converted to fen.
    pub fn fen(&self, column: &str) -> Result<i64, WechatPayError> {
        let value = self
            .get(column)
            .ok_or_else(|| WechatPayError::Malformed(format!("no column {column}")))?;
        yuan_to_fen(value)
    }
}

impl TradeBill {
    /// A yuan column of the summary row converted to fen.
    pub fn summary_fen(&self, column: &str) -> Result<i64, WechatPayError> {
        let value = self
            .summary
            .get(column)
            .ok_or_else(|| WechatPayError::Malformed(format!("no summary column {column}")))?;
        yuan_to_fen(value)
    }

    /// The summary's fee total (`手续费总金额`, 5 decimals) in units of 0.00001 yuan.
    pub fn fee_total_units(&self) -> Result<i64, WechatPayError> {
        let value = self
            .summary
            .get("手续费总金额")
            .ok_or_else(|| WechatPayError::Malformed("no summary column 手续费总金额".into()))?;
        decimal_units(value, 5)
    }
}

/// The SHA-256 of a downloaded bill file, hex (what an import records of the file).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `"12.34"` → 1234. Bill amounts have at most 2 decimals (fees have 5 and are not fen).
pub fn yuan_to_fen(yuan: &str) -> Result<i64, WechatPayError> {
    decimal_units(yuan, 2)
}

/// A decimal with at most `places` decimals in units of 10^-places (`"0.00600"`, 5 → 600).
pub fn decimal_units(yuan: &str, places: usize) -> Result<i64, WechatPayError> {
    let bad = || WechatPayError::Malformed(format!("not a yuan amount: {yuan}"));
    let (negative, digits) = match yuan.trim().strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, yuan.trim()),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || frac.len() > places
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<places$}").parse().map_err(|_| bad())?;
    let scale = 10_i64
        .checked_pow(u32::try_from(places).map_err(|_| bad())?)
        .ok_or_else(bad)?;
    let fen = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(bad)?;
    Ok(if negative { -fen } else { fen })
}

/// The values of a data or summary line. Every value starts with a backtick, so a value is
/// split at `,` + backtick: a comma inside a value (a product name) stays in it.
fn values_of(line: &str) -> Vec<String> {
    match line.strip_prefix('`') {
        Some(rest) => rest.split(",`").map(str::to_owned).collect(),
        None => line
            .split(',')
            .map(|v| v.strip_prefix('`').unwrap_or(v).to_owned())
            .collect(),
    }
}

/// Parses a bill file (UTF-8, optional BOM, LF or CRLF).
pub fn parse(text: &str) -> Result<TradeBill, WechatPayError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.is_empty());
    let header = lines
        .next()
        .ok_or_else(|| WechatPayError::Malformed("empty bill".into()))?;
    let columns: Vec<String> = header.split(',').map(str::to_owned).collect();
    let mut bill = TradeBill {
        columns: columns.clone(),
        ..TradeBill::default()
    };
    let mut summary_columns: Option<Vec<String>> = None;
    for line in lines {
        if line.starts_with("总交易单数") {
            summary_columns = Some(line.split(',').map(str::to_owned).collect());
            continue;
        }
        let values = values_of(line);
        match &summary_columns {
            Some(names) => {
                bill.summary = names.iter().cloned().zip(values).collect();
            }
            None => {
                if values.len() != columns.len() {
                    return Err(WechatPayError::Malformed(format!(
                        "bill row has {} values for {} columns",
                        values.len(),
                        columns.len()
                    )));
                }
                bill.rows.push(BillRow {
                    values: columns.iter().cloned().zip(values).collect(),
                });
            }
        }
    }
    Ok(bill)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_converts_exactly() {
        assert_eq!(yuan_to_fen("0.01").unwrap(), 1);
        assert_eq!(yuan_to_fen("12.3").unwrap(), 1230);
        assert_eq!(yuan_to_fen("100").unwrap(), 10000);
        assert_eq!(yuan_to_fen("-0.50").unwrap(), -50);
        assert!(yuan_to_fen("0.00001").is_err());
        assert!(yuan_to_fen("1e3").is_err());
        assert!(yuan_to_fen("").is_err());
        assert_eq!(decimal_units("0.00600", 5).unwrap(), 600);
        assert_eq!(decimal_units("-0.00006", 5).unwrap(), -6);
        assert!(decimal_units("0.000001", 5).is_err());
    }

    #[test]
    fn parses_the_sdk_fixture_shape() {
        // The header and sample row of wechatpay-php's `tests/fixtures/bill.ALL.csv`, with BOM and CRLF.
        let text = "\u{feff}交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n\
`2019-02-19 18:19:32,`wxab8acd895ab1638a,`1921000401,`0,`harryma007,`4200000263201902167700134203,`autotest_20190219181930_76386,`oHkLxt5HnHcBDewv4dLc8xivG1DuE,`JSAPI,`SUCCESS,`OTHERS,`CNY,`0.01,`0.00,`0,`0,`0.00,`0.00,`,`,`test,`,`0.00000,`39.00%,`0.01,`0.00,`\r\n\
总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n\
`1,`0.01,`0.00,`0.00,`0.00000,`0.01,`0.00\r\n";
        let bill = parse(text).unwrap();
        assert_eq!(bill.rows.len(), 1);
        let row = &bill.rows[0];
        assert_eq!(row.out_trade_no(), Some("autotest_20190219181930_76386"));
        assert_eq!(row.transaction_id(), Some("4200000263201902167700134203"));
        assert_eq!(row.trade_state(), Some("SUCCESS"));
        assert_eq!(row.fen("订单金额").unwrap(), 1);
        assert_eq!(bill.summary["总交易单数"], "1");
    }

    #[test]
    fn a_comma_inside_a_value_stays_in_it() {
        let text = "交易时间,商户订单号,商品名称,订单金额\r\n\
`2026-12-07 10:00:00,`SY1,`T恤, 白色,`12.30\r\n\
总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n\
`1,`12.30,`0.00,`0.00,`0.07380,`12.30,`0.00\r\n";
        let bill = parse(text).unwrap();
        assert_eq!(bill.rows[0].get("商品名称"), Some("T恤, 白色"));
        assert_eq!(bill.rows[0].fen("订单金额").unwrap(), 1230);
        assert_eq!(bill.summary_fen("应结订单总金额").unwrap(), 1230);
        assert_eq!(bill.fee_total_units().unwrap(), 7380);
    }

    #[test]
    fn a_short_row_is_malformed() {
        assert!(parse("a,b\n`1\n").is_err());
    }
}
