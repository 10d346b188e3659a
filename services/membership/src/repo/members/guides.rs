//! `mem_guide_bindings`: a member's guide relationships, at most one current (partial unique
//! index) — opening and closing them, a guide's current members, the history — with the
//! tenant's guide policy and the guides membership has seen (`mem_guides`, disabled ones marked).

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{MemberRow, SELECT};
use crate::AppError;
use crate::app::domain::{GuideBinding, GuidePolicy, Member, MemberId, Succession, UnbindReason};
use crate::repo::{
    execute, fetch_all, fetch_one, for_update, opt_uuid, placeholders, stored, total, uuid,
};

/// Opens `b` as the member's current binding.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    b: &GuideBinding,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_guide_bindings (tenant, id, member_id, guide_id, store_id, source, \
         bound_at_ms, changed_by, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            uuid(tenant.0),
            uuid(b.id),
            uuid(b.member_id.0),
            uuid(b.guide_id),
            opt_uuid(b.store_id),
            Value::SmallInt(Some(b.source.number())),
            b.bound_at_ms.into(),
            b.changed_by.clone().into(),
            b.note.clone().into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Most ids in one `IN (…)` list (SQLite allows 32,766 variables; Postgres 65,535).
const CHUNK: usize = 1_000;

#[derive(Debug, FromQueryResult)]
struct PolicyRow {
    latest_scan_wins: bool,
    succession: i16,
    updated_at_ms: i64,
}

