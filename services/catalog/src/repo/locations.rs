//! `inv_locations`.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::{OrgPath, TenantId};
use uuid::Uuid;

use super::{
    Count, execute, fetch_all, fetch_one, is_unique_violation, placeholders, stmt, stored, uuid,
};
use crate::AppError;
use crate::app::domain::{Address, Geo, Location, LocationKind, LocationStatus};

const COLUMNS: &str = "id, kind, name, org_path, province, city, district, detail, postal_code, \
    contact_name, contact_phone, latitude, longitude, status, pickup_enabled, delivery_enabled, \
    delivery_radius_m, priority, opening_hours, default_low_threshold, updated_at_ms";

fn values(tenant: TenantId, l: &Location) -> Vec<Value> {
    let a = &l.address;
    vec![
        uuid(tenant.0),
        uuid(l.id),
        Value::SmallInt(Some(l.kind as i16)),
        l.name.as_str().into(),
        l.org_path.to_path_string().into(),
        a.province.as_str().into(),
        a.city.as_str().into(),
        a.district.as_str().into(),
        a.detail.as_str().into(),
        a.postal_code.as_str().into(),
        a.contact_name.as_str().into(),
        a.contact_phone.as_str().into(),
        Value::Double(a.geo.map(|g| g.lat)),
        Value::Double(a.geo.map(|g| g.lng)),
        Value::SmallInt(Some(l.status as i16)),
        l.pickup_enabled.into(),
        l.delivery_enabled.into(),
        l.delivery_radius_m.into(),
        l.priority.into(),
        l.opening_hours.as_str().into(),
        l.default_low_threshold.into(),
        l.updated_at_ms.into(),
    ]
}

/// A row of `inv_locations` selected with [`COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct LocationRow {
    id: Uuid,
    kind: i16,
    name: String,
    org_path: String,
    province: String,
    city: String,
    district: String,
    detail: String,
    postal_code: String,
    contact_name: String,
    contact_phone: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    status: i16,
    pickup_enabled: bool,
    delivery_enabled: bool,
    delivery_radius_m: i32,
    priority: i32,
    opening_hours: String,
    default_low_threshold: i32,
    updated_at_ms: i64,
}

impl TryFrom<LocationRow> for Location {
    type Error = AppError;

    fn try_from(r: LocationRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            kind: stored(r.kind)?,
            name: r.name,
            org_path: OrgPath::parse(&r.org_path).map_err(|e| AppError::Internal(e.to_string()))?,
            address: Address {
                province: r.province,
                city: r.city,
                district: r.district,
                detail: r.detail,
                postal_code: r.postal_code,
                contact_name: r.contact_name,
                contact_phone: r.contact_phone,
                geo: r
                    .latitude
                    .zip(r.longitude)
                    .map(|(lat, lng)| Geo { lat, lng }),
            },
            status: stored(r.status)?,
            pickup_enabled: r.pickup_enabled,
            delivery_enabled: r.delivery_enabled,
            delivery_radius_m: r.delivery_radius_m,
            priority: r.priority,
            opening_hours: r.opening_hours,
            default_low_threshold: r.default_low_threshold,
            updated_at_ms: r.updated_at_ms,
        })
    }
}

/// Locations of a query selecting [`COLUMNS`].
async fn locations(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<Location>, AppError> {
    fetch_all::<LocationRow>(conn, sql, values)
        .await?
        .into_iter()
        .map(Location::try_from)
        .collect()
}

/// Inserts a location; [`AppError::LocationExists`] when the id is taken in the tenant.
#[tracing::instrument(skip_all, fields(location_id = %l.id))]
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    l: &Location,
) -> Result<(), AppError> {
    let sql = format!(
        "INSERT INTO inv_locations (tenant, {COLUMNS}) VALUES ({})",
        placeholders(1, 22)
    );
    match conn.execute_raw(stmt(conn, &sql, values(tenant, l))).await {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(AppError::LocationExists),
        Err(e) => Err(e.into()),
    }
}

/// Rewrites every mutable column of a location.
#[tracing::instrument(skip_all, fields(location_id = %l.id))]
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    l: &Location,
) -> Result<(), AppError> {
    // kind ($3) and org_path ($5) are immutable: the app passes the stored ones, and they only
    // appear in the match so every placeholder is used on both backends.
    let sql = "UPDATE inv_locations SET name = $4, province = $6, city = $7, district = $8, \
        detail = $9, postal_code = $10, contact_name = $11, contact_phone = $12, latitude = $13, \
        longitude = $14, status = $15, pickup_enabled = $16, delivery_enabled = $17, \
        delivery_radius_m = $18, priority = $19, opening_hours = $20, default_low_threshold = $21, \
        updated_at_ms = $22 WHERE tenant = $1 AND id = $2 AND kind = $3 AND org_path = $5";
    execute(conn, sql, values(tenant, l)).await.map(|_| ())
}

/// One location of the tenant.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Location>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM inv_locations WHERE tenant = $1 AND id = $2");
    Ok(locations(conn, &sql, vec![uuid(tenant.0), uuid(id)])
        .await?
        .pop())
}

/// The tenant's locations among `ids` (missing ones are simply absent).
#[tracing::instrument(skip_all, fields(n = ids.len()))]
pub async fn get_many(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<Vec<Location>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM inv_locations WHERE tenant = $1 AND id IN ({})",
        placeholders(2, ids.len())
    );
    let mut v = vec![uuid(tenant.0)];
    v.extend(ids.iter().map(|id| uuid(*id)));
    locations(conn, &sql, v).await
}

/// Every ACTIVE location of the tenant (allocation candidates; tenants have hundreds, not
/// millions, of locations).
#[tracing::instrument(skip_all)]
pub async fn active(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<Location>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM inv_locations WHERE tenant = $1 AND status = $2");
    let active = Value::SmallInt(Some(LocationStatus::Active as i16));
    locations(conn, &sql, vec![uuid(tenant.0), active]).await
}

/// A page of locations ordered by (name, id), filtered by kind and statuses.
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    kind: Option<LocationKind>,
    statuses: &[LocationStatus],
    after: Option<&(String, Uuid)>,
    limit: u64,
) -> Result<Vec<Location>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM inv_locations WHERE tenant = $1");
    let mut v = vec![uuid(tenant.0)];
    if let Some(kind) = kind {
        v.push(Value::SmallInt(Some(kind as i16)));
        sql.push_str(&format!(" AND kind = ${}", v.len()));
    }
    sql.push_str(&format!(
        " AND status IN ({})",
        placeholders(v.len() + 1, statuses.len())
    ));
    v.extend(statuses.iter().map(|s| Value::SmallInt(Some(*s as i16))));
    if let Some((name, id)) = after {
        v.push(name.as_str().into());
        v.push(uuid(*id));
        let (a, b) = (v.len() - 1, v.len());
        sql.push_str(&format!(
            " AND (name > ${a} OR (name = ${a} AND id > ${b}))"
        ));
    }
    sql.push_str(&format!(" ORDER BY name, id LIMIT {limit}"));
    locations(conn, &sql, v).await
}

/// Whether a location holds any stock or reservation (closing requires neither).
pub async fn has_stock(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, AppError> {
    let row: Option<Count> = fetch_one(
        conn,
        "SELECT COUNT(*) AS n FROM inv_stock WHERE tenant = $1 AND location_id = $2 \
         AND (on_hand > 0 OR reserved > 0)",
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    Ok(row.is_some_and(|c| c.n > 0))
}
