//! Everything the handlers share, cloned cheaply into each request.

use std::sync::Arc;

use chrono::Duration;

use crate::apps::Apps;
use crate::clock::SandboxClock;
use crate::error::SandboxError;
use crate::login::LoginState;
use crate::pay::{PayState, PayTimings};
use crate::random::Random;
use crate::request_log::RequestLog;
use crate::settings::SandboxSettings;
use crate::wire;

/// The sandbox's in-memory world; it is a test double, so nothing survives a restart.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) clock: SandboxClock,
    pub(crate) apps: Arc<Apps>,
    pub(crate) random: Arc<Random>,
    pub(crate) log: Arc<RequestLog>,
    pub(crate) login: Arc<LoginState>,
    pub(crate) pay: Arc<PayState>,
    pub(crate) lifetimes: Lifetimes,
}

/// Lifetimes from the settings, as durations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifetimes {
    pub(crate) code: Duration,
    pub(crate) access_token: Duration,
    pub(crate) access_token_grace: Duration,
}

impl AppState {
    pub(crate) fn new(
        settings: &SandboxSettings,
        clock: SandboxClock,
    ) -> Result<Self, SandboxError> {
        let apps = Apps::default();
        for app in &settings.apps {
            apps.register(app.appid.clone(), app.secret.clone());
        }
        let pay = PayState::new(PayTimings {
            prepay_ttl: Duration::hours(2),
            order_ttl: Duration::days(7),
            retry_millis_per_sec: settings.pay_retry_millis_per_sec,
        })
        .map_err(|e| SandboxError::InvalidSettings(format!("shipped test keys: {e}")))?;
        Ok(Self {
            clock,
            apps: Arc::new(apps),
            random: Arc::new(Random::new()),
            log: Arc::new(RequestLog::new(settings.request_log_capacity)),
            login: Arc::new(LoginState::default()),
            pay: Arc::new(pay),
            lifetimes: Lifetimes {
                code: Duration::seconds(settings.code_ttl_secs),
                access_token: Duration::seconds(settings.access_token_ttl_secs),
                access_token_grace: Duration::seconds(settings.access_token_grace_secs),
            },
        })
    }

    /// A fresh WeChat-style request id for an `errmsg`.
    pub(crate) fn rid(&self) -> String {
        wire::rid(self.clock.now(), self.random.u32(), self.random.u32())
    }

    /// The full WeChat error answer for `code`.
    pub(crate) fn wx_error(&self, code: wire::WxCode) -> wire::WxJson {
        wire::WxJson(wire::error_body(code, &self.rid()))
    }
}
