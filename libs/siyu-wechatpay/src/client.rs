//! [`WechatPayClient`]: JSAPI prepay, query, close, refunds, trade bill, certificates.
//!
//! Every request is signed; every 2xx answer is verified over its raw body before it is
//! parsed (the bill file, which WeChat Pay does not sign, is checked by SHA1 instead).

use std::sync::{Arc, PoisonError, RwLock};

use chrono::NaiveDate;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, USER_AGENT};
use reqwest::{Method, StatusCode, Url};
use secrecy::ExposeSecret as _;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha1::{Digest as _, Sha1};
use siyu_core::Clock;

use crate::bill::{self, TradeBill};
use crate::config::MerchantConfig;
use crate::error::{ApiCode, ApiError, WechatPayError};
use crate::model::{
    BillType, JsapiPrepayRequest, PrepayResponse, Refund, RefundRequest, TradeBillResponse,
    Transaction,
};
use crate::notify::{self, Resource, VerifiedNotification};
use crate::sign::{self, MerchantSigner, RequestPayment};
use crate::verify::{PlatformKeys, SignedHeaders};

/// An async WeChat Pay API v3 client for one merchant.
#[derive(Debug, Clone)]
pub struct WechatPayClient {
    http: reqwest::Client,
    base_url: String,
    signer: MerchantSigner,
    apiv3_key: secrecy::SecretString,
    keys: Arc<RwLock<PlatformKeys>>,
    clock: Arc<dyn Clock>,
}

/// A raw answer: status, headers, body bytes.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    detail: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct CertificateList {
    data: Vec<CertificateEntry>,
}

#[derive(Deserialize)]
struct CertificateEntry {
    serial_no: String,
    encrypt_certificate: Resource,
}

impl WechatPayClient {
    /// A client on the wall clock, trusting `keys`.
    pub fn new(config: &MerchantConfig, keys: PlatformKeys) -> Result<Self, WechatPayError> {
        Self::with_clock(config, keys, siyu_core::clock::system())
    }

    /// A client whose notion of now (signing timestamps, the 5-minute window) is `clock`.
    pub fn with_clock(
        config: &MerchantConfig,
        keys: PlatformKeys,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, WechatPayError> {
        let signer = MerchantSigner::from_pem(
            &config.mchid,
            &config.serial_no,
            config.private_key_pem.expose_secret(),
        )?;
        if config.apiv3_key.expose_secret().len() != 32 {
            return Err(WechatPayError::Config(
                "the APIv3 key must be 32 bytes".into(),
            ));
        }
        let http = reqwest::Client::builder().timeout(config.timeout).build()?;
        Ok(Self {
            http,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            signer,
            apiv3_key: config.apiv3_key.clone(),
            keys: Arc::new(RwLock::new(keys)),
            clock,
        })
    }

    /// The merchant id.
    pub fn mchid(&self) -> &str {
        self.signer.mchid()
    }

    /// Changes the trusted keys (add the public key during a switch, drop a withdrawn cert).
    pub fn update_keys(&self, change: impl FnOnce(&mut PlatformKeys)) {
        change(&mut self.keys.write().unwrap_or_else(PoisonError::into_inner));
    }

    /// The trusted serials.
    pub fn key_serials(&self) -> Vec<String> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .serials()
    }

    /// `POST /v3/pay/transactions/jsapi`. Calling it again with an identical request
    /// refreshes a prepay_id older than 2 hours.
    pub async fn jsapi_prepay(
        &self,
        request: &JsapiPrepayRequest,
    ) -> Result<PrepayResponse, WechatPayError> {
        let body = to_json(request)?;
        let answer = self
            .call(
                Method::POST,
                &self.url("/v3/pay/transactions/jsapi")?,
                Some(body),
            )
            .await?;
        parse(&answer.body)
    }

    /// The signed `wx.requestPayment` parameters for a prepay id.
    pub fn request_payment(&self, appid: &str, prepay_id: &str) -> RequestPayment {
        self.signer.request_payment(
            appid,
            prepay_id,
            self.clock.now().timestamp(),
            &sign::nonce(),
        )
    }

