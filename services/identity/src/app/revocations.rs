//! The revocation feed (ListTokenRevocations) and the audit of signing-key rotation.

use chrono::Duration;

use crate::app::App;
use crate::app::tenant_settings::audit;
use crate::error::AppError;
use crate::repo::revocations::{self as repo, Revocation};

/// How long feed entries are kept: longer than any access token lives.
const KEEP_HOURS: i64 = 24;
/// Rows numbered per stamping step; a larger backlog is numbered by the next polls.
const STAMP_BATCH: i64 = 10_000;

/// A page of the feed.
#[derive(Debug, Clone)]
pub struct FeedPage {
    /// Entries, oldest first.
    pub entries: Vec<Revocation>,
    /// The sequence to continue after.
    pub cursor: i64,
}

impl App {
    /// Entries after sequence `after` (every tenant: the feed serves each service's shared
    /// deny-list), at most `limit`. Numbers newly committed rows first.
    pub async fn token_revocations(&self, after: i64, limit: i64) -> Result<FeedPage, AppError> {
        let now = self.clock.now();
        let keep_after = now - Duration::hours(KEEP_HOURS);
        if repo::has_unstamped(&self.db).await? {
            let txn = siyu_store::db::begin_write(&self.db).await?;
            repo::stamp(&txn, STAMP_BATCH, keep_after).await?;
            txn.commit().await?;
        }
        // The head is read before the rows: every sequence up to it is committed, so when
        // nothing follows the cursor it may jump there without skipping a later stamp.
        let head = repo::head(&self.db).await?;
        let entries = repo::after(&self.db, after, keep_after, limit).await?;
        let cursor = entries.last().map_or(after.max(head), |last| last.seq);
        Ok(FeedPage { entries, cursor })
    }

    /// Audits SIGNING_KEY_ROTATED in the platform tenant's chain.
    pub async fn audit_key_rotation(
        &self,
        tenant: &str,
        actor: (&str, &str),
        new_kid: &str,
        previous: Option<&str>,
        emergency: bool,
        reason: &str,
    ) -> Result<(), AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let mut details = vec![
            ("emergency", emergency.to_string()),
            ("previous_kid", previous.unwrap_or_default().to_owned()),
        ];
        if !reason.is_empty() {
            details.push(("reason", reason.to_owned()));
        }
        audit(
            &txn,
            tenant,
            "SIGNING_KEY_ROTATED",
            actor,
            ("signing_key", new_kid),
            details,
            self.clock.now(),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