/// The tenant's guide policy (the default when it set none).
pub async fn policy(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<GuidePolicy, AppError> {
    let row: Option<PolicyRow> = fetch_one(
        conn,
        "SELECT latest_scan_wins, succession, updated_at_ms FROM mem_guide_policies \
         WHERE tenant = $1",
        [uuid(tenant.0)],
    )
    .await?;
    match row {
        None => Ok(GuidePolicy::default()),
        Some(r) => Ok(GuidePolicy {
            latest_scan_wins: r.latest_scan_wins,
            succession: stored::<Succession>(r.succession)?,
            updated_at_ms: Some(r.updated_at_ms),
        }),
    }
}

/// Sets the fields of the tenant's guide policy that `set` names (latest scan wins,
/// succession) to `policy`'s values, stamped `now_ms`; a tenant without a row gets the default
/// for the others. One statement, so two updates of different fields at once both land.
pub async fn update_policy(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    policy: &GuidePolicy,
    set: (bool, bool),
    now_ms: i64,
) -> Result<(), AppError> {
    let base = GuidePolicy::default();
    let (lsw, succession) = set;
    execute(
        conn,
        "INSERT INTO mem_guide_policies (tenant, latest_scan_wins, succession, updated_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant) DO UPDATE SET \
         latest_scan_wins = CASE WHEN $5 THEN excluded.latest_scan_wins \
         ELSE mem_guide_policies.latest_scan_wins END, \
         succession = CASE WHEN $6 THEN excluded.succession ELSE mem_guide_policies.succession END, \
         updated_at_ms = excluded.updated_at_ms",
        [
            uuid(tenant.0),
            (if lsw { policy } else { &base }).latest_scan_wins.into(),
            Value::SmallInt(Some(
                (if succession { policy } else { &base }).succession.number(),
            )),
            now_ms.into(),
            lsw.into(),
            succession.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Takes the guide's row in share mode (Postgres; SQLite's writer holds the database), creating
/// it first, and answers whether identity reported the guide disabled. Binds to a guide share
/// the row; [`disable`] updates it, so it waits for binds in flight and every later bind sees
/// the guide disabled — no member is bound to a guide after its succession ran.
pub async fn share_guide(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    guide: Uuid,
) -> Result<bool, AppError> {
    execute(
        conn,
        "INSERT INTO mem_guides (tenant, guide_id) VALUES ($1, $2) \
         ON CONFLICT (tenant, guide_id) DO NOTHING",
        [uuid(tenant.0), uuid(guide)],
    )
    .await?;
    let share = if for_update(conn).is_empty() {
        ""
    } else {
        " FOR SHARE"
    };
    #[derive(Debug, FromQueryResult)]
    struct GuideRow {
        disabled_at_ms: Option<i64>,
    }
    let row: Option<GuideRow> = fetch_one(
        conn,
        &format!(
            "SELECT disabled_at_ms FROM mem_guides WHERE tenant = $1 AND guide_id = $2{share}"
        ),
        [uuid(tenant.0), uuid(guide)],
    )
    .await?;
    Ok(row.is_some_and(|r| r.disabled_at_ms.is_some()))
}

/// Records `guide` as disabled (locking its row against binds); false when it was already.
pub async fn disable(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    guide: Uuid,
    reason: &str,
    at_ms: i64,
) -> Result<bool, AppError> {
    execute(
        conn,
        "INSERT INTO mem_guides (tenant, guide_id) VALUES ($1, $2) \
         ON CONFLICT (tenant, guide_id) DO NOTHING",
        [uuid(tenant.0), uuid(guide)],
    )
    .await?;
    // Locks the row: binds in flight (sharing it) finish first, later ones see it disabled.
    let n = execute(
        conn,
        "UPDATE mem_guides SET disabled_at_ms = $3, reason = $4 \
         WHERE tenant = $1 AND guide_id = $2 AND disabled_at_ms IS NULL",
        [uuid(tenant.0), uuid(guide), at_ms.into(), reason.into()],
    )
    .await?;
    Ok(n == 1)
}

/// The member's current binding, read now (after its row was locked).
pub async fn current(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
) -> Result<Option<GuideBinding>, AppError> {
    let row: Option<BindingRow> = fetch_one(
        conn,
        &format!("{BINDING} WHERE g.tenant = $1 AND g.member_id = $2 AND g.unbound_at_ms IS NULL"),
        [uuid(tenant.0), uuid(member.0)],
    )
    .await?;
    row.map(GuideBinding::try_from).transpose()
}

/// Closes the current binding `id`; false when it was no longer current. `note`, when given,
/// replaces the binding's note (the reason staff gave for removing it).
pub async fn close(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    at_ms: i64,
    reason: UnbindReason,
    note: Option<&str>,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE mem_guide_bindings SET unbound_at_ms = $3, unbind_reason = $4, \
         note = COALESCE($5, note) WHERE tenant = $1 AND id = $2 AND unbound_at_ms IS NULL",
        [
            uuid(tenant.0),
            uuid(id),
            at_ms.into(),
            Value::SmallInt(Some(reason.number())),
            Value::String(note.map(ToOwned::to_owned)),
        ],
    )
    .await?;
    Ok(n == 1)
}

#[derive(Debug, FromQueryResult)]
struct BindingRow {
    id: Uuid,
    member_id: Uuid,
    guide_id: Uuid,
    store_id: Option<Uuid>,
    source: i16,
    bound_at_ms: i64,
    unbound_at_ms: Option<i64>,
    unbind_reason: i16,
    changed_by: String,
    note: String,
}

impl TryFrom<BindingRow> for GuideBinding {
    type Error = AppError;

    fn try_from(r: BindingRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            member_id: MemberId(r.member_id),
            guide_id: r.guide_id,
            store_id: r.store_id,
            source: stored(r.source)?,
            bound_at_ms: r.bound_at_ms,
            unbound_at_ms: r.unbound_at_ms,
            unbind_reason: r.unbind_reason,
            changed_by: r.changed_by,
            note: r.note,
        })
    }
}

const BINDING: &str = "SELECT g.id, g.member_id, g.guide_id, g.store_id, g.source, \
    g.bound_at_ms, g.unbound_at_ms, g.unbind_reason, g.changed_by, g.note \
    FROM mem_guide_bindings g";

/// A current binding in a guide's book, with its member's user (for the events).
#[derive(Debug, Clone)]
pub struct BookEntry {
    /// The binding.
    pub binding: GuideBinding,
    /// The member's user.
    pub user_id: Uuid,
}

#[derive(Debug, FromQueryResult)]
struct BookRow {
    user_id: Uuid,
    id: Uuid,
    member_id: Uuid,
    guide_id: Uuid,
    store_id: Option<Uuid>,
    source: i16,
    bound_at_ms: i64,
    unbound_at_ms: Option<i64>,
    unbind_reason: i16,
    changed_by: String,
    note: String,
}

