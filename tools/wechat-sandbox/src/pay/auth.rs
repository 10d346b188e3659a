//! Checking a merchant's request the way WeChat Pay does: the `WECHATPAY2-SHA256-RSA2048`
//! Authorization header, parameters in any order, the serial, the 5-minute window and the
//! signature over `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n` with the exact bytes received.

use std::collections::HashMap;

use axum::http::{HeaderMap, Method, StatusCode, Uri};

use super::crypto;
use super::merchants::Merchant;
use super::wire::PayError;
use crate::state::AppState;

const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";
const FORMAT_MESSAGE: &str =
    "Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》";
const SIGNATURE_MESSAGE: &str = "签名错误，请检查后再试";
/// Largest accepted clock difference, in seconds.
const MAX_SKEW_SECS: i64 = 300;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) merchant: Merchant,
    /// The request's `Wechatpay-Serial`, which picks the key that signs the answer.
    pub(crate) wechatpay_serial: Option<String>,
}

/// Verifies the request; the first failure is answered.
pub(crate) fn authenticate(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Caller, PayError> {
    let header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| PayError::sign(FORMAT_MESSAGE))?;
    let params = header
        .strip_prefix(SCHEME)
        .and_then(|rest| rest.strip_prefix(' '))
        .and_then(parse_params)
        .ok_or_else(|| PayError::sign(FORMAT_MESSAGE))?;
    let field = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| PayError::sign(FORMAT_MESSAGE))
    };
    let (mchid, nonce, timestamp, serial_no, signature) = (
        field("mchid")?,
        field("nonce_str")?,
        field("timestamp")?,
        field("serial_no")?,
        field("signature")?,
    );
    let merchant = state
        .pay
        .merchant(mchid)
        .ok_or_else(|| PayError::new(StatusCode::BAD_REQUEST, "MCH_NOT_EXISTS", "商户号不存在"))?;
    if serial_no != merchant.serial_no {
        return Err(PayError::sign(
            "商户证书序列号有误。请使用签名私钥匹配的证书序列号",
        ));
    }
    // Ten digits of seconds: a millisecond timestamp is a signature failure, as in production.
    let seconds: i64 = timestamp
        .parse()
        .ok()
        .filter(|_| timestamp.len() == 10)
        .ok_or_else(|| PayError::sign(SIGNATURE_MESSAGE))?;
    if (state.clock.now().timestamp() - seconds).abs() > MAX_SKEW_SECS {
        return Err(PayError::sign("请求的时间戳已过期，请检查系统时间"));
    }
    let url = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let mut message = format!("{method}\n{url}\n{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    if !crypto::verify(&merchant.public_key, &message, signature) {
        return Err(PayError::sign(SIGNATURE_MESSAGE));
    }
    let wechatpay_serial = headers
        .get("wechatpay-serial")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(Caller {
        merchant,
        wechatpay_serial,
    })
}

/// `k="v",k="v"` in any order; `None` when malformed.
fn parse_params(text: &str) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    for part in text.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        let value = value.strip_prefix('"')?.strip_suffix('"')?;
        params.insert(key.trim().to_owned(), value.to_owned());
    }
    Some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_parse_in_any_order() {
        let go = parse_params(
            r#"mchid="1",nonce_str="n",timestamp="1554208460",serial_no="S",signature="a/b+=""#,
        )
        .unwrap();
        let php = parse_params(
            r#"mchid="1",serial_no="S",timestamp="1554208460",nonce_str="n",signature="a/b+=""#,
        )
        .unwrap();
        assert_eq!(go, php);
        assert_eq!(go["signature"], "a/b+=");
        assert!(parse_params(r#"mchid=1"#).is_none());
        assert!(parse_params("garbage").is_none());
    }
}
