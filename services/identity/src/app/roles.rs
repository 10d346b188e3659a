//! Role grants on org units (a grant covers the unit's subtree; tokens issued after a grant
//! carry it as `{role, org path}`) and guide codes (导购码).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, OrgPath, PrincipalKind};

use crate::app::App;
use crate::app::org::covers;
use crate::app::staff_admin::{StaffView, grantable};
use crate::crypto::random_bytes;
use crate::error::AppError;
use crate::repo::staff_admin::{self as repo, GrantRow, GuideRow};

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
    pub code: GuideRow,
    /// Guide display name.
    pub display_name: String,
    /// Guide avatar.
    pub avatar_url: String,
    /// Store name.
    pub store_name: String,
}

impl App {
    pub(crate) async fn insert_grant(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        staff_id: &str,
        role: &str,
        unit: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, AppError> {
        let tenant = ctx.tenant.to_string();
        let inserted = repo::insert_grant(
            txn,
            &GrantRow {
                id: siyu_core::id::new_string(),
                tenant_id: tenant,
                staff_id: staff_id.to_owned(),
                role: role.to_owned(),
                org_unit_id: unit.to_owned(),
                org_unit_name: String::new(),
                org_path: String::new(),
                granted_by: ctx.principal.subject.clone(),
                created_at: now,
            },
        )
        .await?;
        if inserted {
            let details = BTreeMap::from([
                ("role".to_owned(), role.to_owned()),
                ("org_unit_id".to_owned(), unit.to_owned()),
            ]);
            self.audit_staff_admin(txn, ctx, "ROLE_GRANTED", staff_id, details, now)
                .await?;
        }
        Ok(inserted)
    }

    /// GrantRole (an existing identical grant is returned).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, staff = staff_id))]
    pub async fn grant_role(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        staff_id: &str,
        role: &str,
        unit_id: &str,
    ) -> Result<GrantRow, AppError> {
        let tenant = ctx.tenant.to_string();
        let target = self.staff_view(txn, &tenant, staff_id).await?;
        let unit = self.org_unit(txn, &tenant, unit_id).await?;
        if !covers(ctx, &["tenant_admin", "store_manager"], &target.path) {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED"));
        }
        if ctx.principal.subject == staff_id {
            return Err(AppError::FailedPrecondition("CANNOT_MODIFY_SELF"));
        }
        if !grantable(ctx, role, &unit.path) || !grantable(ctx, role, &target.path) {
            return Err(AppError::PermissionDenied("ROLE_NOT_GRANTABLE"));
        }
        self.insert_grant(txn, ctx, staff_id, role, &unit.id, self.clock.now())
            .await?;
        repo::grants(txn, &tenant, Some(staff_id))
            .await?
            .into_iter()
            .find(|g| g.role == role && g.org_unit_id == unit.id)
            .ok_or_else(|| AppError::Internal("grant vanished".into()))
    }

    /// RevokeRole.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, grant = grant_id))]
    pub async fn revoke_role(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        grant_id: &str,
        revoke_sessions: bool,
        reason: &str,
    ) -> Result<(), AppError> {
        let tenant = ctx.tenant.to_string();
        let now = self.clock.now();
        let grant = repo::grant_by_id(txn, &tenant, grant_id)
            .await?
            .ok_or(AppError::NotFound("ROLE_GRANT_NOT_FOUND"))?;
        if !grantable(ctx, &grant.role, &grant.org_path) {
            return Err(AppError::PermissionDenied("ROLE_NOT_GRANTABLE"));
        }
        if ctx.principal.subject == grant.staff_id {
            return Err(AppError::FailedPrecondition("CANNOT_MODIFY_SELF"));
        }
        if grant.role == "tenant_admin" {
            let root = crate::repo::tenants::get(txn, &tenant)
                .await?
                .map(|t| t.root_org_id)
                .unwrap_or_default();
            if grant.org_unit_id == root
                && repo::other_root_admins(txn, &tenant, &root, &grant.staff_id).await? == 0
            {
                return Err(AppError::FailedPrecondition("LAST_TENANT_ADMIN"));
            }
        }
        repo::delete_grant(txn, &tenant, grant_id).await?;
        if grant.role == "guide" {
            // Retire codes for stores no remaining guide grant covers.
            let remaining = repo::grants(txn, &tenant, Some(&grant.staff_id)).await?;
            let paths = repo::org_paths(txn, &tenant).await?;
            for code in repo::guide_codes(txn, &tenant, &grant.staff_id, "").await? {
                let store_path = paths.get(&code.store_id).cloned().unwrap_or_default();
                let still = remaining
                    .iter()
                    .any(|g| g.role == "guide" && path_covers(&g.org_path, &store_path));
                if code.active && !still {
                    repo::retire_guide_codes(txn, &tenant, &grant.staff_id, &code.store_id, now)
                        .await?;
                }
            }
        }
        if revoke_sessions {
            let actor = (
                crate::app::tokens::sessions::kind_name(ctx.principal.kind),
                ctx.principal.subject.as_str(),
            );
            self.revoke_subject_sessions(
                txn,
                &tenant,
                actor,
                &grant.staff_id,
                None,
                "role_revoked",
            )
            .await?;
        }
        let details = BTreeMap::from([
            ("role".to_owned(), grant.role.clone()),
            ("org_unit_id".to_owned(), grant.org_unit_id.clone()),
            ("reason".to_owned(), reason.to_owned()),
        ]);
        self.audit_staff_admin(txn, ctx, "ROLE_REVOKED", &grant.staff_id, details, now)
            .await
    }

    /// Grants visible to the caller (tenant_admin|auditor: in scope; store_manager: grants on
    /// their stores), filtered.
    pub async fn list_role_grants(
        &self,
        ctx: &Ctx,
        staff_id: &str,
        role: Option<&str>,
        unit_id: &str,
        include_ancestors: bool,
    ) -> Result<Vec<GrantRow>, AppError> {
        let tenant = ctx.tenant.to_string();
        let unit_path = if unit_id.is_empty() {
            None
        } else {
            Some(self.org_unit(&self.db, &tenant, unit_id).await?.path)
        };
        let all = repo::grants(
            &self.db,
            &tenant,
            (!staff_id.is_empty()).then_some(staff_id),
        )
        .await?;
        Ok(all
            .into_iter()
            .filter(|g| {
                ctx.principal.kind == PrincipalKind::Service
                    || covers(
                        ctx,
                        &["tenant_admin", "auditor", "store_manager"],
                        &g.org_path,
                    )
            })
            .filter(|g| role.is_none_or(|r| g.role == r))
            .filter(|g| match &unit_path {
                None => true,
                Some(p) if include_ancestors => path_covers(&g.org_path, p),
                Some(_) => g.org_unit_id == unit_id,
            })
            .collect())
    }

    /// IssueGuideCode: a new active code for (guide, store); the previous one retires after
    /// `grace_secs`. Returns (new, previous).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn issue_guide_code(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        staff_id: &str,
        store_id: &str,
        grace_secs: i64,
    ) -> Result<(GuideRow, Option<GuideRow>), AppError> {
        let tenant = ctx.tenant.to_string();
        let now = self.clock.now();
        let guide: StaffView = self.staff_view(txn, &tenant, staff_id).await?;
        let store_id = if store_id.is_empty() {
            guide.staff.home_org_id.clone()
        } else {
            store_id.to_owned()
        };
        let store = self.org_unit(txn, &tenant, &store_id).await?;
        if store.kind != "STORE" {
            return Err(AppError::invalid("store_id", "must be a store"));
        }
        let own = ctx.principal.subject == staff_id;
        if !own && !covers(ctx, &["store_manager", "tenant_admin"], &store.path) {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED"));
        }
        if store.status != "ACTIVE" {
            return Err(AppError::FailedPrecondition("ORG_UNIT_DISABLED"));
        }
        if guide.staff.status != "ACTIVE" {
            return Err(AppError::FailedPrecondition("ACCOUNT_DISABLED"));
        }
        if !guide
            .grants
            .iter()
            .any(|g| g.role == "guide" && path_covers(&g.org_path, &store.path))
        {
            return Err(AppError::FailedPrecondition("STAFF_NOT_GUIDE"));
        }
        let previous = repo::guide_codes(txn, &tenant, staff_id, &store.id)
            .await?
            .into_iter()
            .find(|c| c.active);
        let retire_at = now + Duration::seconds(grace_secs);
        repo::retire_guide_codes(txn, &tenant, staff_id, &store.id, retire_at).await?;
        let mut row = GuideRow {
            code: new_code()?,
            tenant_id: tenant.clone(),
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
                Err(err) => return Err(err.into()),
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
            previous.map(|p| GuideRow {
                active: false,
                retire_at: Some(retire_at),
                ..p
            }),
        ))
    }

    /// Guide codes the caller may see (a guide: own; managers/admins/operators: stores in scope).
    pub async fn list_guide_codes(
        &self,
        ctx: &Ctx,
        staff_id: &str,
        store_id: &str,
        include_retired: bool,
    ) -> Result<Vec<GuideRow>, AppError> {
        let tenant = ctx.tenant.to_string();
        let now = self.clock.now();
        let paths = repo::org_paths(&self.db, &tenant).await?;
        Ok(repo::guide_codes(&self.db, &tenant, staff_id, store_id)
            .await?
            .into_iter()
            .filter(|c| {
                let path = paths.get(&c.store_id).cloned().unwrap_or_default();
                c.staff_id == ctx.principal.subject
                    || covers(
                        ctx,
                        &["store_manager", "tenant_admin", "hq_operator"],
                        &path,
                    )
            })
            .filter(|c| include_retired || c.active || c.retire_at.is_some_and(|t| t > now))
            .collect())
    }

    /// ResolveGuideCode in `tenant`: NOT_FOUND GUIDE_CODE_NOT_FOUND for anything unusable.
    pub async fn resolve_guide_code(
        &self,
        tenant: &str,
        code: &str,
    ) -> Result<ResolvedGuide, AppError> {
        let not_found = || AppError::NotFound("GUIDE_CODE_NOT_FOUND");
        let now = self.clock.now();
        let row = repo::guide_code(&self.db, tenant, &normalize_code(code))
            .await?
            .ok_or_else(not_found)?;
        if !(row.active || row.retire_at.is_some_and(|t| t > now)) {
            return Err(not_found());
        }
        let staff = crate::repo::staff::get(&self.db, tenant, &row.staff_id)
            .await?
            .filter(|s| s.status == "ACTIVE")
            .ok_or_else(not_found)?;
        let store = crate::repo::org::get(&self.db, tenant, &row.store_id)
            .await?
            .filter(|o| o.status == "ACTIVE")
            .ok_or_else(not_found)?;
        Ok(ResolvedGuide {
            code: row,
            display_name: staff.display_name,
            avatar_url: staff.avatar_url,
            store_name: store.name,
        })
    }
}

/// True when the unit at `outer` contains the unit at `inner` (same or ancestor).
pub fn path_covers(outer: &str, inner: &str) -> bool {
    match (OrgPath::parse(outer), OrgPath::parse(inner)) {
        (Ok(o), Ok(i)) => o.covers(&i),
        _ => false,
    }
}
