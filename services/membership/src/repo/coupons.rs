//! `mem_coupons`: issued coupons, and the sub-modules for templates, packs, order locks,
//! grants and redemption codes. Every change of a coupon's status is one conditional
//! `UPDATE … WHERE status = <expected>`, so two racing changes never both apply.
//!
//! What a reader sees as PENDING or EXPIRED is derived from the validity at read time (see
//! `Coupon::status_at`); [`status_sql`] is the same rule in SQL for lists and counts.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{Coupon, CouponId, CouponStatus, MemberId, TemplateId, TemplateStats};
use crate::repo::{
    execute, fetch_all, fetch_one, for_update, from_json, opt_uuid, placeholders, stored, to_json,
    uuid,
};

pub mod birthdays;
pub mod codes;
pub mod expiry;
pub mod grants;
pub mod locks;
pub mod packs;
pub mod templates;

const COLUMNS: &str = "id, template_id, member_id, name, rule, status, valid_from_ms, \
    valid_until_ms, source, attribution, grant_id, order_id, redeemed_store_id, redeemed_by, \
    pos_receipt_no, in_store_discount, issued_at_ms, used_at_ms, funder, funder_id";

#[derive(Debug, FromQueryResult)]
struct CouponRow {
    id: Uuid,
    template_id: Uuid,
    member_id: Uuid,
    name: String,
    rule: String,
    status: i16,
    valid_from_ms: i64,
    valid_until_ms: i64,
    source: i16,
    attribution: String,
    grant_id: Option<Uuid>,
    order_id: Option<Uuid>,
    redeemed_store_id: Option<Uuid>,
    redeemed_by: String,
    pos_receipt_no: String,
    in_store_discount: i64,
    issued_at_ms: i64,
    used_at_ms: Option<i64>,
    funder: i16,
    funder_id: String,
}

impl TryFrom<CouponRow> for Coupon {
    type Error = AppError;

    fn try_from(r: CouponRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            template_id: r.template_id,
            member_id: MemberId(r.member_id),
            name: r.name,
            rule: from_json("rule", &r.rule)?,
            status: stored(r.status)?,
            valid_from_ms: r.valid_from_ms,
            valid_until_ms: r.valid_until_ms,
            source: stored(r.source)?,
            attribution: from_json("attribution", &r.attribution)?,
            grant_id: r.grant_id,
            order_id: r.order_id,
            redeemed_store_id: r.redeemed_store_id,
            redeemed_by: r.redeemed_by,
            pos_receipt_no: r.pos_receipt_no,
            in_store_discount: r.in_store_discount,
            issued_at_ms: r.issued_at_ms,
            used_at_ms: r.used_at_ms,
            funder: stored(r.funder)?,
            funder_id: r.funder_id,
        })
    }
}

fn decode(rows: Vec<CouponRow>) -> Result<Vec<Coupon>, AppError> {
    rows.into_iter().map(Coupon::try_from).collect()
}

/// The SQL condition of a coupon having status `s` as a reader sees it at `$now` (the
/// placeholder given).
pub fn status_sql(s: CouponStatus, now: &str) -> String {
    match s {
        CouponStatus::Pending => format!("(status = 2 AND valid_from_ms > {now})"),
        CouponStatus::Available => {
            format!("(status = 2 AND valid_from_ms <= {now} AND valid_until_ms > {now})")
        }
        CouponStatus::Expired => {
            format!("(status = 5 OR (status = 2 AND valid_until_ms <= {now}))")
        }
        s => format!("(status = {})", s.number()),
    }
}

/// Inserts a newly issued coupon.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    c: &Coupon,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_coupons (tenant, id, template_id, member_id, name, rule, status, \
         valid_from_ms, valid_until_ms, source, attribution, grant_id, issued_at_ms, funder, \
         funder_id, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         $13, $14, $15, $13)",
        [
            uuid(tenant.0),
            uuid(c.id),
            uuid(c.template_id),
            uuid(c.member_id.0),
            c.name.clone().into(),
            to_json(&c.rule)?,
            Value::SmallInt(Some(c.status.number())),
            c.valid_from_ms.into(),
            c.valid_until_ms.into(),
            Value::SmallInt(Some(c.source.number())),
            to_json(&c.attribution)?,
            opt_uuid(c.grant_id),
            c.issued_at_ms.into(),
            Value::SmallInt(Some(c.funder.number())),
            c.funder_id.clone().into(),
        ],
    )
    .await
    .map(|_| ())
}

