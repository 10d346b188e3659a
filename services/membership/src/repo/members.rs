//! `mem_members`: one row per (tenant, user). Reads join the current guide binding, so a member
//! is always returned whole; `list` pages by keyset on the requested order.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{
    execute, fetch_one, for_update, from_json, is_unique_violation, opt_uuid, stored, to_json,
    total, uuid,
};
use crate::AppError;
use crate::app::domain::{GuideBinding, Member, MemberId, MemberStatus};

pub mod codes;
pub mod guides;
mod list;
pub mod merges;

pub use list::{ListFilter, MemberOrder, Scope, TOTAL_CAP, list};

/// The member columns with the current binding's, for `FROM mem_members m LEFT JOIN
/// mem_guide_bindings g`.
const SELECT: &str = "SELECT m.id, m.user_id, m.card_number, m.status, m.birthday, \
    m.card_holder_name, m.home_store_id, m.attribution, m.inviter_member_id, m.tag_ids, \
    m.attributes, m.remark, m.growth_value, m.enrolled_at_ms, m.updated_at_ms, g.id AS g_id, \
    g.guide_id AS g_guide_id, g.store_id AS g_store_id, g.source AS g_source, \
    g.bound_at_ms AS g_bound_at_ms, g.changed_by AS g_changed_by, g.note AS g_note \
    FROM mem_members m LEFT JOIN mem_guide_bindings g ON g.tenant = m.tenant \
    AND g.member_id = m.id AND g.unbound_at_ms IS NULL";

/// A member row with its current binding ([`SELECT`]).
#[derive(Debug, FromQueryResult)]
pub(crate) struct MemberRow {
    id: Uuid,
    user_id: Uuid,
    card_number: String,
    status: i16,
    birthday: String,
    card_holder_name: String,
    home_store_id: Option<Uuid>,
    attribution: String,
    inviter_member_id: Option<Uuid>,
    tag_ids: String,
    attributes: String,
    remark: String,
    growth_value: i64,
    enrolled_at_ms: i64,
    updated_at_ms: i64,
    g_id: Option<Uuid>,
    g_guide_id: Option<Uuid>,
    g_store_id: Option<Uuid>,
    g_source: Option<i16>,
    g_bound_at_ms: Option<i64>,
    g_changed_by: Option<String>,
    g_note: Option<String>,
}

impl TryFrom<MemberRow> for Member {
    type Error = AppError;

