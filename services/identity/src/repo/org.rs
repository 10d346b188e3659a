//! The org tree: units with materialized paths (`root/…/id`), so a subtree is one prefix scan
//! and a move is one UPDATE over the moved prefix.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::{all, exec, one, text, ts};

/// An org unit row.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgRow {
    /// Unit id.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// Parent (None for the HQ root).
    pub parent_id: Option<String>,
    /// HQ, REGION, STORE, DEPARTMENT.
    pub kind: String,
    /// Business code, unique in the tenant.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Materialized path of ids from the root, `/`-separated, ending with `id`.
    pub path: String,
    /// 0 for the root.
    pub depth: i32,
    /// ACTIVE or DISABLED.
    pub status: String,
    /// Sibling order.
    pub sort_order: i32,
    /// Store: searchable address line.
    pub address: String,
    /// Store: city (exact-match filter).
    pub city: String,
    /// Store: latitude.
    pub latitude: Option<f64>,
    /// Store: longitude.
    pub longitude: Option<f64>,
    /// Store: offers pickup.
    pub pickup: bool,
    /// Store: the full profile as opaque bytes (owned by the wire layer).
    pub profile: Vec<u8>,
    /// Optimistic concurrency version.
    pub version: i64,
    /// Direct children (any status); filled by reads.
    pub child_count: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Updated.
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "o.id, o.tenant_id, o.parent_id, o.kind, o.code, o.name, o.path, o.depth, \
    o.status, o.sort_order, o.address, o.city, o.latitude, o.longitude, o.pickup, o.store_profile, \
    o.version, o.created_at, o.updated_at, (SELECT COUNT(*) FROM identity_org_units c \
    WHERE c.tenant_id = o.tenant_id AND c.parent_id = o.id) AS child_count";

/// Inserts a unit.
#[tracing::instrument(skip_all, fields(tenant = %u.tenant_id, unit = %u.id))]
pub async fn insert(conn: &impl ConnectionTrait, u: &OrgRow) -> Result<(), DbErr> {
    exec(
        conn,
        "INSERT INTO identity_org_units (id, tenant_id, parent_id, kind, code, name, path, depth, \
         status, address, latitude, longitude, phone, opening_hours, version, created_at, \
         updated_at, sort_order, store_profile, city, pickup) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,'','',1,$13,$13,$14,$15,$16,$17)",
        vec![
            text(&u.id),
            text(&u.tenant_id),
            Value::String(u.parent_id.clone()),
            text(&u.kind),
            text(&u.code),
            text(&u.name),
            text(&u.path),
            Value::Int(Some(u.depth)),
            text(&u.status),
            text(&u.address),
            Value::Double(u.latitude),
            Value::Double(u.longitude),
            ts(u.created_at),
            Value::Int(Some(u.sort_order)),
            text(encode_profile(&u.profile)),
            text(&u.city),
            Value::Int(Some(i32::from(u.pickup))),
        ],
    )
    .await?;
    Ok(())
}

/// Writes the editable fields of a unit if its version is still `expected`; false when stale.
#[tracing::instrument(skip_all, fields(tenant = %u.tenant_id, unit = %u.id))]
pub async fn update(
    conn: &impl ConnectionTrait,
    u: &OrgRow,
    expected: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let n = exec(
        conn,
        "UPDATE identity_org_units SET code = $1, name = $2, sort_order = $3, address = $4, \
         city = $5, latitude = $6, longitude = $7, pickup = $8, store_profile = $9, \
         version = version + 1, updated_at = $10 \
         WHERE tenant_id = $11 AND id = $12 AND version = $13",
        vec![
            text(&u.code),
            text(&u.name),
            Value::Int(Some(u.sort_order)),
            text(&u.address),
            text(&u.city),
            Value::Double(u.latitude),
            Value::Double(u.longitude),
            Value::Int(Some(i32::from(u.pickup))),
            text(encode_profile(&u.profile)),
            ts(now),
            text(&u.tenant_id),
            text(&u.id),
            Value::BigInt(Some(expected)),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// One unit of a tenant.
#[tracing::instrument(skip_all, fields(tenant, unit = id))]
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
) -> Result<Option<OrgRow>, DbErr> {
    one(
        conn,
        &format!("SELECT {COLUMNS} FROM identity_org_units o WHERE o.tenant_id = $1 AND o.id = $2"),
        vec![text(tenant), text(id)],
    )
    .await?
    .map(|r| decode(&r))
    .transpose()
}

/// Direct children of a unit.
#[tracing::instrument(skip_all, fields(tenant, parent))]
pub async fn children(
    conn: &impl ConnectionTrait,
    tenant: &str,
    parent: &str,
) -> Result<Vec<OrgRow>, DbErr> {
    let rows = all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM identity_org_units o WHERE o.tenant_id = $1 AND o.parent_id = $2 \
             ORDER BY o.sort_order, o.name, o.id"
        ),
        vec![text(tenant), text(parent)],
    )
    .await?;
    rows.iter().map(decode).collect()
}