/// Locks the members currently bound to `guide` (all, or those of `only`), in card-number
/// order so two reassignments of one book never deadlock, and answers their current bindings
/// read after the lock, in that order.
pub async fn lock_book(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    guide: Uuid,
    only: Option<&[MemberId]>,
) -> Result<Vec<BookEntry>, AppError> {
    let lock = if for_update(conn).is_empty() {
        ""
    } else {
        " FOR UPDATE OF m"
    };
    #[derive(Debug, FromQueryResult)]
    struct Locked {
        id: Uuid,
    }
    let mut locked: Vec<Uuid> = Vec::new();
    match only {
        None => {
            let rows: Vec<Locked> = fetch_all(
                conn,
                &format!(
                    "SELECT m.id FROM mem_members m JOIN mem_guide_bindings g ON g.tenant = m.tenant \
                     AND g.member_id = m.id AND g.unbound_at_ms IS NULL WHERE m.tenant = $1 \
                     AND g.guide_id = $2 ORDER BY m.card_number{lock}"
                ),
                [uuid(tenant.0), uuid(guide)],
            )
            .await?;
            locked.extend(rows.into_iter().map(|r| r.id));
        }
        Some(ids) => {
            let mut sorted: Vec<MemberId> = ids.to_vec();
            sorted.sort();
            sorted.dedup();
            for chunk in sorted.chunks(CHUNK) {
                let mut values = vec![uuid(tenant.0)];
                values.extend(chunk.iter().map(|m| uuid(m.0)));
                let rows: Vec<Locked> = fetch_all(
                    conn,
                    &format!(
                        "SELECT m.id FROM mem_members m WHERE m.tenant = $1 AND m.id IN ({}) \
                         ORDER BY m.card_number{lock}",
                        placeholders(2, chunk.len())
                    ),
                    values,
                )
                .await?;
                locked.extend(rows.into_iter().map(|r| r.id));
            }
        }
    }
    // Read after the lock: a bind that committed meanwhile is seen, so its member is not moved
    // from a guide it no longer has.
    let mut out = Vec::with_capacity(locked.len());
    for chunk in locked.chunks(CHUNK) {
        let mut values = vec![uuid(tenant.0), uuid(guide)];
        values.extend(chunk.iter().map(|m| uuid(*m)));
        let rows: Vec<BookRow> = fetch_all(
            conn,
            &format!(
                "SELECT m.user_id, g.id, g.member_id, g.guide_id, g.store_id, g.source, \
                 g.bound_at_ms, g.unbound_at_ms, g.unbind_reason, g.changed_by, g.note \
                 FROM mem_guide_bindings g JOIN mem_members m ON m.tenant = g.tenant AND m.id = g.member_id \
                 WHERE g.tenant = $1 AND g.guide_id = $2 AND g.unbound_at_ms IS NULL \
                 AND g.member_id IN ({}) ORDER BY m.card_number",
                placeholders(3, chunk.len())
            ),
            values,
        )
        .await?;
        for r in rows {
            let binding = GuideBinding::try_from(BindingRow {
                id: r.id,
                member_id: r.member_id,
                guide_id: r.guide_id,
                store_id: r.store_id,
                source: r.source,
                bound_at_ms: r.bound_at_ms,
                unbound_at_ms: r.unbound_at_ms,
                unbind_reason: r.unbind_reason,
                changed_by: r.changed_by,
                note: r.note,
            })?;
            out.push(BookEntry {
                binding,
                user_id: r.user_id,
            });
        }
    }
    Ok(out)
}

/// The other guides currently serving members of `store` (their most recent binding there
/// first), excluding `except` and guides reported disabled.
pub async fn store_guides(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    store: Uuid,
    except: Uuid,
) -> Result<Vec<Uuid>, AppError> {
    #[derive(Debug, FromQueryResult)]
    struct Guide {
        guide_id: Uuid,
    }
    let rows: Vec<Guide> = fetch_all(
        conn,
        "SELECT g.guide_id FROM mem_guide_bindings g WHERE g.tenant = $1 AND g.store_id = $2 \
         AND g.unbound_at_ms IS NULL AND g.guide_id <> $3 AND NOT EXISTS (SELECT 1 FROM \
         mem_guides d WHERE d.tenant = g.tenant AND d.guide_id = g.guide_id \
         AND d.disabled_at_ms IS NOT NULL) \
         GROUP BY g.guide_id ORDER BY g.guide_id",
        [uuid(tenant.0), uuid(store), uuid(except)],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.guide_id).collect())
}

