//! Guide codes (导购码): IssueGuideCode (a new code per guide and store, the previous one
//! retiring after a grace period), ListGuideCodes and ResolveGuideCode.

use std::collections::BTreeMap;

use chrono::Duration;
use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};

use crate::app::App;
use crate::app::org::acts_on_beyond;
use crate::app::role::GUIDE;
use crate::app::staff::accounts::StaffView;
use crate::app::staff::roles::path_covers;
use crate::crypto::random_bytes;
use crate::error::AppError;
use crate::repo::org::{OrgUnitStatus, OrgUnitType};
use crate::repo::staff::StaffStatus;
use crate::repo::staff::admin as admin_repo;
use crate::repo::staff::guide_codes::{self as repo, GuideCode};

/// Crockford base32 without I, L, O, U.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new random 8-character guide code (40 bits).
fn new_code() -> Result<String, AppError> {
    let bytes = random_bytes::<8>()?;
    Ok(bytes
        .iter()
        .map(|b| char::from(CROCKFORD[usize::from(b % 32)]))
        .collect())
}

/// Normalizes a scanned code: upper case, Crockford look-alikes (I/L → 1, O → 0).
pub fn normalize_code(code: &str) -> String {
    code.trim()
        .to_ascii_uppercase()
        .chars()
        .map(|c| match c {
            'I' | 'L' => '1',
            'O' => '0',
            c => c,
        })
        .collect()
}

/// What ResolveGuideCode answers.
#[derive(Debug, Clone)]
pub struct ResolvedGuide {
    /// The code row.
    pub code: GuideCode,
    /// Guide display name.
    pub display_name: String,
    /// Guide avatar.
    pub avatar_url: String,
    /// Store name.
    pub store_name: String,
}

impl App {
    /// IssueGuideCode: a new active code for (guide, store); the previous one retires after
    /// `grace_secs`. Returns (new, previous). A guide issues their own codes only; the method's
    /// other roles issue codes for the guides of the stores in their scope.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn issue_guide_code(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        staff_id: &str,
        store_id: &str,
        grace_secs: i64,
    ) -> Result<(GuideCode, Option<GuideCode>), AppError> {
        let tenant = ctx.tenant;
        let now = self.clock.now();
        let guide: StaffView = self.staff_view(txn, tenant, staff_id).await?;
        let store_id = if store_id.is_empty() {
            guide.staff.home_org_id.clone()
        } else {
            store_id.to_owned()
        };
        let store = self.org_unit(txn, tenant, &store_id).await?;
        if store.kind != OrgUnitType::Store {
            return Err(AppError::invalid("store_id", "must be a store"));
        }
        let own = ctx.principal.subject == staff_id;
        if !own && !acts_on_beyond(ctx, GUIDE, &store.path) {
            return Err(AppError::PermissionDenied);
        }
        if store.status != OrgUnitStatus::Active {
            return Err(AppError::OrgUnitDisabled);
        }
        if guide.staff.status != StaffStatus::Active {
            return Err(AppError::GuideAccountDisabled);
        }
        if !guide
            .grants
            .iter()
            .any(|g| g.role == GUIDE && path_covers(&g.org_path, &store.path))
        {
            return Err(AppError::StaffNotGuide);
        }
        let previous = repo::guide_codes(txn, tenant, staff_id, &store.id)
            .await?
            .into_iter()
            .find(|c| c.active);
        let retire_at = now + Duration::seconds(grace_secs);
        repo::retire_guide_codes(txn, tenant, staff_id, &store.id, retire_at).await?;
        let mut row = GuideCode {
            code: new_code()?,
            tenant_id: tenant,
            staff_id: staff_id.to_owned(),
            store_id: store.id.clone(),
            active: true,
            created_at: now,
            retire_at: None,
        };
        // 40 random bits: a collision is rare; the primary key catches it and we draw again.
        let mut attempts = 0;
        loop {
            match repo::insert_guide_code(txn, &row).await {
                Ok(()) => break,
                Err(err) if crate::repo::is_unique_violation(&err) && attempts < 3 => {
                    attempts += 1;
                    row.code = new_code()?;
                }
                Err(err) => return Err(err),
            }
        }
        let details = BTreeMap::from([
            ("store_id".to_owned(), store.id.clone()),
            ("grace_seconds".to_owned(), grace_secs.to_string()),
        ]);
        self.audit_staff_admin(txn, ctx, "GUIDE_CODE_ISSUED", staff_id, details, now)
            .await?;
        Ok((
            row,
            previous.map(|p| GuideCode {
                active: false,
                retire_at: Some(retire_at),
                ..p
            }),
        ))
    }

    /// Guide codes the caller may see: a guide their own, the method's other roles those of the
    /// stores in their scope.
    pub async fn list_guide_codes(
        &self,
        ctx: &Ctx,
        staff_id: &str,
        store_id: &str,
        include_retired: bool,
    ) -> Result<Vec<GuideCode>, AppError> {
        let tenant = ctx.tenant;
        let now = self.clock.now();
        let paths = admin_repo::org_paths(&self.db, tenant).await?;
        Ok(repo::guide_codes(&self.db, tenant, staff_id, store_id)
            .await?
            .into_iter()
            .filter(|c| {
                let path = paths.get(&c.store_id).cloned().unwrap_or_default();
                c.staff_id == ctx.principal.subject || acts_on_beyond(ctx, GUIDE, &path)
            })
            .filter(|c| include_retired || c.active || c.retire_at.is_some_and(|t| t > now))
            .collect())
    }

    /// ResolveGuideCode in `tenant`: NOT_FOUND GUIDE_CODE_NOT_FOUND for anything unusable.
    pub async fn resolve_guide_code(
        &self,
        tenant: TenantId,
        code: &str,
    ) -> Result<ResolvedGuide, AppError> {
        let not_found = || AppError::GuideCodeNotFound;
        let now = self.clock.now();
        let row = repo::guide_code(&self.db, tenant, &normalize_code(code))
            .await?
            .ok_or_else(not_found)?;
        if !(row.active || row.retire_at.is_some_and(|t| t > now)) {
            return Err(not_found());
        }
        let staff = crate::repo::staff::accounts::get(&self.db, tenant, &row.staff_id)
            .await?
            .filter(|s| s.status == StaffStatus::Active)
            .ok_or_else(not_found)?;
        let store = crate::repo::org::units::get(&self.db, tenant, &row.store_id)
            .await?
            .filter(|o| o.status == OrgUnitStatus::Active)
            .ok_or_else(not_found)?;
        Ok(ResolvedGuide {
            code: row,
            display_name: staff.display_name,
            avatar_url: staff.avatar_url,
            store_name: store.name,
        })
    }
}
