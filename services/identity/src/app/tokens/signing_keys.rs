//! Signing-key rotation as the domain sees it: the ring (`key_ring.rs`) rotates on its own
//! connection, and the rotation is then audited (SIGNING_KEY_ROTATED) in the platform tenant's
//! chain.

use siyu_core::TenantId;

use crate::app::App;
use crate::app::audit::append::audit;
use crate::error::AppError;

impl App {
    /// Audits SIGNING_KEY_ROTATED in the platform tenant's chain.
    pub async fn audit_key_rotation(
        &self,
        tenant: TenantId,
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
