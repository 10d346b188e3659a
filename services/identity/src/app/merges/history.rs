//! ListUserMerges: the merges a user took part in (kept or merged side), newest first, with the
//! identities each moved.

use siyu_core::TenantId;

use crate::app::App;
use crate::error::AppError;
use crate::repo::consumers::identities::{self as identities_repo, LinkedIdentity};
use crate::repo::consumers::users as users_repo;
use crate::repo::merges::records::{self as merges_repo, MergeRecord};

impl App {
    /// Merges involving a user (kept or merged side), newest first, with the moved identities
    /// that still exist (an identity unlinked since is omitted: the record keeps only ids).
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn user_merges(
        &self,
        tenant: TenantId,
        id: &str,
    ) -> Result<Vec<(MergeRecord, Vec<LinkedIdentity>)>, AppError> {
        users_repo::get(&self.db, tenant, id)
            .await?
            .ok_or(AppError::UserNotFound)?;
        let mut out = Vec::new();
        for record in merges_repo::merges_of(&self.db, tenant, id).await? {
            let moved =
                identities_repo::identities_by_ids(&self.db, tenant, &record.merge.moved).await?;
            out.push((record, moved));
        }
        Ok(out)
    }
}
