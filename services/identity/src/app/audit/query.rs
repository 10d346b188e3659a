//! Reads of a tenant's audit chain (ListAuditEntries, GetAuditEntry).

use siyu_core::TenantId;

use crate::app::App;
use crate::error::AppError;
use crate::repo::audit::chain::Entry;
use crate::repo::audit::query::{self as repo, AuditFilter};

impl App {
    /// Entries of `tenant` matching `filter`, strictly after (`ascending`) or before `cursor`
    /// in sequence order, at most `limit` (appends during paging neither repeat nor skip:
    /// sequences are assigned under the chain head lock, in commit order).
    pub async fn audit_page(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        cursor: Option<i64>,
        ascending: bool,
        limit: i64,
    ) -> Result<Vec<Entry>, AppError> {
        repo::page(&self.db, tenant, filter, cursor, ascending, limit).await
    }

    /// One entry of `tenant`: NOT_FOUND AUDIT_ENTRY_NOT_FOUND for anything else (another
    /// tenant's id included).
    pub async fn audit_entry(&self, tenant: TenantId, id: &str) -> Result<Entry, AppError> {
        repo::get(&self.db, tenant, id)
            .await?
            .ok_or(AppError::AuditEntryNotFound)
    }
}
