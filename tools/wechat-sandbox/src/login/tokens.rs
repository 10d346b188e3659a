//! Issued access tokens and the rules WeChat applies to them.
//!
//! `/cgi-bin/token` issues a new token on every call; the previous one keeps working for a
//! grace period (WeChat documents 5 minutes) and then answers 40001 "not latest".
//! `/cgi-bin/stable_token` is a separate family: it returns the current token until it expires,
//! and `force_refresh` replaces it at once. Neither family affects the other, as WeChat says.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

use crate::wire::WxCode;

/// Which API issued a token; each family supersedes only its own tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Plain,
    Stable,
}

#[derive(Debug)]
struct Issued {
    appid: String,
    family: Family,
    expires_at: DateTime<Utc>,
    /// Set once a newer token of the same family exists: the instant this one stops working.
    retired_at: Option<DateTime<Utc>>,
}

/// A token handed to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub(crate) access_token: String,
    pub(crate) expires_in: i64,
}

/// Every token ever issued, by value.
#[derive(Debug, Default)]
pub(crate) struct TokenStore {
    tokens: Mutex<HashMap<String, Issued>>,
}

impl TokenStore {
    /// Issues `token` for `appid`; older tokens of the family stop working after `grace`.
    pub(crate) fn issue(
        &self,
        token: String,
        appid: &str,
        family: Family,
        now: DateTime<Utc>,
        ttl: Duration,
        grace: Duration,
    ) -> Grant {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        for old in tokens.values_mut() {
            if old.appid == appid && old.family == family && old.retired_at.is_none() {
                old.retired_at = Some(now + grace);
            }
        }
        let issued = Issued {
            appid: appid.to_owned(),
            family,
            expires_at: now + ttl,
            retired_at: None,
        };
        tokens.insert(token.clone(), issued);
        Grant {
            access_token: token,
            expires_in: ttl.num_seconds(),
        }
    }

    /// The current, unexpired token of `family` for `appid`, with its remaining lifetime.
    pub(crate) fn current(&self, appid: &str, family: Family, now: DateTime<Utc>) -> Option<Grant> {
        let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens
            .iter()
            .filter(|(_, t)| t.appid == appid && t.family == family && t.retired_at.is_none())
            .filter(|(_, t)| t.expires_at > now)
            .map(|(token, t)| Grant {
                access_token: token.clone(),
                expires_in: (t.expires_at - now).num_seconds(),
            })
            .next()
    }

    /// The appid a token was issued to, or why WeChat would refuse it.
    pub(crate) fn validate(&self, token: &str, now: DateTime<Utc>) -> Result<String, WxCode> {
        let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let issued = tokens.get(token).ok_or(WxCode::InvalidCredential)?;
        if now >= issued.expires_at {
            return Err(WxCode::AccessTokenExpired);
        }
        if issued.retired_at.is_some_and(|at| now >= at) {
            return Err(WxCode::InvalidCredential);
        }
        Ok(issued.appid.clone())
    }

    /// Makes every live token of `appid` expired now; returns how many were live.
    pub(crate) fn expire_all(&self, appid: &str, now: DateTime<Utc>) -> usize {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let mut expired = 0;
        for issued in tokens
            .values_mut()
            .filter(|t| t.appid == appid && t.expires_at > now)
        {
            issued.expires_at = now;
            expired += 1;
        }
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    const TTL: Duration = Duration::hours(2);
    const GRACE: Duration = Duration::minutes(5);

    #[test]
    fn a_token_expires_after_its_lifetime() {
        let store = TokenStore::default();
        let grant = store.issue("t1".into(), "wxa", Family::Plain, t0(), TTL, GRACE);
        assert_eq!(grant.expires_in, 7200);
        assert_eq!(store.validate("t1", t0()), Ok("wxa".into()));
        assert_eq!(
            store.validate("t1", t0() + TTL),
            Err(WxCode::AccessTokenExpired)
        );
        assert_eq!(store.validate("zz", t0()), Err(WxCode::InvalidCredential));
    }

    #[test]
    fn a_superseded_token_works_only_during_the_grace_period() {
        let store = TokenStore::default();
        store.issue("t1".into(), "wxa", Family::Plain, t0(), TTL, GRACE);
        store.issue("t2".into(), "wxa", Family::Plain, t0(), TTL, GRACE);
        store.issue(
            "s1".into(),
            "wxa",
            Family::Stable,
            t0(),
            TTL,
            Duration::zero(),
        );
        assert!(
            store
                .validate("t1", t0() + GRACE - Duration::seconds(1))
                .is_ok()
        );
        assert_eq!(
            store.validate("t1", t0() + GRACE),
            Err(WxCode::InvalidCredential)
        );
        assert!(store.validate("t2", t0() + GRACE).is_ok());
        assert_eq!(
            store
                .current("wxa", Family::Plain, t0())
                .unwrap()
                .access_token,
            "t2"
        );
        assert_eq!(
            store
                .current("wxa", Family::Stable, t0())
                .unwrap()
                .access_token,
            "s1"
        );
    }

    #[test]
    fn expire_all_touches_only_that_app() {
        let store = TokenStore::default();
        store.issue("a".into(), "wxa", Family::Plain, t0(), TTL, GRACE);
        store.issue("b".into(), "wxb", Family::Plain, t0(), TTL, GRACE);
        assert_eq!(store.expire_all("wxa", t0()), 1);
        assert_eq!(store.validate("a", t0()), Err(WxCode::AccessTokenExpired));
        assert!(store.validate("b", t0()).is_ok());
        assert!(store.current("wxa", Family::Plain, t0()).is_none());
    }
}
