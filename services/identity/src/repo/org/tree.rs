//! The shape of the org tree: units carry materialized paths (`root/…/id`), so children and
//! subtrees are prefix scans and a move is one UPDATE that re-roots the moved prefix.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::org::OrgUnitStatus;
use crate::repo::org::units::{COLUMNS, OrgUnit, units};
use crate::repo::{execute, tenant_text, text, ts};

/// Direct children of a unit.
#[tracing::instrument(skip_all, fields(tenant, parent))]
pub async fn children(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    parent: &str,
) -> Result<Vec<OrgUnit>, AppError> {
    units(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM identity_org_units o WHERE o.tenant_id = $1 AND o.parent_id = $2 \
             ORDER BY o.sort_order, o.name, o.id"
        ),
        vec![tenant_text(tenant), text(parent)],
    )
    .await
}

/// The unit at `path` and everything under it, optionally only stores.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn subtree(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    path: &str,
    stores_only: bool,
) -> Result<Vec<OrgUnit>, AppError> {
    let kind = if stores_only {
        " AND o.kind = 'STORE'"
    } else {
        ""
    };
    units(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM identity_org_units o WHERE o.tenant_id = $1 \
             AND (o.path = $2 OR o.path LIKE $3){kind} ORDER BY o.depth, o.sort_order, o.name, o.id"
        ),
        vec![tenant_text(tenant), text(path), text(format!("{path}/%"))],
    )
    .await
}

/// Re-roots every path under `old_path` at `new_path` (depths shift by `delta`) and sets the
/// moved unit's parent.
#[allow(clippy::too_many_arguments, reason = "one flat move")]
pub async fn move_subtree(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    unit: &str,
    new_parent: &str,
    old_path: &str,
    new_path: &str,
    delta: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let old_len = i32::try_from(old_path.len()).unwrap_or(i32::MAX);
    execute(
        conn,
        "UPDATE identity_org_units SET path = $1 || substr(path, $2), depth = depth + $3, \
         updated_at = $4, version = version + 1 \
         WHERE tenant_id = $5 AND (path = $6 OR path LIKE $7)",
        vec![
            text(new_path),
            Value::Int(Some(old_len + 1)),
            Value::Int(Some(delta)),
            ts(now),
            tenant_text(tenant),
            text(old_path),
            text(format!("{old_path}/%")),
        ],
    )
    .await?;
    execute(
        conn,
        "UPDATE identity_org_units SET parent_id = $1 WHERE tenant_id = $2 AND id = $3",
        vec![text(new_parent), tenant_text(tenant), text(unit)],
    )
    .await?;
    Ok(())
}

/// Sets the status of the unit at `path` (and, with `cascade`, its subtree); returns how many
/// units changed.
pub async fn set_status(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    path: &str,
    cascade: bool,
    status: OrgUnitStatus,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let scope = if cascade {
        "(path = $4 OR path LIKE $5)"
    } else {
        "(path = $4 OR path = $5)"
    };
    let second = if cascade {
        format!("{path}/%")
    } else {
        path.to_owned()
    };
    execute(
        conn,
        &format!(
            "UPDATE identity_org_units SET status = $1, updated_at = $2, version = version + 1 \
             WHERE tenant_id = $3 AND {scope} AND status <> $1"
        ),
        vec![
            text(status.as_str()),
            ts(now),
            tenant_text(tenant),
            text(path),
            text(second),
        ],
    )
    .await
}
