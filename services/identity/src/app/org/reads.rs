//! Reads of the org tree (GetOrgUnit, BatchGetOrgUnits, ListOrgChildren, GetOrgSubtree,
//! GetOrgPath), each scoped by the caller: staff see the subtrees of their grants, services the
//! whole tenant, consumers only active stores (who may call which read is the contract's).

use std::collections::HashMap;

use siyu_core::{Ctx, PrincipalKind};

use crate::app::App;
use crate::app::org::{may_act_on, require_on};
use crate::error::AppError;
use crate::repo::org::tree as tree_repo;
use crate::repo::org::units::{self as repo, OrgUnit};
use crate::repo::org::{OrgUnitStatus, OrgUnitType};

impl App {
    /// GetOrgUnit: staff within scope, services; others active stores only.
    pub async fn get_org_unit(&self, ctx: &Ctx, id: &str) -> Result<OrgUnit, AppError> {
        let unit = self.org_unit(&self.db, ctx.tenant, id).await?;
        match ctx.principal.kind {
            PrincipalKind::Service => Ok(unit),
            PrincipalKind::Staff => require_on(ctx, &unit.path).map(|()| unit),
            PrincipalKind::Consumer | PrincipalKind::Partner => {
                if unit.kind == OrgUnitType::Store && unit.status == OrgUnitStatus::Active {
                    Ok(unit)
                } else {
                    Err(AppError::OrgUnitNotFound)
                }
            }
        }
    }

    /// BatchGetOrgUnits: units found and visible, in request order.
    pub async fn batch_get_org_units(
        &self,
        ctx: &Ctx,
        ids: &[String],
    ) -> Result<Vec<OrgUnit>, AppError> {
        let tenant = ctx.tenant;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(unit) = repo::get(&self.db, tenant, id).await?
                && may_act_on(ctx, &unit.path)
            {
                out.push(unit);
            }
        }
        Ok(out)
    }

    /// The unit a tree read starts at: `id`, or the root when empty; staff need scope over it.
    async fn tree_start(&self, ctx: &Ctx, id: &str) -> Result<OrgUnit, AppError> {
        let tenant = ctx.tenant;
        let id = if id.is_empty() {
            self.tenant(tenant).await?.root_org_id
        } else {
            id.to_owned()
        };
        let unit = self.org_unit(&self.db, tenant, &id).await?;
        require_on(ctx, &unit.path)?;
        Ok(unit)
    }

    /// ListOrgChildren.
    pub async fn org_children(
        &self,
        ctx: &Ctx,
        parent: &str,
        include_disabled: bool,
    ) -> Result<Vec<OrgUnit>, AppError> {
        let parent = self.tree_start(ctx, parent).await?;
        Ok(tree_repo::children(&self.db, ctx.tenant, &parent.id)
            .await?
            .into_iter()
            .filter(|c| include_disabled || c.status == OrgUnitStatus::Active)
            .collect())
    }

    /// GetOrgSubtree: the unit first, then depth-first in sibling order.
    pub async fn org_subtree(
        &self,
        ctx: &Ctx,
        id: &str,
        max_depth: i32,
        kinds: &[OrgUnitType],
        include_disabled: bool,
    ) -> Result<Vec<OrgUnit>, AppError> {
        let start = self.tree_start(ctx, id).await?;
        let rows = tree_repo::subtree(&self.db, ctx.tenant, &start.path, false).await?;
        let mut ordered = Vec::with_capacity(rows.len());
        depth_first(&start, &rows, &mut ordered);
        Ok(ordered
            .into_iter()
            .filter(|u| max_depth <= 0 || u.depth - start.depth <= max_depth)
            .filter(|u| kinds.is_empty() || kinds.contains(&u.kind))
            .filter(|u| include_disabled || u.status == OrgUnitStatus::Active)
            .collect())
    }

    /// GetOrgPath: root down to the unit (ancestors even above the caller's scope).
    pub async fn org_path(&self, ctx: &Ctx, id: &str) -> Result<Vec<OrgUnit>, AppError> {
        let unit = self.tree_start(ctx, id).await?;
        let tenant = ctx.tenant;
        let mut out = Vec::new();
        for ancestor in unit.path.split('/') {
            out.push(self.org_unit(&self.db, tenant, ancestor).await?);
        }
        Ok(out)
    }
}

/// Appends `unit` and its descendants (from `rows`, sorted by sibling order) depth-first.
fn depth_first(unit: &OrgUnit, rows: &[OrgUnit], out: &mut Vec<OrgUnit>) {
    let mut by_parent: HashMap<&str, Vec<&OrgUnit>> = HashMap::new();
    for row in rows {
        if let Some(parent) = row.parent_id.as_deref() {
            by_parent.entry(parent).or_default().push(row);
        }
    }
    for children in by_parent.values_mut() {
        children
            .sort_by(|a, b| (a.sort_order, &a.name, &a.id).cmp(&(b.sort_order, &b.name, &b.id)));
    }
    // An explicit stack: trees can be deep and wide.
    let mut stack = vec![unit];
    while let Some(next) = stack.pop() {
        out.push(next.clone());
        if let Some(children) = by_parent.get(next.id.as_str()) {
            stack.extend(children.iter().rev());
        }
    }
}
