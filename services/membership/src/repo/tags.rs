//! `mem_tags` (manual and system tags), `mem_member_tags` (who carries what; the table segment
//! queries read) and the mirror of the pairs in `mem_members.tag_ids` (JSON, what member reads
//! show), changed together by set-based statements.

use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::MemberId;
use crate::app::tags::{Tag, TagFilter, TagId, TagKind};
use crate::repo::{
    execute, fetch_all, fetch_one, for_update, is_unique_violation, opt_uuid, placeholders, stmt,
    stored, total, uuid,
};

pub mod purchases;

const COLUMNS: &str = "id, name, tag_group, kind, code, store_id, created_at_ms";

#[derive(Debug, FromQueryResult)]
struct TagRow {
    id: Uuid,
    name: String,
    tag_group: String,
    kind: i16,
    code: Option<String>,
    store_id: Option<Uuid>,
    created_at_ms: i64,
}

impl TryFrom<TagRow> for Tag {
    type Error = AppError;

    fn try_from(r: TagRow) -> Result<Self, AppError> {
        Ok(Self {
            id: TagId(r.id),
            name: r.name,
            group: r.tag_group,
            kind: stored(r.kind)?,
            code: r.code,
            store_id: r.store_id,
            member_count: 0,
            created_at_ms: r.created_at_ms,
        })
    }
}

fn ids<T>(from: usize, list: &[T], f: impl Fn(&T) -> Uuid) -> (String, Vec<Value>) {
    (
        placeholders(from, list.len()),
        list.iter().map(|x| uuid(f(x))).collect(),
    )
}

/// A tag of the tenant, locked for update when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: TagId,
    lock: bool,
) -> Result<Option<Tag>, AppError> {
    let lock = if lock { for_update(conn) } else { "" };
    let row: Option<TagRow> = fetch_one(
        conn,
        &format!("SELECT {COLUMNS} FROM mem_tags WHERE tenant = $1 AND id = $2{lock}"),
        [uuid(tenant.0), uuid(id.0)],
    )
    .await?;
    row.map(Tag::try_from).transpose()
}

/// The tags of `tags` that exist, held in share mode (Postgres) until the transaction ends.
pub async fn lock_shared(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    tags: &[TagId],
) -> Result<Vec<Tag>, AppError> {
    let share = match conn.get_database_backend() {
        DbBackend::Postgres => " FOR SHARE",
        _ => "",
    };
    let (marks, mut values) = ids(2, tags, |t| t.0);
    values.insert(0, uuid(tenant.0));
    let rows: Vec<TagRow> = fetch_all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM mem_tags WHERE tenant = $1 AND id IN ({marks}) \
             ORDER BY id{share}"
        ),
        values,
    )
    .await?;
    rows.into_iter().map(Tag::try_from).collect()
}

/// Inserts a manual tag; TAG_NAME_TAKEN when its group has the name.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    t: &Tag,
) -> Result<(), AppError> {
    let sql = "INSERT INTO mem_tags (tenant, id, name, tag_group, kind, code, store_id, \
               created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $7)";
    let values = [
        uuid(tenant.0),
        uuid(t.id.0),
        t.name.clone().into(),
        t.group.clone().into(),
        t.kind.number().into(),
        opt_uuid(t.store_id),
        t.created_at_ms.into(),
    ];
    match conn.execute_raw(stmt(conn, sql, values)).await {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(AppError::TagNameTaken),
        Err(e) => Err(e.into()),
    }
}

