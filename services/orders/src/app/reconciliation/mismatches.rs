//! ResolveMismatch: staff close an open mismatch with a resolution and a note. Resolving
//! changes nothing else: payments and refunds are corrected through their own RPCs.

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use uuid::Uuid;

use super::{Mismatch, ReconciliationError};
use crate::AppError;
use crate::app::App;
use crate::repo::reconciliation::mismatches;

impl App {
    /// Resolves the open mismatch `id` as `resolution` (FIXED_LOCALLY … ACCEPTED) with `note`.
    pub async fn resolve_mismatch(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        id: Uuid,
        resolution: i16,
        note: &str,
        staff_id: &str,
    ) -> Result<Mismatch, AppError> {
        let resolved =
            mismatches::resolve(conn, tenant, id, resolution, note, staff_id, self.now_ms())
                .await?;
        let m = mismatches::get(conn, tenant, id)
            .await?
            .ok_or(ReconciliationError::MismatchNotFound)?;
        if !resolved {
            return Err(ReconciliationError::AlreadyResolved(m.resolution).into());
        }
        Ok(m)
    }
}
