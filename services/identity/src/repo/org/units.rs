//! Org units: the row (with the store profile as its protobuf bytes), inserts, versioned
//! updates, reads and code uniqueness.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::{exec, one, text, ts};

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

pub(super) const COLUMNS: &str = "o.id, o.tenant_id, o.parent_id, o.kind, o.code, o.name, o.path, o.depth, \
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

pub(super) fn decode(row: &sea_orm::QueryResult) -> Result<OrgRow, DbErr> {
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
