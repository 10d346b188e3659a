//! Org units: the row (with the store profile as its protobuf bytes), inserts, versioned
//! updates, reads and code uniqueness.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::org::{OrgUnitStatus, OrgUnitType};
use crate::repo::{
    execute, exists, fetch_all, fetch_one, stored, stored_tenant, tenant_text, text, ts,
};

/// An org unit.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgUnit {
    /// Unit id.
    pub id: String,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Parent (None for the HQ root).
    pub parent_id: Option<String>,
    /// What it is in the tree.
    pub kind: OrgUnitType,
    /// Business code, unique in the tenant.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Materialized path of ids from the root, `/`-separated, ending with `id`.
    pub path: String,
    /// 0 for the root.
    pub depth: i32,
    /// Whether it is in use.
    pub status: OrgUnitStatus,
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

/// A row of [`COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct OrgUnitRow {
    id: String,
    tenant_id: String,
    parent_id: Option<String>,
    kind: String,
    code: String,
    name: String,
    path: String,
    depth: i32,
    status: String,
    sort_order: i32,
    address: String,
    city: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    pickup: i32,
    store_profile: String,
    version: i64,
    child_count: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<OrgUnitRow> for OrgUnit {
    type Error = AppError;

    fn try_from(r: OrgUnitRow) -> Result<Self, AppError> {
        use base64::Engine as _;
        let profile = base64::engine::general_purpose::STANDARD
            .decode(&r.store_profile)
            .map_err(|e| AppError::Internal(format!("store_profile: {e}")))?;
        Ok(Self {
            kind: stored("identity_org_units", &r.kind)?,
            status: stored("identity_org_units", &r.status)?,
            id: r.id,
            tenant_id: stored_tenant("identity_org_units", &r.tenant_id)?,
            parent_id: r.parent_id,
            code: r.code,
            name: r.name,
            path: r.path,
            depth: r.depth,
            sort_order: r.sort_order,
            address: r.address,
            city: r.city,
            latitude: r.latitude,
            longitude: r.longitude,
            pickup: r.pickup != 0,
            profile,
            version: r.version,
            child_count: r.child_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The units of a query selecting [`COLUMNS`] from `identity_org_units o`.
pub(super) async fn units(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<OrgUnit>, AppError> {
    fetch_all::<OrgUnitRow>(conn, sql, values)
        .await?
        .into_iter()
        .map(OrgUnit::try_from)
        .collect()
}

pub(super) const COLUMNS: &str = "o.id, o.tenant_id, o.parent_id, o.kind, o.code, o.name, o.path, o.depth, \
    o.status, o.sort_order, o.address, o.city, o.latitude, o.longitude, o.pickup, o.store_profile, \
    o.version, o.created_at, o.updated_at, (SELECT COUNT(*) FROM identity_org_units c \
    WHERE c.tenant_id = o.tenant_id AND c.parent_id = o.id) AS child_count";

/// Inserts a unit.
#[tracing::instrument(skip_all, fields(tenant = %u.tenant_id, unit = %u.id))]
pub async fn insert(conn: &impl ConnectionTrait, u: &OrgUnit) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_org_units (id, tenant_id, parent_id, kind, code, name, path, depth, \
         status, address, latitude, longitude, phone, opening_hours, version, created_at, \
         updated_at, sort_order, store_profile, city, pickup) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,'','',1,$13,$13,$14,$15,$16,$17)",
        vec![
            text(&u.id),
            tenant_text(u.tenant_id),
            Value::String(u.parent_id.clone()),
            text(u.kind.as_str()),
            text(&u.code),
            text(&u.name),
            text(&u.path),
            Value::Int(Some(u.depth)),
            text(u.status.as_str()),
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
    u: &OrgUnit,
    expected: i64,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let n = execute(
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
            tenant_text(u.tenant_id),
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
    tenant: TenantId,
    id: &str,
) -> Result<Option<OrgUnit>, AppError> {
    fetch_one::<OrgUnitRow>(
        conn,
        &format!("SELECT {COLUMNS} FROM identity_org_units o WHERE o.tenant_id = $1 AND o.id = $2"),
        vec![tenant_text(tenant), text(id)],
    )
    .await?
    .map(OrgUnit::try_from)
    .transpose()
}

/// True when a unit code is used in the tenant by a unit other than `except`.
pub async fn code_taken(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    code: &str,
    except: &str,
) -> Result<bool, AppError> {
    exists(
        conn,
        "SELECT id FROM identity_org_units WHERE tenant_id = $1 AND code = $2 AND id <> $3",
        vec![tenant_text(tenant), text(code), text(except)],
    )
    .await
}

fn encode_profile(profile: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(profile)
}
