//! The revocation feed (ListTokenRevocations): revoked sessions, subjects and tokens of every
//! tenant, numbered in commit order for the deny-lists of the other services.

use chrono::Duration;

use crate::app::App;
use crate::error::AppError;
use crate::repo::tokens::revocation_feed::{self as repo, Revocation};

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
}
