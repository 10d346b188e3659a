//! Changes of org units (CreateOrgUnit, UpdateOrgUnit, MoveOrgUnit, Disable/EnableOrgUnit): the
//! unit type rules, moves that refuse cycles, unique codes, and the audit of every change.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};

use crate::app::App;
use crate::app::org::{edits_every_field, require_on};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::org::tree as tree_repo;
use crate::repo::org::units::{self as repo, OrgUnit};
use crate::repo::org::{OrgUnitStatus, OrgUnitType};

/// Store attributes the domain looks at (the full profile travels as opaque bytes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreFields {
    /// One-line address (searchable).
    pub address: String,
    /// City (exact filter).
    pub city: String,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// Pickup offered.
    pub pickup: bool,
    /// The encoded profile.
    pub profile: Vec<u8>,
}

/// A unit to create.
#[derive(Debug, Clone)]
pub struct NewUnit {
    /// Parent id.
    pub parent_id: String,
    /// REGION, STORE or DEPARTMENT.
    pub kind: OrgUnitType,
    /// Name.
    pub name: String,
    /// Code.
    pub code: String,
    /// Sibling order.
    pub sort_order: i32,
    /// Store attributes (stores only).
    pub store: Option<StoreFields>,
}

/// Fields of UpdateOrgUnit (None = untouched).
#[derive(Debug, Clone, Default)]
pub struct UnitPatch {
    /// New name.
    pub name: Option<String>,
    /// New code.
    pub code: Option<String>,
    /// New sort order.
    pub sort_order: Option<i32>,
    /// New store attributes.
    pub store: Option<StoreFields>,
}

/// Whether a `kind` unit may sit under a `parent` unit.
fn parent_allows(parent: OrgUnitType, kind: OrgUnitType) -> bool {
    use OrgUnitType::{Department, Hq, Region, Store};
    match kind {
        Region | Store => matches!(parent, Hq | Region),
        Department => matches!(parent, Hq | Region | Department),
        Hq => false,
    }
}

impl App {
    /// A unit of the caller's tenant, or NOT_FOUND.
    pub async fn org_unit(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        id: &str,
    ) -> Result<OrgUnit, AppError> {
        repo::get(conn, tenant, id)
            .await?
            .ok_or(AppError::OrgUnitNotFound)
    }

    /// CreateOrgUnit.
    #[tracing::instrument(skip_all, fields(parent = %new.parent_id))]
    pub async fn create_org_unit(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        new: NewUnit,
    ) -> Result<OrgUnit, AppError> {
        let tenant = ctx.tenant;
        let parent = self.org_unit(txn, tenant, &new.parent_id).await?;
        require_on(ctx, &parent.path)?;
        if !parent_allows(parent.kind, new.kind) {
            return Err(AppError::OrgInvalidParent);
        }
        if parent.status != OrgUnitStatus::Active {
            return Err(AppError::OrgUnitDisabled);
        }
        let id = siyu_core::id::new_string();
        if repo::code_taken(txn, tenant, &new.code, &id).await? {
            return Err(AppError::OrgUnitCodeTaken);
        }
        let now = self.clock.now();
        let store = new.store.unwrap_or_default();
        let row = OrgUnit {
            path: format!("{}/{id}", parent.path),
            id,
            tenant_id: tenant,
            parent_id: Some(parent.id.clone()),
            kind: new.kind,
            code: new.code,
            name: new.name,
            depth: parent.depth + 1,
            status: OrgUnitStatus::Active,
            sort_order: new.sort_order,
            address: store.address,
            city: store.city,
            latitude: store.latitude,
            longitude: store.longitude,
            pickup: store.pickup,
            profile: store.profile,
            version: 1,
            child_count: 0,
            created_at: now,
            updated_at: now,
        };
        repo::insert(txn, &row).await.map_err(code_conflict)?;
        audit(txn, ctx, "ORG_UNIT_CHANGED", &row.id, "created", now).await?;
        Ok(row)
    }

