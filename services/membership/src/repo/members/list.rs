//! ListMembers: filters combined with AND, the caller's org scope, keyset paging on the chosen
//! order (value, id) — both descending — and a total capped at 10,000.

use sea_orm::{ConnectionTrait, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{MemberRow, SELECT};
use crate::AppError;
use crate::app::domain::{Member, MemberStatus};
use crate::repo::segments::Compiled;
use crate::repo::{fetch_all, placeholders, total, uuid};

/// The cap of `total_count`.
pub const TOTAL_CAP: i64 = 10_000;

/// The sort of a member list; every order is descending with the id as tie-breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemberOrder {
    /// Newest enrolment first.
    #[default]
    Enrolled,
    /// Highest growth first.
    Growth,
    /// Most recently updated first.
    Updated,
}

impl MemberOrder {
    fn column(self) -> &'static str {
        match self {
            Self::Enrolled => "m.enrolled_at_ms",
            Self::Growth => "m.growth_value",
            Self::Updated => "m.updated_at_ms",
        }
    }

    /// The sort value of `m` under this order.
    pub fn value_of(self, m: &Member) -> i64 {
        match self {
            Self::Enrolled => m.enrolled_at_ms,
            Self::Growth => m.growth_value,
            Self::Updated => m.updated_at_ms,
        }
    }
}

/// Which members a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every member of the tenant.
    All,
    /// Members whose home store is one of these.
    Stores(Vec<Uuid>),
    /// Members currently bound to this guide.
    Guide(Uuid),
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Exact card number or a prefix of the card holder name.
    pub query: Option<String>,
    /// Tier codes asked for.
    pub tier_codes: Vec<String>,
    /// The tenant's entry tier, held by members without a tier row (set by the app).
    pub entry_tier_code: Option<String>,
    /// Home stores.
    pub store_ids: Vec<Uuid>,
    /// Currently bound to this guide.
    pub guide_id: Option<Uuid>,
    /// Carrying all of these tags.
    pub tag_ids: Vec<Uuid>,
    /// Enrolled at or after (ms).
    pub enrolled_after_ms: Option<i64>,
    /// Enrolled before (ms).
    pub enrolled_before_ms: Option<i64>,
    /// Statuses to include.
    pub statuses: Vec<MemberStatus>,
    /// Birthdays ("MM-DD") to include; empty = no filter.
    pub birthdays: Vec<String>,
    /// The sort.
    pub order: MemberOrder,
    /// Only members a segment matches now (its live condition, placeholders from `$1`).
    pub segment: Option<Compiled>,
}

/// SQL conditions and their values, numbered as they are added.
struct Conditions {
    sql: Vec<String>,
    values: Vec<Value>,
}

impl Conditions {
    /// Adds `template`, whose `?` marks are numbered in order as its `values`.
    fn push(&mut self, template: &str, values: Vec<Value>) {
        let mut sql = String::with_capacity(template.len() + 8);
        let mut next = self.values.len();
        for ch in template.chars() {
            if ch == '?' {
                next += 1;
                sql.push_str(&format!("${next}"));
            } else {
                sql.push(ch);
            }
        }
        self.sql.push(sql);
        self.values.extend(values);
    }

    /// Adds `column IN (…)`; an empty list matches nothing.
    fn list(&mut self, column: &str, ids: Vec<Value>) {
        if ids.is_empty() {
            self.sql.push("1 = 0".into());
            return;
        }
        let n = ids.len();
        let list = placeholders(self.values.len() + 1, n);
        self.sql.push(format!("{column} IN ({list})"));
        self.values.extend(ids);
    }
}

