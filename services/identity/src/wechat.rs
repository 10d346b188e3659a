//! The WeChat API client (real HTTP, base URL from settings: WeChat or the sandbox).

use std::time::Duration;

use serde::Deserialize;

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

/// A WeChat API client.
#[derive(Debug, Clone)]
pub struct WeChatClient {
    http: reqwest::Client,
    base_url: String,
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
}
