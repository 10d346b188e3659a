//! The WeChat API client (real HTTP, base URL from settings: WeChat or the sandbox).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

/// What a WeChat call can end in.
#[derive(Debug, thiserror::Error)]
pub enum WeChatError {
    /// WeChat answered an errcode.
    #[error("wechat errcode {0}")]
    Code(i64),
    /// WeChat could not be reached or answered garbage.
    #[error("wechat unavailable: {0}")]
    Unavailable(String),
}

/// The result of `jscode2session`.
#[derive(Debug, Clone)]
pub struct WxSession {
    /// The user's openid for the app.
    pub openid: String,
    /// The unionid, when the app is bound to an Open Platform account.
    pub unionid: Option<String>,
}

#[derive(Deserialize)]
struct Code2Session {
    #[serde(default)]
    errcode: i64,
    openid: Option<String>,
    unionid: Option<String>,
}

/// A verified phone number from `getuserphonenumber`.
#[derive(Debug, Clone)]
pub struct WxPhone {
    /// The number in E.164 (`+8613812345678`).
    pub e164: String,
}

#[derive(Deserialize)]
struct StableToken {
    #[serde(default)]
    errcode: i64,
    access_token: Option<String>,
    #[serde(default)]
    expires_in: u64,
}

#[derive(Deserialize)]
struct PhoneInfo {
    #[serde(rename = "purePhoneNumber")]
    pure_phone: String,
    #[serde(rename = "countryCode")]
    country_code: String,
}

#[derive(Deserialize)]
struct PhoneNumber {
    #[serde(default)]
    errcode: i64,
    phone_info: Option<PhoneInfo>,
}

/// An app access token and the instant it stops being used.
#[derive(Debug, Clone)]
struct CachedToken {
    token: String,
    refresh_at: Instant,
}

/// How long before WeChat's expiry a cached app access token is replaced.
const TOKEN_MARGIN: Duration = Duration::from_secs(300);

/// A WeChat API client.
#[derive(Debug, Clone)]
pub struct WeChatClient {
    http: reqwest::Client,
    base_url: String,
    /// App access tokens by app id. `stable_token` hands every caller the same token until it
    /// expires, so one per process is enough; cached to stay far below WeChat's daily quota.
    tokens: Arc<Mutex<HashMap<String, CachedToken>>>,
}

impl WeChatClient {
    /// A client for `base_url` with a per-call timeout.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, WeChatError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| WeChatError::Unavailable(e.to_string()))?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            tokens: Arc::default(),
        })
    }

    /// `GET /sns/jscode2session`: exchanges a wx.login() code for the openid.
    #[tracing::instrument(skip_all)]
    pub async fn code2session(
        &self,
        appid: &str,
        secret: &str,
        code: &str,
    ) -> Result<WxSession, WeChatError> {
        let response = self
            .http
            .get(format!("{}/sns/jscode2session", self.base_url))
            .query(&[
                ("appid", appid),
                ("secret", secret),
                ("js_code", code),
                ("grant_type", "authorization_code"),
            ])
            .send()
            .await
            .map_err(|e| WeChatError::Unavailable(e.without_url().to_string()))?;
        // WeChat's content type is unreliable: parse the body whatever it says.
        let bytes = response
            .bytes()
            .await
            .map_err(|e| WeChatError::Unavailable(e.without_url().to_string()))?;
        let body: Code2Session = serde_json::from_slice(&bytes)
            .map_err(|e| WeChatError::Unavailable(format!("bad jscode2session body: {e}")))?;
        if body.errcode != 0 {
            return Err(WeChatError::Code(body.errcode));
        }
        let openid = body
            .openid
            .filter(|o| !o.is_empty())
            .ok_or_else(|| WeChatError::Unavailable("jscode2session without openid".into()))?;
        Ok(WxSession {
            openid,
            unionid: body.unionid.filter(|u| !u.is_empty()),
        })
    }

    /// `POST /wxa/business/getuserphonenumber`: the verified phone behind a getPhoneNumber
    /// code. The app access token comes from the cache; a token WeChat no longer accepts
    /// (40001 / 42001) is replaced once with `force_refresh`.
    #[tracing::instrument(skip_all)]
    pub async fn phone_number(
        &self,
        appid: &str,
        secret: &str,
        code: &str,
    ) -> Result<WxPhone, WeChatError> {
        let token = self.access_token(appid, secret, false).await?;
        match self.phone_with(&token, code).await {
            Err(WeChatError::Code(40001 | 42001)) => {
                let token = self.access_token(appid, secret, true).await?;
                self.phone_with(&token, code).await
            }
            other => other,
        }
    }

    async fn phone_with(&self, token: &str, code: &str) -> Result<WxPhone, WeChatError> {
        let bytes = self
            .http
            .post(format!("{}/wxa/business/getuserphonenumber", self.base_url))
            .query(&[("access_token", token)])
            .json(&serde_json::json!({ "code": code }))
            .send()
            .await
            .map_err(|e| WeChatError::Unavailable(e.without_url().to_string()))?
            .bytes()
            .await
            .map_err(|e| WeChatError::Unavailable(e.without_url().to_string()))?;
        let body: PhoneNumber = serde_json::from_slice(&bytes)
            .map_err(|e| WeChatError::Unavailable(format!("bad getuserphonenumber body: {e}")))?;
        if body.errcode != 0 {
            return Err(WeChatError::Code(body.errcode));
        }
        let info = body
            .phone_info
            .ok_or_else(|| WeChatError::Unavailable("getuserphonenumber without phone".into()))?;
        Ok(WxPhone {
            e164: format!("+{}{}", info.country_code, info.pure_phone),
        })
    }

    /// The app access token: cached until [`TOKEN_MARGIN`] before expiry (or replaced when
    /// `force`). The lock is held across the fetch so concurrent callers share one request.
    async fn access_token(
        &self,
        appid: &str,
        secret: &str,
        force: bool,
    ) -> Result<String, WeChatError> {
        let mut tokens = self.tokens.lock().await;
        if !force
            && let Some(cached) = tokens.get(appid)
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        let bytes = self
            .http
            .post(format!("{}/cgi-bin/stable_token", self.base_url))
            .json(&serde_json::json!({
                "grant_type": "client_credential",
                "appid": appid,
                "secret": secret,
                "force_refresh": force,
            }))
            .send()
            .await
            .map_err(|e| WeChatError::Unavailable(e.without_url().to_string()))?
            .bytes()
            .await
            .map_err(|e| WeChatError::Unavailable(e.without_url().to_string()))?;
        let body: StableToken = serde_json::from_slice(&bytes)
            .map_err(|e| WeChatError::Unavailable(format!("bad stable_token body: {e}")))?;
        if body.errcode != 0 {
            return Err(WeChatError::Code(body.errcode));
        }
        let token = body
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| WeChatError::Unavailable("stable_token without token".into()))?;
        let lifetime = Duration::from_secs(body.expires_in);
        let keep = lifetime.checked_sub(TOKEN_MARGIN).unwrap_or(lifetime / 2);
        tokens.insert(
            appid.to_owned(),
            CachedToken {
                token: token.clone(),
                refresh_at: Instant::now() + keep,
            },
        );
        Ok(token)
    }
}
