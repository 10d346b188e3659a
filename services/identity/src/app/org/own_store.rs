//! UpdateOrgUnit restricted to a store's own details: what a store_manager may change on the
//! stores they manage (opening hours, special hours, phone, image).

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;

use crate::app::App;
use crate::app::org::units::audit;
use crate::app::org::{edits_every_field, may_act_on};
use crate::error::AppError;
use crate::repo::org::OrgUnitType;
use crate::repo::org::units::{self as repo, OrgUnit};

/// The update-mask paths a store_manager may use on their own store.
pub const STORE_MANAGER_PATHS: &[&str] = &[
    "store.opening_hours",
    "store.special_hours",
    "store.phone",
    "store.image_url",
];

/// True when every path is one a store_manager may use.
pub fn only_store_details(paths: &[String]) -> bool {
    !paths.is_empty()
        && paths
            .iter()
            .all(|p| STORE_MANAGER_PATHS.contains(&p.as_str()))
}

impl App {
    /// ORG_UNIT_NOT_FOUND / PERMISSION_DENIED unless `ctx` may edit every field of unit `id`
    /// ([`edits_every_field`](crate::app::org::edits_every_field)).
    pub async fn require_org_editor(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: &str,
    ) -> Result<(), AppError> {
        let unit = self.org_unit(txn, ctx.tenant, id).await?;
        if edits_every_field(ctx, &unit.path) {
            Ok(())
        } else {
            Err(AppError::PermissionDenied)
        }
    }

    /// UpdateOrgUnit with only [`STORE_MANAGER_PATHS`]: the method's roles in scope, a store
    /// manager on stores only. `merge` turns the stored profile bytes into the new ones (only the
    /// named sub-fields change; the domain columns — address, geo, pickup — stay as they are).
    #[tracing::instrument(skip_all, fields(unit = id))]
    pub async fn update_store_details(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: &str,
        etag: &str,
        merge: impl FnOnce(&[u8]) -> Result<Vec<u8>, AppError>,
    ) -> Result<OrgUnit, AppError> {
        let tenant = ctx.tenant;
        let mut unit = self.org_unit(txn, tenant, id).await?;
        let editor = edits_every_field(ctx, &unit.path);
        let manager = unit.kind == OrgUnitType::Store && may_act_on(ctx, &unit.path);
        if !editor && !manager {
            return Err(AppError::PermissionDenied);
        }
        if unit.kind != OrgUnitType::Store {
            return Err(AppError::invalid("org_unit.store", "only stores have one"));
        }
        if etag != unit.version.to_string() {
            return Err(AppError::ConcurrentModification);
        }
        unit.profile = merge(&unit.profile)?;
        let now = self.clock.now();
        if !repo::update(txn, &unit, unit.version, now).await? {
            return Err(AppError::ConcurrentModification);
        }
        audit(
            txn,
            ctx,
            "ORG_UNIT_CHANGED",
            id,
            "store details updated",
            now,
        )
        .await?;
        self.org_unit(txn, tenant, id).await
    }
}