/// Whose history to list.
#[derive(Debug, Clone, Copy)]
pub enum HistoryOf {
    /// One member's bindings.
    Member(MemberId),
    /// Every binding a guide ever had.
    Guide(Uuid),
}

/// Bindings, newest `bound_at` first, after the cursor (bound_at_ms, id).
pub async fn history(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    of: HistoryOf,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<GuideBinding>, AppError> {
    let (column, id) = match of {
        HistoryOf::Member(m) => ("g.member_id", m.0),
        HistoryOf::Guide(g) => ("g.guide_id", g),
    };
    let mut values = vec![uuid(tenant.0), uuid(id)];
    let mut sql = format!("{BINDING} WHERE g.tenant = $1 AND {column} = $2");
    if let Some((at, last)) = after {
        sql.push_str(" AND (g.bound_at_ms < $3 OR (g.bound_at_ms = $3 AND g.id < $4))");
        values.extend([at.into(), uuid(last)]);
    }
    sql.push_str(&format!(
        " ORDER BY g.bound_at_ms DESC, g.id DESC LIMIT {limit}"
    ));
    let rows: Vec<BindingRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter().map(GuideBinding::try_from).collect()
}

/// What a guide's member list is narrowed by.
#[derive(Debug, Clone, Default)]
pub struct BookFilter {
    /// Only members whose home store is one of these (a store-scoped caller).
    pub stores: Option<Vec<Uuid>>,
    /// Carrying all of these tags.
    pub tag_ids: Vec<Uuid>,
}

/// The members currently bound to `guide`, most recently bound first, after the cursor
/// (bound_at_ms, member id), and how many there are in all.
pub async fn book(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    guide: Uuid,
    filter: &BookFilter,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<(Vec<Member>, i64), AppError> {
    let mut values = vec![uuid(tenant.0), uuid(guide)];
    let mut cond = String::from("m.tenant = $1 AND g.guide_id = $2");
    if let Some(stores) = &filter.stores {
        if stores.is_empty() {
            return Ok((Vec::new(), 0));
        }
        cond.push_str(&format!(
            " AND m.home_store_id IN ({})",
            placeholders(values.len() + 1, stores.len())
        ));
        values.extend(stores.iter().map(|s| uuid(*s)));
    }
    for tag in &filter.tag_ids {
        values.push(format!("%\"{tag}\"%").into());
        cond.push_str(&format!(" AND m.tag_ids LIKE ${}", values.len()));
    }
    let count = total(
        conn,
        &format!(
            "SELECT COUNT(*) AS n FROM mem_members m JOIN mem_guide_bindings g ON g.tenant = m.tenant \
             AND g.member_id = m.id AND g.unbound_at_ms IS NULL WHERE {cond}"
        ),
        values.clone(),
    )
    .await?;
    let mut sql = format!("{SELECT} WHERE {cond} AND g.id IS NOT NULL");
    if let Some((at, last)) = after {
        let n = values.len();
        sql.push_str(&format!(
            " AND (g.bound_at_ms < ${} OR (g.bound_at_ms = ${} AND m.id < ${}))",
            n + 1,
            n + 1,
            n + 2
        ));
        values.extend([at.into(), uuid(last)]);
    }
    sql.push_str(&format!(
        " ORDER BY g.bound_at_ms DESC, m.id DESC LIMIT {limit}"
    ));
    let rows: Vec<MemberRow> = fetch_all(conn, &sql, values).await?;
    let members = rows
        .into_iter()
        .map(Member::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((members, count))
}

/// How many members are currently bound to `guide`.
pub async fn book_size(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    guide: Uuid,
) -> Result<i64, AppError> {
    total(
        conn,
        "SELECT COUNT(*) AS n FROM mem_guide_bindings WHERE tenant = $1 AND guide_id = $2 \
         AND unbound_at_ms IS NULL",
        [uuid(tenant.0), uuid(guide)],
    )
    .await
}
