//! Single-use, expiring codes bound to one app: `js_code` for login, the phone-number code.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

use crate::wire::WxCode;

/// A code the test minted, with what it grants.
#[derive(Debug)]
struct Entry<T> {
    appid: String,
    grant: T,
    minted_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used: bool,
}

/// A successfully redeemed code.
#[derive(Debug, Clone)]
pub(crate) struct Redeemed<T> {
    pub(crate) grant: T,
    pub(crate) minted_at: DateTime<Utc>,
}

/// Codes by value. Used codes are kept (marked) so a second use answers 40163, not 40029.
#[derive(Debug)]
pub(crate) struct CodeStore<T> {
    entries: Mutex<HashMap<String, Entry<T>>>,
}

impl<T> Default for CodeStore<T> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> CodeStore<T> {
    /// Stores `code` for `appid`, valid for `ttl` from `now`.
    pub(crate) fn mint(
        &self,
        code: String,
        appid: &str,
        grant: T,
        now: DateTime<Utc>,
        ttl: Duration,
    ) {
        let entry = Entry {
            appid: appid.to_owned(),
            grant,
            minted_at: now,
            expires_at: now + ttl,
            used: false,
        };
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(code, entry);
    }

    /// Redeems `code` on behalf of `appid`, once.
    ///
    /// A code of another app is "invalid" and stays unused: WeChat does not reveal that it
    /// exists elsewhere, and the rightful app can still use it.
    pub(crate) fn redeem(
        &self,
        appid: &str,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Redeemed<T>, WxCode> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get_mut(code).ok_or(WxCode::InvalidCode)?;
        if entry.appid != appid {
            return Err(WxCode::InvalidCode);
        }
        if entry.used {
            return Err(WxCode::CodeBeenUsed);
        }
        if now >= entry.expires_at {
            return Err(WxCode::InvalidCode);
        }
        entry.used = true;
        Ok(Redeemed {
            grant: entry.grant.clone(),
            minted_at: entry.minted_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    #[test]
    fn a_code_works_once_for_its_app_until_it_expires() {
        let store = CodeStore::default();
        store.mint("c1".into(), "wxa", 7, t0(), Duration::minutes(5));
        assert_eq!(
            store.redeem("wxb", "c1", t0()).unwrap_err(),
            WxCode::InvalidCode
        );
        assert_eq!(store.redeem("wxa", "c1", t0()).unwrap().grant, 7);
        assert_eq!(
            store.redeem("wxa", "c1", t0()).unwrap_err(),
            WxCode::CodeBeenUsed
        );
        assert_eq!(
            store.redeem("wxa", "nope", t0()).unwrap_err(),
            WxCode::InvalidCode
        );
    }

    #[test]
    fn an_expired_code_is_invalid() {
        let store = CodeStore::default();
        store.mint("c1".into(), "wxa", (), t0(), Duration::minutes(5));
        let later = t0() + Duration::minutes(5);
        assert_eq!(
            store.redeem("wxa", "c1", later).unwrap_err(),
            WxCode::InvalidCode
        );
        let just_before = t0() + Duration::minutes(5) - Duration::seconds(1);
        assert!(store.redeem("wxa", "c1", just_before).is_ok());
    }
}