fn conditions(tenant: TenantId, f: &ListFilter, scope: &Scope) -> Conditions {
    let mut c = Conditions {
        sql: Vec::new(),
        values: Vec::new(),
    };
    c.push("m.tenant = ?", vec![uuid(tenant.0)]);
    if !f.tier_codes.is_empty() {
        // A member without a tier row is in the entry tier.
        let held = "COALESCE((SELECT t.tier_code FROM mem_member_tiers t WHERE t.tenant = m.tenant \
                    AND t.member_id = m.id), ?)";
        let entry = f.entry_tier_code.clone().unwrap_or_default();
        let marks = vec!["?"; f.tier_codes.len()].join(", ");
        let mut values: Vec<Value> = vec![entry.into()];
        values.extend(f.tier_codes.iter().map(|c| Value::from(c.clone())));
        c.push(&format!("{held} IN ({marks})"), values);
    }
    match scope {
        Scope::All => {}
        Scope::Stores(stores) => {
            c.list("m.home_store_id", stores.iter().map(|s| uuid(*s)).collect())
        }
        Scope::Guide(guide) => c.push("g.guide_id = ?", vec![uuid(*guide)]),
    }
    if let Some(q) = &f.query {
        let prefix = format!("{}%", q.replace(['%', '_', '\\'], ""));
        c.push(
            "(m.card_number = ? OR m.card_holder_name LIKE ?)",
            vec![q.clone().into(), prefix.into()],
        );
    }
    if !f.store_ids.is_empty() {
        c.list(
            "m.home_store_id",
            f.store_ids.iter().map(|s| uuid(*s)).collect(),
        );
    }
    if let Some(guide) = f.guide_id {
        c.push("g.guide_id = ?", vec![uuid(guide)]);
    }
    for tag in &f.tag_ids {
        c.push("m.tag_ids LIKE ?", vec![format!("%\"{tag}\"%").into()]);
    }
    if let Some(after) = f.enrolled_after_ms {
        c.push("m.enrolled_at_ms >= ?", vec![after.into()]);
    }
    if let Some(before) = f.enrolled_before_ms {
        c.push("m.enrolled_at_ms < ?", vec![before.into()]);
    }
    c.list(
        "m.status",
        f.statuses
            .iter()
            .map(|s| Value::SmallInt(Some(s.number())))
            .collect(),
    );
    if !f.birthdays.is_empty() {
        c.list(
            "SUBSTR(m.birthday, 6, 5)",
            f.birthdays.iter().map(|b| b.clone().into()).collect(),
        );
    }
    if let Some(seg) = &f.segment {
        // A semi-join on the segment's own query (its `m` is the subquery's own).
        let from_where = renumbered(&seg.from_where, c.values.len());
        c.sql.push(format!("m.id IN (SELECT m.id {from_where})"));
        c.values.extend(seg.values.iter().cloned());
    }
    c
}

/// `sql` with every `$n` placeholder moved up by `by`.
fn renumbered(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        out.push(ch);
        if ch != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
            digits.push(d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

/// One page of members after the cursor `after` ((sort value, id) of the last row), `limit`
/// rows at most, and the total of matches capped at [`TOTAL_CAP`].
#[tracing::instrument(skip_all, fields(%tenant))]
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &ListFilter,
    scope: &Scope,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<(Vec<Member>, i64), AppError> {
    let c = conditions(tenant, f, scope);
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT m.id FROM mem_members m LEFT JOIN \
         mem_guide_bindings g ON g.tenant = m.tenant AND g.member_id = m.id \
         AND g.unbound_at_ms IS NULL WHERE {} LIMIT {TOTAL_CAP}) capped",
        c.sql.join(" AND ")
    );
    let count = total(conn, &sql, c.values.clone()).await?;
    let mut c = c;
    let column = f.order.column();
    if let Some((value, id)) = after {
        c.push(
            &format!("({column} < ? OR ({column} = ? AND m.id < ?))"),
            vec![value.into(), value.into(), uuid(id)],
        );
    }
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY {column} DESC, m.id DESC LIMIT {limit}",
        c.sql.join(" AND ")
    );
    let rows: Vec<MemberRow> = fetch_all(conn, &sql, c.values).await?;
    let members = rows
        .into_iter()
        .map(Member::try_from)
        .collect::<Result<_, _>>()?;
    Ok((members, count))
}

#[cfg(test)]
mod tests {
    use super::renumbered;

    #[test]
    fn placeholders_move_up_and_nothing_else_changes() {
        assert_eq!(
            renumbered("FROM t WHERE a = $1 AND b IN ($2, $10) AND c = '$'", 3),
            "FROM t WHERE a = $4 AND b IN ($5, $13) AND c = '$'"
        );
    }
}
