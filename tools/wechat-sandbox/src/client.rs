//! [`SandboxControl`]: a small typed client for the `/sandbox` control API, so a service test
//! can register an app or mint a code in one line.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::control::{AdvanceClock, ClockNow, RecordedRequests, RegisterApp, RegisteredApp};
use crate::error::SandboxError;
use crate::login::control::{
    ExpireAccessTokens, ExpiredAccessTokens, LoginCode, MintLoginCode, MintPhoneCode, PhoneCode,
};
use crate::pay::control::{
    CashierAction, CompleteRefund, NotificationLog, RegisterMerchant, RegisteredMerchant,
    SetRefundOutcome,
};
use crate::pay::keys::PlatformView;
use crate::pay::notify::DeliveryView;
use crate::request_log::RecordedRequest;

/// A client for one sandbox's control API.
#[derive(Debug, Clone)]
pub struct SandboxControl {
    base_url: String,
    http: reqwest::Client,
}

impl SandboxControl {
    /// A client for the sandbox at `base_url` (e.g. `http://127.0.0.1:9400`).
    pub fn new(base_url: impl Into<String>) -> Result<Self, SandboxError> {
        Ok(Self::with_client(
            base_url,
            reqwest::Client::builder().build()?,
        ))
    }

    /// A client reusing an existing `reqwest::Client`.
    pub fn with_client(base_url: impl Into<String>, http: reqwest::Client) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Self { base_url, http }
    }

    /// Registers a fresh app with a random appid and secret.
    pub async fn register_app(&self) -> Result<RegisteredApp, SandboxError> {
        self.post("/sandbox/apps", &RegisterApp::default()).await
    }

    /// Registers (or re-keys) the app `appid` with `secret`.
    pub async fn register_app_with(
        &self,
        appid: &str,
        secret: &str,
    ) -> Result<RegisteredApp, SandboxError> {
        let body = RegisterApp {
            appid: Some(appid.to_owned()),
            secret: Some(secret.to_owned()),
        };
        self.post("/sandbox/apps", &body).await
    }

    /// Mints a login code for `openid` in `appid`, without a unionid.
    pub async fn login_code(&self, appid: &str, openid: &str) -> Result<String, SandboxError> {
        let request = MintLoginCode {
            appid: appid.to_owned(),
            openid: Some(openid.to_owned()),
            unionid: None,
        };
        Ok(self.mint_login_code(&request).await?.code)
    }

    /// Mints a login code with every option (unionid, generated openid).
    pub async fn mint_login_code(
        &self,
        request: &MintLoginCode,
    ) -> Result<LoginCode, SandboxError> {
        self.post("/sandbox/login-codes", request).await
    }

    /// Mints a phone-number code for a mainland (`86`) number.
    pub async fn phone_code(&self, appid: &str, phone: &str) -> Result<String, SandboxError> {
        let request = MintPhoneCode {
            appid: appid.to_owned(),
            phone: phone.to_owned(),
            country_code: None,
        };
        Ok(self.mint_phone_code(&request).await?.code)
    }

    /// Mints a phone-number code with every option.
    pub async fn mint_phone_code(
        &self,
        request: &MintPhoneCode,
    ) -> Result<PhoneCode, SandboxError> {
        self.post("/sandbox/phone-codes", request).await
    }

    /// Expires every access token issued to `appid`; returns how many were live.
    pub async fn expire_access_tokens(&self, appid: &str) -> Result<usize, SandboxError> {
        let body = ExpireAccessTokens {
            appid: appid.to_owned(),
        };
        let answer: ExpiredAccessTokens = self.post("/sandbox/access-tokens/expire", &body).await?;
        Ok(answer.expired)
    }

    /// Moves the sandbox clock forward; returns the sandbox's new time.
    pub async fn advance_clock(&self, seconds: i64) -> Result<DateTime<Utc>, SandboxError> {
        let answer: ClockNow = self
            .post("/sandbox/clock/advance", &AdvanceClock { seconds })
            .await?;
        Ok(answer.now)
    }

    /// The recorded protocol calls, optionally only those to `path`.
    pub async fn requests(&self, path: Option<&str>) -> Result<Vec<RecordedRequest>, SandboxError> {
        let mut request = self.http.get(format!("{}/sandbox/requests", self.base_url));
        if let Some(path) = path {
            request = request.query(&[("path", path)]);
        }
        let answer: RecordedRequests = decode(request.send().await?).await?;
        Ok(answer.requests)
    }

    /// Empties the request log.
    pub async fn clear_requests(&self) -> Result<(), SandboxError> {
        let response = self
            .http
            .delete(format!("{}/sandbox/requests", self.base_url))
            .send()
            .await?;
        refuse_errors(response).await.map(drop)
    }

    /// Registers a WeChat Pay merchant (the test key pair when no public key is given).
    pub async fn register_merchant(
        &self,
        request: &RegisterMerchant,
    ) -> Result<RegisteredMerchant, SandboxError> {
        self.post("/sandbox/pay/merchants", request).await
    }

    /// The platform certificates and public key a merchant should trust.
    pub async fn pay_platform(&self) -> Result<PlatformView, SandboxError> {
        let response = self
            .http
            .get(format!("{}/sandbox/pay/platform", self.base_url))
            .send()
            .await?;
        decode(response).await
    }

    /// Lets the WeChat Pay public key sign answers and callbacks (a merchant that trusts the
    /// public key rather than platform certificates); returns the platform view.
    pub async fn enable_pay_public_key(&self) -> Result<PlatformView, SandboxError> {
        let response = self
            .http
            .post(format!(
                "{}/sandbox/pay/platform/enable-public-key",
                self.base_url
            ))
            .send()
            .await?;
        decode(response).await
    }

    /// The user pays `prepay_id`; returns the transaction as a query would.
    pub async fn pay(&self, prepay_id: &str) -> Result<serde_json::Value, SandboxError> {
        let action = CashierAction {
            prepay_id: prepay_id.to_owned(),
            ..CashierAction::default()
        };
        self.cashier("pay", &action).await
    }

    /// A cashier action (`pay`, `fail`, `abandon`) with delivery options.
    pub async fn cashier(
        &self,
        action: &str,
        request: &CashierAction,
    ) -> Result<serde_json::Value, SandboxError> {
        self.post(&format!("/sandbox/pay/transactions/{action}"), request)
            .await
    }

    /// How later refunds of `mchid` end: `SUCCESS`, `ABNORMAL`, `CLOSED` or `HOLD`.
    pub async fn set_refund_outcome(&self, mchid: &str, outcome: &str) -> Result<(), SandboxError> {
        let body = SetRefundOutcome {
            mchid: mchid.to_owned(),
            outcome: outcome.to_owned(),
        };
        self.post_no_content("/sandbox/pay/refunds/outcome", &body)
            .await
    }

    /// Settles a held refund with `status`, sending its callback.
    pub async fn complete_refund(
        &self,
        mchid: &str,
        out_refund_no: &str,
        status: &str,
    ) -> Result<serde_json::Value, SandboxError> {
        let body = CompleteRefund {
            mchid: mchid.to_owned(),
            out_refund_no: out_refund_no.to_owned(),
            status: status.to_owned(),
        };
        self.post("/sandbox/pay/refunds/complete", &body).await
    }

    /// The callbacks sent to `mchid` and what became of them.
    pub async fn pay_notifications(&self, mchid: &str) -> Result<Vec<DeliveryView>, SandboxError> {
        let response = self
            .http
            .get(format!("{}/sandbox/pay/notifications", self.base_url))
            .query(&[("mchid", mchid)])
            .send()
            .await?;
        let log: NotificationLog = decode(response).await?;
        Ok(log.notifications)
    }

    async fn post_no_content<B: Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(), SandboxError> {
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .json(body)
            .send()
            .await?;
        refuse_errors(response).await.map(drop)
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, SandboxError> {
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .json(body)
            .send()
            .await?;
        decode(response).await
    }
}

async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, SandboxError> {
    Ok(refuse_errors(response).await?.json().await?)
}

async fn refuse_errors(response: reqwest::Response) -> Result<reqwest::Response, SandboxError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    Err(SandboxError::ControlRefused {
        status: status.as_u16(),
        body,
    })
}
