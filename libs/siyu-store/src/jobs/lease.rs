//! Named leases for periodic singleton work ("expire reservations"): one replica at a time.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, Value};
use siyu_core::Clock;

use crate::db::{Backend, stmt};
use crate::error::Result;

/// A named lease row in `siyu_leases`, held by at most one owner until it runs out.
///
/// Call [`Lease::try_acquire`] at the start of each period: it takes a free or expired lease
/// and renews one this owner already holds. Keep the work of one period shorter than the ttl.
#[derive(Debug, Clone)]
pub struct Lease {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    name: String,
    owner: String,
    ttl: Duration,
}

impl Lease {
    /// The lease `name` for `owner` (unique per replica), held `ttl` at a time.
    pub fn new(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        name: &str,
        owner: &str,
        ttl: Duration,
    ) -> Self {
        Self {
            db,
            clock,
            name: name.to_owned(),
            owner: owner.to_owned(),
            ttl,
        }
    }

    /// Takes or renews the lease; `true` when this owner holds it until now + ttl.
    #[tracing::instrument(skip_all, fields(name = %self.name))]
    pub async fn try_acquire(&self) -> Result<bool> {
        let now = self.clock.now().timestamp_millis();
        let until = now.saturating_add(i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX));
        // An upsert whose update only applies to an expired lease or one we hold: atomic on both
        // backends, so two replicas can never both see `true` for overlapping periods.
        let res = self
            .db
            .execute_raw(stmt(
                Backend::of(&self.db)?,
                "INSERT INTO siyu_leases (name, owner, until_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms \
                 WHERE siyu_leases.until_ms < $4 OR siyu_leases.owner = excluded.owner",
                [self.name.as_str().into(), self.owner.as_str().into(), Value::BigInt(Some(until)), Value::BigInt(Some(now))],
            ))
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Gives the lease up early (e.g. on shutdown) if this owner holds it.
    pub async fn release(&self) -> Result<()> {
        self.db
            .execute_raw(stmt(
                Backend::of(&self.db)?,
                "DELETE FROM siyu_leases WHERE name = $1 AND owner = $2",
                [self.name.as_str().into(), self.owner.as_str().into()],
            ))
            .await?;
        Ok(())
    }
}
