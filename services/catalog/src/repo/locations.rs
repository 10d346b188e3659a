//! `inv_locations`.

use sea_orm::{ConnectionTrait, QueryResult, Value};
use siyu_core::{OrgPath, TenantId};
use uuid::Uuid;

use super::{col, execute, is_unique_violation, placeholders, query_all, query_one, stmt, uuid};
use crate::app::AppError;
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

fn decode(row: &QueryResult) -> Result<Location, AppError> {
    let lat: Option<f64> = col(row, "latitude")?;
    let lng: Option<f64> = col(row, "longitude")?;
    let org: String = col(row, "org_path")?;
    Ok(Location {
        id: col(row, "id")?,
        kind: LocationKind::try_from(col::<i16>(row, "kind")?).map_err(AppError::Internal)?,
        name: col(row, "name")?,
        org_path: OrgPath::parse(&org).map_err(|e| AppError::Internal(e.to_string()))?,
        address: Address {
            province: col(row, "province")?,
            city: col(row, "city")?,
            district: col(row, "district")?,
            detail: col(row, "detail")?,
            postal_code: col(row, "postal_code")?,
            contact_name: col(row, "contact_name")?,
            contact_phone: col(row, "contact_phone")?,
            geo: lat.zip(lng).map(|(lat, lng)| Geo { lat, lng }),
        },
        status: LocationStatus::try_from(col::<i16>(row, "status")?).map_err(AppError::Internal)?,
        pickup_enabled: col(row, "pickup_enabled")?,
        delivery_enabled: col(row, "delivery_enabled")?,
        delivery_radius_m: col(row, "delivery_radius_m")?,
        priority: col(row, "priority")?,
        opening_hours: col(row, "opening_hours")?,
        default_low_threshold: col(row, "default_low_threshold")?,
        updated_at_ms: col(row, "updated_at_ms")?,
    })
}

/// Inserts a location; `AlreadyExists(LOCATION_EXISTS)` when the id is taken in the tenant.
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
        Err(e) if is_unique_violation(&e) => Err(AppError::AlreadyExists("LOCATION_EXISTS")),
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
    query_one(conn, &sql, [uuid(tenant.0), uuid(id)])
        .await?
        .map(|r| decode(&r))
        .transpose()
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
    query_all(conn, &sql, v).await?.iter().map(decode).collect()
}

/// Every ACTIVE location of the tenant (allocation candidates; tenants have hundreds, not
/// millions, of locations).
#[tracing::instrument(skip_all)]
pub async fn active(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<Location>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM inv_locations WHERE tenant = $1 AND status = $2");
    query_all(
        conn,
        &sql,
        [
            uuid(tenant.0),
            Value::SmallInt(Some(LocationStatus::Active as i16)),
        ],
    )
    .await?
    .iter()
    .map(decode)
    .collect()
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
    query_all(conn, &sql, v).await?.iter().map(decode).collect()
}

/// Whether a location holds any stock or reservation (closing requires neither).
pub async fn has_stock(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, AppError> {
    let row = query_one(
        conn,
        "SELECT COUNT(*) AS n FROM inv_stock WHERE tenant = $1 AND location_id = $2 \
         AND (on_hand > 0 OR reserved > 0)",
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    Ok(match row {
        Some(r) => col::<i64>(&r, "n")? > 0,
        None => false,
    })
}
