//! Idempotency records: the reply of a mutating call, stored in the same transaction as its
//! effect, so a retry with the same key gets the same reply and causes no second effect.

use std::pin::Pin;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, Value};
use sha2::{Digest, Sha256};
use siyu_core::{Clock, TenantId};

use crate::db::{Backend, begin_write, stmt};
use crate::error::StoreError;

/// The effect of a call: runs in the transaction that also stores its reply, returns the
/// encoded reply.
pub type Effect<'c, E> = Pin<Box<dyn Future<Output = Result<Vec<u8>, E>> + Send + 'c>>;

/// The result of [`Idempotency::run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The effect ran now; this is its reply.
    Fresh(Vec<u8>),
    /// The key was seen before with the same request; this is the stored reply.
    Replayed(Vec<u8>),
}

impl Outcome {
    /// The reply bytes, whichever way they were obtained.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Self::Fresh(b) | Self::Replayed(b) => b,
        }
    }

    /// True when the stored reply was returned and the effect did not run.
    pub fn is_replayed(&self) -> bool {
        matches!(self, Self::Replayed(_))
    }
}

/// Hashes a request for idempotency comparison: sha256 over the method and the encoded body.
pub fn request_hash(method: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0u8]);
    h.update(body);
    hex::encode(h.finalize())
}

/// Runs effects at most once per `(tenant, key)`.
#[derive(Debug, Clone)]
pub struct Idempotency {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
}

impl Idempotency {
    /// Idempotency over the `siyu_idempotency` table of `db`.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    /// Runs `effect` once for `(tenant, key)` and stores its reply in the same transaction.
    ///
    /// The record is inserted first: on Postgres a concurrent caller with the same key blocks
    /// on that uncommitted row until the winner commits (then it reads the stored reply) or
    /// rolls back (then its own insert succeeds and it runs the effect). On SQLite the
    /// transaction takes the write lock up front, so callers are serialised. A stored record
    /// with another request hash is refused with [`StoreError::KeyReused`]. If the effect
    /// fails, nothing is stored and the error is returned.
    #[tracing::instrument(skip_all, fields(%tenant, method, replayed))]
    pub async fn run<F, E>(
        &self,
        tenant: TenantId,
        key: &str,
        method: &str,
        request_hash: &str,
        effect: F,
    ) -> Result<Outcome, E>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> Effect<'c, E>,
        E: From<StoreError>,
    {
        let backend = Backend::of(&self.db)?;
        let txn = begin_write(&self.db).await?;
        let inserted = txn
            .execute_raw(stmt(
                backend,
                "INSERT INTO siyu_idempotency (tenant, idem_key, method, request_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, idem_key) DO NOTHING",
                [
                    Value::Uuid(Some(tenant.0)),
                    key.into(),
                    method.into(),
                    request_hash.into(),
                    Value::ChronoDateTimeUtc(Some(self.clock.now())),
                ],
            ))
            .await
            .map_err(StoreError::from)?
            .rows_affected()
            == 1;
        if !inserted {
            let stored = stored_reply(&txn, backend, tenant, key, request_hash).await;
            // Nothing was written: ending the transaction either way is fine.
            txn.rollback().await.map_err(StoreError::from)?;
            tracing::Span::current().record("replayed", true);
            return Ok(Outcome::Replayed(stored?));
        }
        let reply = effect(&txn).await?;
        txn.execute_raw(stmt(
            backend,
            "UPDATE siyu_idempotency SET response = $1 WHERE tenant = $2 AND idem_key = $3",
            [
                Value::Bytes(Some(reply.clone())),
                Value::Uuid(Some(tenant.0)),
                key.into(),
            ],
        ))
        .await
        .map_err(StoreError::from)?;
        txn.commit().await.map_err(StoreError::from)?;
        tracing::Span::current().record("replayed", false);
        Ok(Outcome::Fresh(reply))
    }

    /// Deletes records created before `before`: a retry after that runs the effect again.
    pub async fn purge(&self, before: chrono::DateTime<chrono::Utc>) -> Result<u64, StoreError> {
        let backend = Backend::of(&self.db)?;
        let res = self
            .db
            .execute_raw(stmt(
                backend,
                "DELETE FROM siyu_idempotency WHERE created_at < $1",
                [Value::ChronoDateTimeUtc(Some(before))],
            ))
            .await?;
        Ok(res.rows_affected())
    }
}

/// The committed reply for `(tenant, key)`, or `KeyReused` if it was for another request.
async fn stored_reply(
    txn: &DatabaseTransaction,
    backend: Backend,
    tenant: TenantId,
    key: &str,
    request_hash: &str,
) -> Result<Vec<u8>, StoreError> {
    let row = txn
        .query_one_raw(stmt(
            backend,
            "SELECT request_hash, response FROM siyu_idempotency WHERE tenant = $1 AND idem_key = $2",
            [Value::Uuid(Some(tenant.0)), key.into()],
        ))
        .await?
        .ok_or(StoreError::Corrupt { table: "siyu_idempotency", reason: "conflicting row vanished".into() })?;
    let hash: String = row.try_get("", "request_hash")?;
    if hash != request_hash {
        return Err(StoreError::KeyReused);
    }
    let response: Option<Vec<u8>> = row.try_get("", "response")?;
    response.ok_or(StoreError::Corrupt {
        table: "siyu_idempotency",
        reason: "committed record without reply".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_method_and_body() {
        let a = request_hash("Earn", b"x");
        assert_eq!(a, request_hash("Earn", b"x"));
        assert_ne!(a, request_hash("Redeem", b"x"));
        assert_ne!(a, request_hash("Earn", b"y"));
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(request_hash("ab", b"c"), request_hash("a", b"bc"));
        assert_eq!(a.len(), 64);
    }
}