    /// `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=…`, any state.
    pub async fn query_by_out_trade_no(
        &self,
        out_trade_no: &str,
    ) -> Result<Transaction, WechatPayError> {
        let mut url = self.url(&format!(
            "/v3/pay/transactions/out-trade-no/{}",
            segment(out_trade_no)
        ))?;
        url.query_pairs_mut().append_pair("mchid", self.mchid());
        parse(&self.call(Method::GET, &url, None).await?.body)
    }

    /// `GET /v3/pay/transactions/id/{transaction_id}?mchid=…`, only once paid.
    pub async fn query_by_transaction_id(
        &self,
        transaction_id: &str,
    ) -> Result<Transaction, WechatPayError> {
        let mut url = self.url(&format!(
            "/v3/pay/transactions/id/{}",
            segment(transaction_id)
        ))?;
        url.query_pairs_mut().append_pair("mchid", self.mchid());
        parse(&self.call(Method::GET, &url, None).await?.body)
    }

    /// `POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close` → 204. Not proof of
    /// closure: confirm by query.
    pub async fn close(&self, out_trade_no: &str) -> Result<(), WechatPayError> {
        let url = self.url(&format!(
            "/v3/pay/transactions/out-trade-no/{}/close",
            segment(out_trade_no)
        ))?;
        let body = serde_json::json!({ "mchid": self.mchid() }).to_string();
        self.call(Method::POST, &url, Some(body)).await.map(drop)
    }

    /// `POST /v3/refund/domestic/refunds`: accepted, not yet refunded (PROCESSING).
    pub async fn refund(&self, request: &RefundRequest) -> Result<Refund, WechatPayError> {
        let body = to_json(request)?;
        parse(
            &self
                .call(
                    Method::POST,
                    &self.url("/v3/refund/domestic/refunds")?,
                    Some(body),
                )
                .await?
                .body,
        )
    }

    /// `GET /v3/refund/domestic/refunds/{out_refund_no}`.
    pub async fn query_refund(&self, out_refund_no: &str) -> Result<Refund, WechatPayError> {
        let url = self.url(&format!(
            "/v3/refund/domestic/refunds/{}",
            segment(out_refund_no)
        ))?;
        parse(&self.call(Method::GET, &url, None).await?.body)
    }

    /// `GET /v3/bill/tradebill?bill_date=…&bill_type=…`.
    pub async fn trade_bill(
        &self,
        date: NaiveDate,
        bill_type: BillType,
    ) -> Result<TradeBillResponse, WechatPayError> {
        let mut url = self.url("/v3/bill/tradebill")?;
        url.query_pairs_mut()
            .append_pair("bill_date", &date.format("%Y-%m-%d").to_string())
            .append_pair("bill_type", bill_type.as_str());
        parse(&self.call(Method::GET, &url, None).await?.body)
    }

    /// Downloads the bill file (a signed request, an unsigned answer) and checks its SHA1.
    pub async fn download_bill(&self, bill: &TradeBillResponse) -> Result<Vec<u8>, WechatPayError> {
        if !bill.hash_type.eq_ignore_ascii_case("SHA1") {
            return Err(WechatPayError::Malformed(format!(
                "unsupported hash {}",
                bill.hash_type
            )));
        }
        let url =
            Url::parse(&bill.download_url).map_err(|e| WechatPayError::Malformed(e.to_string()))?;
        let answer = self.exchange(Method::GET, &url, None).await?;
        let answer = refuse_errors(answer)?;
        let digest = hex::encode(Sha1::digest(&answer.body));
        if !digest.eq_ignore_ascii_case(&bill.hash_value) {
            return Err(WechatPayError::BillHashMismatch);
        }
        Ok(answer.body)
    }

    /// Both bill steps plus parsing.
    pub async fn fetch_trade_bill(
        &self,
        date: NaiveDate,
        bill_type: BillType,
    ) -> Result<TradeBill, WechatPayError> {
        let meta = self.trade_bill(date, bill_type).await?;
        let bytes = self.download_bill(&meta).await?;
        let text =
            String::from_utf8(bytes).map_err(|e| WechatPayError::Malformed(e.to_string()))?;
        bill::parse(&text)
    }