    /// UpdateOrgUnit: applies `patch` when `etag` is current.
    #[tracing::instrument(skip_all, fields(unit = id))]
    pub async fn update_org_unit(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: &str,
        etag: &str,
        patch: UnitPatch,
    ) -> Result<OrgUnit, AppError> {
        let tenant = ctx.tenant;
        let mut unit = self.org_unit(txn, tenant, id).await?;
        if !edits_every_field(ctx, &unit.path) {
            return Err(AppError::PermissionDenied);
        }
        if etag != unit.version.to_string() {
            return Err(AppError::ConcurrentModification);
        }
        if let Some(code) = patch.code {
            if repo::code_taken(txn, tenant, &code, id).await? {
                return Err(AppError::OrgUnitCodeTaken);
            }
            unit.code = code;
        }
        if let Some(name) = patch.name {
            unit.name = name;
        }
        if let Some(order) = patch.sort_order {
            unit.sort_order = order;
        }
        if let Some(store) = patch.store {
            if unit.kind != OrgUnitType::Store {
                return Err(AppError::invalid("org_unit.store", "only stores have one"));
            }
            unit.address = store.address;
            unit.city = store.city;
            unit.latitude = store.latitude;
            unit.longitude = store.longitude;
            unit.pickup = store.pickup;
            unit.profile = store.profile;
        }
        let now = self.clock.now();
        if !repo::update(txn, &unit, unit.version, now)
            .await
            .map_err(code_conflict)?
        {
            return Err(AppError::ConcurrentModification);
        }
        audit(txn, ctx, "ORG_UNIT_CHANGED", id, "updated", now).await?;
        self.org_unit(txn, tenant, id).await
    }

    /// MoveOrgUnit: re-parents a unit with its subtree; refuses moving under itself.
    #[tracing::instrument(skip_all, fields(unit = id, new_parent))]
    pub async fn move_org_unit(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: &str,
        new_parent: &str,
        reason: &str,
    ) -> Result<OrgUnit, AppError> {
        let tenant = ctx.tenant;
        let unit = self.org_unit(txn, tenant, id).await?;
        let parent = self.org_unit(txn, tenant, new_parent).await?;
        require_on(ctx, &unit.path)?;
        require_on(ctx, &parent.path)?;
        let Some(old_parent) = unit.parent_id.as_deref() else {
            return Err(AppError::OrgRootImmutable);
        };
        if parent.path == unit.path || parent.path.starts_with(&format!("{}/", unit.path)) {
            return Err(AppError::OrgMoveCycle);
        }
        if old_parent == parent.id {
            return Ok(unit);
        }
        if !parent_allows(parent.kind, unit.kind) {
            return Err(AppError::OrgInvalidParent);
        }
        let now = self.clock.now();
        let new_path = format!("{}/{}", parent.path, unit.id);
        tree_repo::move_subtree(
            txn,
            tenant,
            id,
            &parent.id,
            &unit.path,
            &new_path,
            parent.depth + 1 - unit.depth,
            now,
        )
        .await?;
        audit(txn, ctx, "ORG_UNIT_MOVED", id, reason, now).await?;
        self.org_unit(txn, tenant, id).await
    }

    /// DisableOrgUnit / EnableOrgUnit; returns the unit and how many units changed.
    #[tracing::instrument(skip_all, fields(unit = id, enable))]
    pub async fn set_org_unit_status(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: &str,
        enable: bool,
        cascade: bool,
    ) -> Result<(OrgUnit, u64), AppError> {
        let tenant = ctx.tenant;
        let unit = self.org_unit(txn, tenant, id).await?;
        require_on(ctx, &unit.path)?;
        let Some(parent_id) = unit.parent_id.as_deref() else {
            return Err(AppError::OrgRootImmutable);
        };
        if enable {
            let parent = self.org_unit(txn, tenant, parent_id).await?;
            if parent.status != OrgUnitStatus::Active {
                return Err(AppError::OrgUnitDisabled);
            }
        } else if !cascade
            && tree_repo::children(txn, tenant, id)
                .await?
                .iter()
                .any(|c| c.status == OrgUnitStatus::Active)
        {
            return Err(AppError::OrgUnitHasActiveChildren);
        }
        let now = self.clock.now();
        let status = if enable {
            OrgUnitStatus::Active
        } else {
            OrgUnitStatus::Disabled
        };
        let n =
            tree_repo::set_status(txn, tenant, &unit.path, cascade && !enable, status, now).await?;
        if n > 0 {
            audit(txn, ctx, "ORG_UNIT_CHANGED", id, status.as_str(), now).await?;
        }
        Ok((self.org_unit(txn, tenant, id).await?, n))
    }
}

/// A unique-code violation of a racing writer reads as the documented conflict.
fn code_conflict(err: AppError) -> AppError {
    if crate::repo::is_unique_violation(&err) {
        AppError::OrgUnitCodeTaken
    } else {
        err
    }
}

pub(super) async fn audit(
    txn: &impl ConnectionTrait,
    ctx: &Ctx,
    kind: &'static str,
    unit: &str,
    what: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    audit_repo::append(
        txn,
        ctx.tenant,
        NewEntry {
            kind,
            outcome: AuditOutcome::Success,
            actor_kind: crate::app::kind_name(ctx.principal.kind).into(),
            actor_id: ctx.principal.subject.clone(),
            target_kind: "org_unit".into(),
            target_id: unit.to_owned(),
            details: [("change".to_owned(), what.to_owned())]
                .into_iter()
                .collect(),
        },
        now,
    )
    .await?;
    Ok(())
}
