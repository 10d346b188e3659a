//! Stripping an erased user's orders. The retention: transaction records are kept at least
//! three years from the end of the transaction (PRC E-Commerce Law art. 31), so an erased user's
//! order keeps what fulfilment, after-sales and that record need until three years after its
//! transaction ended (cancelled, closed, or completed and settled), then loses the delivery
//! address below the district, the recipient's and collector's names and phones, the location
//! and the buyer's note. Orders already past it are stripped with the UserErased event; the
//! others by a step of the leased jobs pass as they pass it.

use prost::Message as _;
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use siyu_proto::orders::v1 as pb;
use uuid::Uuid;

use crate::AppError;
use crate::app::App;
use crate::repo;

/// The legal retention of a transaction's record, from its end: three years of 365 days.
pub const RETENTION_MS: i64 = 3 * 365 * 86_400_000;

/// Rows per pass.
const BATCH: i64 = 100;

/// The snapshot without the personal fields of its fulfilment and note.
pub fn stripped(snapshot: &[u8]) -> Result<Vec<u8>, AppError> {
    let mut o = pb::Order::decode(snapshot)
        .map_err(|e| AppError::Internal(format!("order snapshot: {e}")))?;
    if let Some(f) = o.fulfilment.as_mut() {
        if let Some(a) = f.address.as_mut() {
            // Province, city and district stay: they name no one, and regional figures use them.
            a.detail.clear();
            a.postal_code.clear();
            a.contact_name.clear();
            a.contact_phone.clear();
            a.location = None;
        }
        f.pickup_contact_name.clear();
        f.pickup_contact_phone.clear();
    }
    o.buyer_note.clear();
    Ok(o.encode_to_vec())
}

/// Strips one order of an erased user, its row locked; false when it was stripped before.
pub async fn strip(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
    now_ms: i64,
) -> Result<bool, AppError> {
    let Some(snapshot) = repo::erasure::lock_unstripped(conn, tenant, order).await? else {
        return Ok(false);
    };
    repo::erasure::store_stripped(conn, tenant, order, &stripped(&snapshot)?, now_ms).await?;
    Ok(true)
}

impl App {
    /// The jobs pass's step: strips the erased users' orders that passed their retention.
    pub async fn strip_erased_due(&self) -> Result<usize, AppError> {
        let now = self.now_ms();
        let due = repo::erasure::due(&self.db, None, now - RETENTION_MS, BATCH).await?;
        let mut n = 0;
        for (tenant, order) in due {
            // One order failing (an unreadable snapshot) does not hold up the others.
            match self.strip_one(tenant, order, now).await {
                Ok(done) => n += usize::from(done),
                Err(e) => tracing::warn!(error = %e, %order, "erased user's order not stripped"),
            }
        }
        Ok(n)
    }

    async fn strip_one(&self, tenant: TenantId, order: Uuid, now: i64) -> Result<bool, AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let done = strip(&txn, tenant, order, now).await?;
        txn.commit().await?;
        Ok(done)
    }
}