    fn try_from(r: MemberRow) -> Result<Self, AppError> {
        let id = MemberId(r.id);
        let guide = match (r.g_id, r.g_guide_id, r.g_source, r.g_bound_at_ms) {
            (Some(bid), Some(guide_id), Some(source), Some(bound_at_ms)) => Some(GuideBinding {
                id: bid,
                member_id: id,
                guide_id,
                store_id: r.g_store_id,
                source: stored(source)?,
                bound_at_ms,
                unbound_at_ms: None,
                unbind_reason: 0,
                changed_by: r.g_changed_by.unwrap_or_default(),
                note: r.g_note.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(Self {
            id,
            user_id: r.user_id,
            card_number: r.card_number,
            status: stored(r.status)?,
            birthday: r.birthday,
            card_holder_name: r.card_holder_name,
            home_store_id: r.home_store_id,
            attribution: from_json("attribution", &r.attribution)?,
            inviter_member_id: r.inviter_member_id.map(MemberId),
            tag_ids: from_json("tag_ids", &r.tag_ids)?,
            attributes: from_json::<BTreeMap<String, String>>("attributes", &r.attributes)?,
            remark: r.remark,
            growth_value: r.growth_value,
            enrolled_at_ms: r.enrolled_at_ms,
            updated_at_ms: r.updated_at_ms,
            guide,
        })
    }
}

async fn one(
    conn: &impl ConnectionTrait,
    condition: &str,
    values: Vec<Value>,
    lock: bool,
) -> Result<Option<Member>, AppError> {
    // Row locks cannot reach the nullable side of an outer join: lock the member alone.
    let lock = if lock && !for_update(conn).is_empty() {
        " FOR UPDATE OF m"
    } else {
        ""
    };
    let sql = format!("{SELECT} WHERE m.tenant = $1 AND {condition}{lock}");
    let row: Option<MemberRow> = fetch_one(conn, &sql, values).await?;
    row.map(Member::try_from).transpose()
}

/// The member `id` of the tenant; locked (Postgres) when `lock`.
#[tracing::instrument(skip_all, fields(member_id = %id))]
pub async fn by_id(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: MemberId,
    lock: bool,
) -> Result<Option<Member>, AppError> {
    one(conn, "m.id = $2", vec![uuid(tenant.0), uuid(id.0)], lock).await
}

/// The member of `user_id`.
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn by_user(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: Uuid,
) -> Result<Option<Member>, AppError> {
    one(
        conn,
        "m.user_id = $2",
        vec![uuid(tenant.0), uuid(user_id)],
        false,
    )
    .await
}

/// The member holding `card_number`.
pub async fn by_card(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    card_number: &str,
) -> Result<Option<Member>, AppError> {
    one(
        conn,
        "m.card_number = $2",
        vec![uuid(tenant.0), card_number.into()],
        false,
    )
    .await
}

/// Inserts a new member; `false` when the user is a member already (the caller reads that
/// one). A concurrent enrolment of the same user waits on the unique index (Postgres) or the
/// write lock (SQLite) and then sees the first. A card number held by another member is
/// CARD_NUMBER_TAKEN.
#[tracing::instrument(skip_all, fields(member_id = %m.id))]
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    m: &Member,
) -> Result<bool, AppError> {
    let values = vec![
        uuid(tenant.0),
        uuid(m.id.0),
        uuid(m.user_id),
        m.card_number.clone().into(),
        Value::SmallInt(Some(m.status.number())),
        m.birthday.clone().into(),
        m.card_holder_name.clone().into(),
        opt_uuid(m.home_store_id),
        to_json(&m.attribution)?,
        opt_uuid(m.inviter_member_id.map(|i| i.0)),
        to_json(&m.tag_ids)?,
        to_json(&m.attributes)?,
        m.remark.clone().into(),
        m.enrolled_at_ms.into(),
    ];
    let inserted = conn
        .execute_raw(super::stmt(
            conn,
            "INSERT INTO mem_members (tenant, id, user_id, card_number, status, birthday, \
             card_holder_name, home_store_id, attribution, inviter_member_id, tag_ids, attributes, \
             remark, enrolled_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $14) ON CONFLICT (tenant, user_id) DO NOTHING",
            values,
        ))
        .await;
    match inserted {
        Ok(r) => Ok(r.rows_affected() == 1),
        Err(err) if is_unique_violation(&err) => Err(AppError::CardNumberTaken),
        Err(err) => Err(err.into()),
    }
}

/// True when another member of the tenant holds `card_number`.
pub async fn card_taken(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    card_number: &str,
) -> Result<bool, AppError> {
    let n = total(
        conn,
        "SELECT COUNT(*) AS n FROM mem_members WHERE tenant = $1 AND card_number = $2",
        [uuid(tenant.0), card_number.into()],
    )
    .await?;
    Ok(n > 0)
}

/// The next value of the tenant's card sequence (1, 2, …).
pub async fn next_card_sequence(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<i64, AppError> {
    let row: Option<super::Total> = fetch_one(
        conn,
        "INSERT INTO mem_card_sequences (tenant, next_value) VALUES ($1, 2) \
         ON CONFLICT (tenant) DO UPDATE SET next_value = mem_card_sequences.next_value + 1 \
         RETURNING next_value - 1 AS n",
        [uuid(tenant.0)],
    )
    .await?;
    row.and_then(|r| r.n)
        .ok_or_else(|| AppError::Internal("card sequence returned no row".into()))
}

/// Writes the fields a member update may change.
#[tracing::instrument(skip_all, fields(member_id = %m.id))]
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    m: &Member,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_members SET status = $3, birthday = $4, card_holder_name = $5, \
         home_store_id = $6, attributes = $7, remark = $8, updated_at_ms = $9 \
         WHERE tenant = $1 AND id = $2",
        [
            uuid(tenant.0),
            uuid(m.id.0),
            Value::SmallInt(Some(m.status.number())),
            m.birthday.clone().into(),
            m.card_holder_name.clone().into(),
            opt_uuid(m.home_store_id),
            to_json(&m.attributes)?,
            m.remark.clone().into(),
            m.updated_at_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Records a staff (or member) change of fields in the member's audit trail.
pub async fn audit(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    fields: &[String],
    reason: &str,
    operator: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_member_audit (tenant, id, member_id, fields, reason, operator_id, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            uuid(tenant.0),
            uuid(siyu_core::id::new()),
            uuid(member.0),
            to_json(&fields)?,
            reason.into(),
            operator.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Ids of the tenant's members whose user is `user_id` and whose status is not CLOSED (the
/// inviter of a referral), if any.
pub async fn active_by_user(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: Uuid,
) -> Result<Option<MemberId>, AppError> {
    Ok(by_user(conn, tenant, user_id)
        .await?
        .filter(|m| m.status != MemberStatus::Closed)
        .map(|m| m.id))
}