/// A coupon of the tenant; locked (Postgres) when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: CouponId,
    lock: bool,
) -> Result<Option<Coupon>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_coupons WHERE tenant = $1 AND id = $2{}",
        if lock { for_update(conn) } else { "" }
    );
    let row: Option<CouponRow> = fetch_one(conn, &sql, [uuid(tenant.0), uuid(id)]).await?;
    row.map(Coupon::try_from).transpose()
}

/// The coupons of `ids` that exist in the tenant, by id (the lock order), locked when `lock`.
pub async fn by_ids(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[CouponId],
    lock: bool,
) -> Result<Vec<Coupon>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_coupons WHERE tenant = $1 AND id IN ({}) ORDER BY id{}",
        placeholders(2, ids.len()),
        if lock { for_update(conn) } else { "" }
    );
    let mut values = vec![uuid(tenant.0)];
    values.extend(ids.iter().map(|i| uuid(*i)));
    decode(fetch_all(conn, &sql, values).await?)
}

/// The coupons issued by a grant, by id.
pub async fn by_grant(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    grant: Uuid,
) -> Result<Vec<Coupon>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_coupons WHERE tenant = $1 AND grant_id = $2 ORDER BY id"
    );
    decode(fetch_all(conn, &sql, [uuid(tenant.0), uuid(grant)]).await?)
}

/// Which of a member's coupons a list shows, and in what order.
#[derive(Debug, Clone)]
pub struct MemberCouponFilter {
    /// Statuses as seen at `now_ms`.
    pub statuses: Vec<CouponStatus>,
    /// Now.
    pub now_ms: i64,
    /// Soonest expiry first (else newest first).
    pub by_expiry: bool,
}

/// A member's coupons, paged by (valid_until or issued_at, id).
pub async fn of_member(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    f: &MemberCouponFilter,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<Coupon>, AppError> {
    let states = f
        .statuses
        .iter()
        .map(|s| status_sql(*s, "$3"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let (col, cmp, dir) = if f.by_expiry {
        ("valid_until_ms", ">", "ASC")
    } else {
        ("issued_at_ms", "<", "DESC")
    };
    let mut values = vec![uuid(tenant.0), uuid(member.0), f.now_ms.into()];
    let mut sql = format!(
        "SELECT {COLUMNS} FROM mem_coupons WHERE tenant = $1 AND member_id = $2 AND ({states})"
    );
    if let Some((at, id)) = after {
        sql.push_str(&format!(
            " AND ({col} {cmp} $4 OR ({col} = $4 AND id {cmp} $5))"
        ));
        values.push(at.into());
        values.push(uuid(id));
    }
    sql.push_str(&format!(" ORDER BY {col} {dir}, id {dir} LIMIT {limit}"));
    decode(fetch_all(conn, &sql, values).await?)
}

/// The coupons an order locked or used (any status now), by id.
pub async fn of_order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
) -> Result<Vec<Coupon>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_coupons WHERE tenant = $1 AND order_id = $2 ORDER BY id"
    );
    decode(fetch_all(conn, &sql, [uuid(tenant.0), uuid(order)]).await?)
}