/// The unit at `path` and everything under it, optionally only stores.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn subtree(
    conn: &impl ConnectionTrait,
    tenant: &str,
    path: &str,
    stores_only: bool,
) -> Result<Vec<OrgRow>, DbErr> {
    let kind = if stores_only {
        " AND o.kind = 'STORE'"
    } else {
        ""
    };
    let rows = all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM identity_org_units o WHERE o.tenant_id = $1 \
             AND (o.path = $2 OR o.path LIKE $3){kind} ORDER BY o.depth, o.sort_order, o.name, o.id"
        ),
        vec![text(tenant), text(path), text(format!("{path}/%"))],
    )
    .await?;
    rows.iter().map(decode).collect()
}

/// Re-roots every path under `old_path` at `new_path` (depths shift by `delta`) and sets the
/// moved unit's parent.
#[allow(clippy::too_many_arguments, reason = "one flat move")]
pub async fn move_subtree(
    conn: &impl ConnectionTrait,
    tenant: &str,
    unit: &str,
    new_parent: &str,
    old_path: &str,
    new_path: &str,
    delta: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let old_len = i32::try_from(old_path.len()).unwrap_or(i32::MAX);
    exec(
        conn,
        "UPDATE identity_org_units SET path = $1 || substr(path, $2), depth = depth + $3, \
         updated_at = $4, version = version + 1 \
         WHERE tenant_id = $5 AND (path = $6 OR path LIKE $7)",
        vec![
            text(new_path),
            Value::Int(Some(old_len + 1)),
            Value::Int(Some(delta)),
            ts(now),
            text(tenant),
            text(old_path),
            text(format!("{old_path}/%")),
        ],
    )
    .await?;
    exec(
        conn,
        "UPDATE identity_org_units SET parent_id = $1 WHERE tenant_id = $2 AND id = $3",
        vec![text(new_parent), text(tenant), text(unit)],
    )
    .await?;
    Ok(())
}

/// Sets the status of the unit at `path` (and, with `cascade`, its subtree); returns how many
/// units changed.
pub async fn set_status(
    conn: &impl ConnectionTrait,
    tenant: &str,
    path: &str,
    cascade: bool,
    status: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
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
    exec(
        conn,
        &format!(
            "UPDATE identity_org_units SET status = $1, updated_at = $2, version = version + 1 \
             WHERE tenant_id = $3 AND {scope} AND status <> $1"
        ),
        vec![
            text(status),
            ts(now),
            text(tenant),
            text(path),
            text(second),
        ],
    )
    .await
}

/// True when a unit code is used in the tenant by a unit other than `except`.
pub async fn code_taken(
    conn: &impl ConnectionTrait,
    tenant: &str,
    code: &str,
    except: &str,
) -> Result<bool, DbErr> {
    Ok(one(
        conn,
        "SELECT id FROM identity_org_units WHERE tenant_id = $1 AND code = $2 AND id <> $3",
        vec![text(tenant), text(code), text(except)],
    )
    .await?
    .is_some())
}

fn encode_profile(profile: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(profile)
}

fn decode(row: &sea_orm::QueryResult) -> Result<OrgRow, DbErr> {
    use base64::Engine as _;
    let profile: String = row.try_get("", "store_profile")?;
    let pickup: i32 = row.try_get("", "pickup")?;
    Ok(OrgRow {
        id: row.try_get("", "id")?,
        tenant_id: row.try_get("", "tenant_id")?,
        parent_id: row.try_get("", "parent_id")?,
        kind: row.try_get("", "kind")?,
        code: row.try_get("", "code")?,
        name: row.try_get("", "name")?,
        path: row.try_get("", "path")?,
        depth: row.try_get("", "depth")?,
        status: row.try_get("", "status")?,
        sort_order: row.try_get("", "sort_order")?,
        address: row.try_get("", "address")?,
        city: row.try_get("", "city")?,
        latitude: row.try_get("", "latitude")?,
        longitude: row.try_get("", "longitude")?,
        pickup: pickup != 0,
        profile: base64::engine::general_purpose::STANDARD
            .decode(profile)
            .map_err(|e| DbErr::Custom(format!("store_profile: {e}")))?,
        version: row.try_get("", "version")?,
        child_count: row.try_get("", "child_count")?,
        created_at: row.try_get("", "created_at")?,
        updated_at: row.try_get("", "updated_at")?,
    })
}
