//! The registry of mini-program apps (appid → secret) every login API checks callers against.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use secrecy::{ExposeSecret, SecretString};

use crate::wire::WxCode;

/// Registered apps, keyed by appid; the sandbox is tenant-agnostic like WeChat itself.
#[derive(Debug, Default)]
pub(crate) struct Apps {
    secrets: Mutex<HashMap<String, SecretString>>,
}

impl Apps {
    /// Registers `appid`, replacing its secret if it exists (tests re-run against one sandbox).
    pub(crate) fn register(&self, appid: String, secret: SecretString) {
        self.secrets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(appid, secret);
    }

    /// Whether `appid` is registered.
    pub(crate) fn contains(&self, appid: &str) -> bool {
        self.secrets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(appid)
    }

    /// Checks an appid/secret pair the way WeChat does: missing, then unknown, then wrong.
    pub(crate) fn authenticate(
        &self,
        appid: Option<&str>,
        secret: Option<&str>,
    ) -> Result<String, WxCode> {
        let appid = appid
            .filter(|a| !a.is_empty())
            .ok_or(WxCode::AppidMissing)?;
        let secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
        let expected = secrets.get(appid).ok_or(WxCode::InvalidAppid)?;
        let secret = secret
            .filter(|s| !s.is_empty())
            .ok_or(WxCode::AppsecretMissing)?;
        if expected.expose_secret() == secret {
            Ok(appid.to_owned())
        } else {
            Err(WxCode::InvalidAppsecret)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authenticate_reports_the_first_problem() {
        let apps = Apps::default();
        apps.register("wxa".into(), SecretString::from("s3cret"));
        assert_eq!(
            apps.authenticate(None, Some("s3cret")),
            Err(WxCode::AppidMissing)
        );
        assert_eq!(
            apps.authenticate(Some("wxb"), Some("s3cret")),
            Err(WxCode::InvalidAppid)
        );
        assert_eq!(
            apps.authenticate(Some("wxa"), Some("")),
            Err(WxCode::AppsecretMissing)
        );
        assert_eq!(
            apps.authenticate(Some("wxa"), Some("nope")),
            Err(WxCode::InvalidAppsecret)
        );
        assert_eq!(
            apps.authenticate(Some("wxa"), Some("s3cret")),
            Ok("wxa".into())
        );
        assert!(apps.contains("wxa"));
    }
}