/// Moves coupon `id` from `from` to `to`, setting its order (`None` clears it); `false` when
/// it was not in `from`.
pub async fn transition(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: CouponId,
    (from, to): (CouponStatus, CouponStatus),
    order: Option<Uuid>,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE mem_coupons SET status = $4, order_id = $5, updated_at_ms = $6, \
         used_at_ms = CASE WHEN $4 = 4 THEN $6 ELSE NULL END \
         WHERE tenant = $1 AND id = $2 AND status = $3",
        [
            uuid(tenant.0),
            uuid(id),
            Value::SmallInt(Some(from.number())),
            Value::SmallInt(Some(to.number())),
            opt_uuid(order),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Marks coupon `id` USED in store (from AVAILABLE); `false` when it was not AVAILABLE.
pub async fn redeem_in_store(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: CouponId,
    (store, by, receipt): (Uuid, &str, &str),
    discount: i64,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE mem_coupons SET status = 4, redeemed_store_id = $3, redeemed_by = $4, \
         pos_receipt_no = $5, in_store_discount = $6, used_at_ms = $7, updated_at_ms = $7 \
         WHERE tenant = $1 AND id = $2 AND status = 2",
        [
            uuid(tenant.0),
            uuid(id),
            uuid(store),
            by.into(),
            receipt.into(),
            discount.into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Undoes an in-store redemption (USED in store → `to`); `false` when it was not.
pub async fn reverse_in_store(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: CouponId,
    to: CouponStatus,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE mem_coupons SET status = $3, redeemed_store_id = NULL, redeemed_by = '', \
         pos_receipt_no = '', in_store_discount = 0, used_at_ms = NULL, updated_at_ms = $4 \
         WHERE tenant = $1 AND id = $2 AND status = 4 AND redeemed_store_id IS NOT NULL",
        [
            uuid(tenant.0),
            uuid(id),
            Value::SmallInt(Some(to.number())),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Revokes the template's unused coupons (AVAILABLE, including not yet valid); answers how many.
pub async fn revoke_unused(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    template: TemplateId,
    now_ms: i64,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE mem_coupons SET status = 6, updated_at_ms = $3 \
         WHERE tenant = $1 AND template_id = $2 AND status = 2 AND valid_until_ms > $3",
        [uuid(tenant.0), uuid(template), now_ms.into()],
    )
    .await
}

#[derive(Debug, FromQueryResult)]
struct StatsRow {
    source: i16,
    issued: i64,
    available: Option<i64>,
    locked: Option<i64>,
    used: Option<i64>,
    used_in_store: Option<i64>,
    expired: Option<i64>,
    revoked: Option<i64>,
    discount: Option<i64>,
}

/// Counts of a template's coupons by source, statuses as seen at `now_ms`.
pub async fn stats(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    template: TemplateId,
    now_ms: i64,
) -> Result<TemplateStats, AppError> {
    let case = |s: CouponStatus| {
        format!(
            "CAST(SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS BIGINT)",
            status_sql(s, "$3")
        )
    };
    let unused = format!(
        "CAST(SUM(CASE WHEN {} OR {} THEN 1 ELSE 0 END) AS BIGINT)",
        status_sql(CouponStatus::Available, "$3"),
        status_sql(CouponStatus::Pending, "$3")
    );
    let sql = format!(
        "SELECT source, CAST(COUNT(*) AS BIGINT) AS issued, {unused} AS available, {} AS locked, \
         {} AS used, CAST(SUM(CASE WHEN status = 4 AND redeemed_store_id IS NOT NULL THEN 1 \
         ELSE 0 END) AS BIGINT) AS used_in_store, {} AS expired, {} AS revoked, \
         CAST(SUM(CASE WHEN status = 4 THEN in_store_discount ELSE 0 END) AS BIGINT) AS discount \
         FROM mem_coupons WHERE tenant = $1 AND template_id = $2 GROUP BY source ORDER BY source",
        case(CouponStatus::Locked),
        case(CouponStatus::Used),
        case(CouponStatus::Expired),
        case(CouponStatus::Revoked),
    );
    let rows: Vec<StatsRow> =
        fetch_all(conn, &sql, [uuid(tenant.0), uuid(template), now_ms.into()]).await?;
    let mut s = TemplateStats::default();
    for r in rows {
        let used = r.used.unwrap_or(0);
        s.issued += r.issued;
        s.available += r.available.unwrap_or(0);
        s.locked += r.locked.unwrap_or(0);
        s.used += used;
        s.used_in_store += r.used_in_store.unwrap_or(0);
        s.expired += r.expired.unwrap_or(0);
        s.revoked += r.revoked.unwrap_or(0);
        s.in_store_discount += r.discount.unwrap_or(0);
        s.by_source.push((stored(r.source)?, r.issued, used));
    }
    s.using_members = crate::repo::total(
        conn,
        "SELECT CAST(COUNT(DISTINCT member_id) AS BIGINT) AS n FROM mem_coupons \
         WHERE tenant = $1 AND template_id = $2 AND status = 4",
        [uuid(tenant.0), uuid(template)],
    )
    .await?;
    Ok(s)
}