/// Inserts a system tag unless its code exists.
pub async fn insert_system(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    (code, name, group): (&str, &str, &str),
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_tags (tenant, id, name, tag_group, kind, code, created_at_ms, \
         updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT DO NOTHING",
        [
            uuid(tenant.0),
            uuid(siyu_core::id::new()),
            name.into(),
            group.into(),
            TagKind::System.number().into(),
            code.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// How many system tags the tenant has.
pub async fn system_count(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<i64, AppError> {
    total(
        conn,
        "SELECT COUNT(*) AS n FROM mem_tags WHERE tenant = $1 AND kind = $2",
        [uuid(tenant.0), TagKind::System.number().into()],
    )
    .await
}

/// Writes a tag's name and group; TAG_NAME_TAKEN when the group has the name.
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    t: &Tag,
    now_ms: i64,
) -> Result<(), AppError> {
    let sql = "UPDATE mem_tags SET name = $3, tag_group = $4, updated_at_ms = $5 \
               WHERE tenant = $1 AND id = $2";
    let values = [
        uuid(tenant.0),
        uuid(t.id.0),
        t.name.clone().into(),
        t.group.clone().into(),
        now_ms.into(),
    ];
    match conn.execute_raw(stmt(conn, sql, values)).await {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(AppError::TagNameTaken),
        Err(e) => Err(e.into()),
    }
}

/// Members carrying the tag.
pub async fn member_count(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: TagId,
) -> Result<i64, AppError> {
    total(
        conn,
        "SELECT COUNT(*) AS n FROM mem_member_tags WHERE tenant = $1 AND tag_id = $2",
        [uuid(tenant.0), uuid(id.0)],
    )
    .await
}

/// Deletes a tag and takes it off every member; answers how many carried it.
pub async fn delete(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: TagId,
) -> Result<i64, AppError> {
    let removed = execute(
        conn,
        "DELETE FROM mem_member_tags WHERE tenant = $1 AND tag_id = $2",
        [uuid(tenant.0), uuid(id.0)],
    )
    .await?;
    unmirror(conn, tenant, id, None).await?;
    execute(
        conn,
        "DELETE FROM mem_tags WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(id.0)],
    )
    .await?;
    Ok(i64::try_from(removed).unwrap_or(i64::MAX))
}

/// A page of tags by group, name and id after `after`.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &TagFilter,
    after: Option<(String, String, Uuid)>,
    limit: u64,
) -> Result<Vec<Tag>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM mem_tags WHERE tenant = $1");
    let mut values = vec![uuid(tenant.0)];
    if let Some(kind) = f.kind {
        values.push(kind.number().into());
        sql.push_str(&format!(" AND kind = ${}", values.len()));
    }
    if let Some(group) = &f.group {
        values.push(group.clone().into());
        sql.push_str(&format!(" AND tag_group = ${}", values.len()));
    }
    if let Some((group, name, id)) = after {
        let n = values.len();
        sql.push_str(&format!(
            " AND (tag_group > ${a} OR (tag_group = ${a} AND (name > ${b} OR (name = ${b} \
             AND id > ${c}))))",
            a = n + 1,
            b = n + 2,
            c = n + 3
        ));
        values.extend([group.into(), name.into(), uuid(id)]);
    }
    sql.push_str(&format!(" ORDER BY tag_group, name, id LIMIT {limit}"));
    let rows: Vec<TagRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter().map(Tag::try_from).collect()
}

#[derive(Debug, FromQueryResult)]
struct CountRow {
    tag_id: Uuid,
    n: i64,
}

/// Fills `member_count` of `tags`.
pub async fn fill_counts(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    tags: &mut [Tag],
) -> Result<(), AppError> {
    if tags.is_empty() {
        return Ok(());
    }
    let (marks, mut values) = ids(2, tags, |t| t.id.0);
    values.insert(0, uuid(tenant.0));
    let rows: Vec<CountRow> = fetch_all(
        conn,
        &format!(
            "SELECT tag_id, COUNT(*) AS n FROM mem_member_tags WHERE tenant = $1 \
             AND tag_id IN ({marks}) GROUP BY tag_id"
        ),
        values,
    )
    .await?;
    for t in tags.iter_mut() {
        t.member_count = rows.iter().find(|r| r.tag_id == t.id.0).map_or(0, |r| r.n);
    }
    Ok(())
}

/// How many of `members` are members of the tenant.
pub async fn known_members(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    members: &[MemberId],
) -> Result<i64, AppError> {
    let (marks, mut values) = ids(2, members, |m| m.0);
    values.insert(0, uuid(tenant.0));
    total(
        conn,
        &format!("SELECT COUNT(*) AS n FROM mem_members WHERE tenant = $1 AND id IN ({marks})"),
        values,
    )
    .await
}

#[derive(Debug, FromQueryResult)]
struct MemberRow {
    member_id: Uuid,
}

/// Puts each tag on each member (pairs already there are left alone); answers the new pairs.
/// Only the pairs this statement inserted are added to the members' lists, so a racing
/// untagging never leaves a list naming a pair that is gone (or the reverse).
pub async fn add_pairs(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    members: &[MemberId],
    tags: &[TagId],
    now_ms: i64,
) -> Result<i64, AppError> {
    let mut added = 0;
    for tag in tags {
        let (marks, mut values) = ids(4, members, |m| m.0);
        values.splice(0..0, [uuid(tenant.0), uuid(tag.0), now_ms.into()]);
        let inserted: Vec<MemberRow> = fetch_all(
            conn,
            &format!(
                "INSERT INTO mem_member_tags (tenant, tag_id, member_id, created_at_ms) \
                 SELECT m.tenant, $2, m.id, $3 FROM mem_members m WHERE m.tenant = $1 \
                 AND m.id IN ({marks}) ON CONFLICT DO NOTHING RETURNING member_id"
            ),
            values,
        )
        .await?;
        if inserted.is_empty() {
            continue;
        }
        added += inserted.len();
        let (marks, mut values) = ids(5, &inserted, |r| r.member_id);
        let quoted = format!("\"{}\"", tag.0);
        values.splice(
            0..0,
            [
                uuid(tenant.0),
                format!("%{quoted}%").into(),
                format!("[{quoted}]").into(),
                format!(",{quoted}]").into(),
            ],
        );
        execute(
            conn,
            &format!(
                "UPDATE mem_members SET tag_ids = CASE WHEN tag_ids = '[]' THEN $3 \
                 ELSE SUBSTR(tag_ids, 1, LENGTH(tag_ids) - 1) || $4 END \
                 WHERE tenant = $1 AND id IN ({marks}) AND tag_ids NOT LIKE $2"
            ),
            values,
        )
        .await?;
    }
    Ok(i64::try_from(added).unwrap_or(i64::MAX))
}

/// Takes each tag off each member; answers the pairs removed (and only their members' lists
/// change).
pub async fn remove_pairs(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    members: &[MemberId],
    tags: &[TagId],
) -> Result<i64, AppError> {
    let mut removed = 0;
    for tag in tags {
        let (marks, mut values) = ids(3, members, |m| m.0);
        values.splice(0..0, [uuid(tenant.0), uuid(tag.0)]);
        let deleted: Vec<MemberRow> = fetch_all(
            conn,
            &format!(
                "DELETE FROM mem_member_tags WHERE tenant = $1 AND tag_id = $2 \
                 AND member_id IN ({marks}) RETURNING member_id"
            ),
            values,
        )
        .await?;
        if deleted.is_empty() {
            continue;
        }
        removed += deleted.len();
        let ids: Vec<MemberId> = deleted.iter().map(|r| MemberId(r.member_id)).collect();
        unmirror(conn, tenant, *tag, Some(&ids)).await?;
    }
    Ok(i64::try_from(removed).unwrap_or(i64::MAX))
}

/// Removes `tag` from `mem_members.tag_ids` of `members` (every member when `None`).
async fn unmirror(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    tag: TagId,
    members: Option<&[MemberId]>,
) -> Result<(), AppError> {
    let quoted = format!("\"{}\"", tag.0);
    let mut values = vec![
        uuid(tenant.0),
        format!("%{quoted}%").into(),
        format!("{quoted},").into(),
        format!(",{quoted}").into(),
        quoted.into(),
    ];
    let only = match members {
        Some(list) => {
            let (marks, ids) = ids(6, list, |m| m.0);
            values.extend(ids);
            format!(" AND id IN ({marks})")
        }
        None => String::new(),
    };
    execute(
        conn,
        &format!(
            "UPDATE mem_members SET tag_ids = REPLACE(REPLACE(REPLACE(tag_ids, $3, ''), $4, ''), \
             $5, '') WHERE tenant = $1 AND tag_ids LIKE $2{only}"
        ),
        values,
    )
    .await
    .map(|_| ())
}

#[derive(Debug, FromQueryResult)]
struct TagIdRow {
    tag_id: Uuid,
}

/// The tags of `kind` `member` carries.
pub async fn tags_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    kind: TagKind,
) -> Result<Vec<TagId>, AppError> {
    let rows: Vec<TagIdRow> = fetch_all(
        conn,
        "SELECT mt.tag_id FROM mem_member_tags mt JOIN mem_tags t \
         ON t.tenant = mt.tenant AND t.id = mt.tag_id \
         WHERE mt.tenant = $1 AND mt.member_id = $2 AND t.kind = $3 ORDER BY mt.tag_id",
        [uuid(tenant.0), uuid(member.0), kind.number().into()],
    )
    .await?;
    Ok(rows.into_iter().map(|r| TagId(r.tag_id)).collect())
}