    /// `GET /v3/certificates`: decrypts each platform certificate, trusts it, returns the serials.
    ///
    /// The answer itself is verified with keys already held, as the SDKs do after the first
    /// bootstrap; a public-key-only merchant gets an empty list.
    pub async fn refresh_certificates(&self) -> Result<Vec<String>, WechatPayError> {
        let answer = self
            .call(Method::GET, &self.url("/v3/certificates")?, None)
            .await?;
        let list: CertificateList = parse(&answer.body)?;
        let mut serials = Vec::new();
        for entry in list.data {
            let pem = entry
                .encrypt_certificate
                .decrypt(self.apiv3_key.expose_secret().as_bytes())?;
            let pem =
                String::from_utf8(pem).map_err(|e| WechatPayError::Malformed(e.to_string()))?;
            let serial = {
                let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
                keys.add_certificate_pem(&pem)?
            };
            if serial != entry.serial_no {
                return Err(WechatPayError::Malformed(format!(
                    "certificate serial {serial} listed as {}",
                    entry.serial_no
                )));
            }
            serials.push(serial);
        }
        Ok(serials)
    }

    /// Verifies and decrypts a callback with this client's keys, APIv3 key and clock.
    pub fn verify_notification(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<VerifiedNotification, WechatPayError> {
        let signed = SignedHeaders::from_headers(headers)?;
        let keys = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        notify::verify_and_decrypt(
            &keys,
            self.apiv3_key.expose_secret().as_bytes(),
            &signed,
            body,
            self.clock.now().timestamp(),
        )
    }

    fn url(&self, path: &str) -> Result<Url, WechatPayError> {
        Url::parse(&format!("{}{path}", self.base_url))
            .map_err(|e| WechatPayError::Config(format!("base URL: {e}")))
    }

    /// Sends, refuses error answers, verifies the signature of a 2xx answer.
    async fn call(
        &self,
        method: Method,
        url: &Url,
        body: Option<String>,
    ) -> Result<Answer, WechatPayError> {
        let answer = refuse_errors(self.exchange(method, url, body).await?)?;
        let signed = SignedHeaders::from_headers(&answer.headers)?;
        let now = self.clock.now().timestamp();
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .verify(&signed, &answer.body, now)?;
        Ok(answer)
    }

    /// One signed HTTP exchange.
    async fn exchange(
        &self,
        method: Method,
        url: &Url,
        body: Option<String>,
    ) -> Result<Answer, WechatPayError> {
        // The canonical URL is taken from the parsed URL that is sent, so the signed and the
        // sent forms cannot drift apart (encoding, query).
        let canonical = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let body_text = body.unwrap_or_default();
        let authorization = self.signer.authorization(
            method.as_str(),
            &canonical,
            &body_text,
            self.clock.now().timestamp(),
            &sign::nonce(),
        );
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, "application/json")
            .header(
                USER_AGENT,
                concat!("siyu-wechatpay/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(serial) = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .preferred_serial()
        {
            request = request.header("Wechatpay-Serial", serial);
        }
        if method == Method::POST {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body_text);
        }
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?.to_vec();
        tracing::debug!(%status, path = url.path(), "wechat pay call");
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

fn refuse_errors(answer: Answer) -> Result<Answer, WechatPayError> {
    if answer.status.is_success() {
        return Ok(answer);
    }
    let status = answer.status.as_u16();
    let error = match serde_json::from_slice::<ErrorBody>(&answer.body) {
        Ok(body) => ApiError {
            status,
            code: ApiCode::parse(&body.code),
            message: body.message,
            detail: body.detail,
        },
        Err(_) => ApiError {
            status,
            code: ApiCode::Other(format!("HTTP_{status}")),
            message: String::from_utf8_lossy(&answer.body).into_owned(),
            detail: None,
        },
    };
    Err(WechatPayError::Api(error))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, WechatPayError> {
    serde_json::to_string(value).map_err(|e| WechatPayError::Malformed(e.to_string()))
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, WechatPayError> {
    serde_json::from_slice(body).map_err(|e| WechatPayError::Malformed(e.to_string()))
}

/// Percent-encodes a path segment; WeChat's own ids never need it, hostile input might.
fn segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' | b'_' | b'-' | b'|' | b'*' | b'@' | b'.' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
