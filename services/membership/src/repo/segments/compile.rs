//! A checked segment expression as one SQL condition over `mem_members m`, joined only to what
//! it reads (balances `b`, the tier row `t`, the current guide binding `g`). Tag conditions are
//! `EXISTS` over `mem_member_tags` (semi-joins on its tag-first key); every leaf is written so
//! that it is never NULL, so `NOT` means "not matched" for members lacking a value.

use chrono::{Datelike, Duration, FixedOffset};
use sea_orm::{DbBackend, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::MemberStatus;
use crate::app::segments::expression::{Attr, Expr, Op, Operand, Predicate};
use crate::repo::members::Scope;
use crate::repo::uuid;

/// What to compile: the expression and what limits it.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The checked expression.
    pub expr: &'a Expr,
    /// The segment's own store limit.
    pub store: Option<Uuid>,
    /// The caller's org scope (HQ and services: all).
    pub scope: &'a Scope,
    /// The tenant's entry tier, held by members without a tier row.
    pub entry_tier: Option<String>,
    /// "Now", for relative operators.
    pub now_ms: i64,
}

/// `FROM … WHERE …` of the members a target matches, with its values (`$1` is the tenant).
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The clause.
    pub from_where: String,
    /// Its values in placeholder order.
    pub values: Vec<Value>,
}

impl Compiled {
    /// The placeholder the next bound value gets.
    pub fn next(&self) -> usize {
        self.values.len() + 1
    }
}

struct Builder {
    backend: DbBackend,
    values: Vec<Value>,
    balances: bool,
    tier: bool,
    guide: bool,
    entry_tier: Option<String>,
    now_ms: i64,
}

impl Builder {
    fn bind(&mut self, v: Value) -> String {
        self.values.push(v);
        format!("${}", self.values.len())
    }

    fn list(&mut self, vs: Vec<Value>) -> String {
        vs.into_iter()
            .map(|v| self.bind(v))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn node(&mut self, e: &Expr) -> Result<String, AppError> {
        Ok(match e {
            Expr::AllOf(list) | Expr::AnyOf(list) => {
                let glue = if matches!(e, Expr::AllOf(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let parts = list
                    .iter()
                    .map(|x| self.node(x))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("({})", parts.join(glue))
            }
            Expr::Negate(x) => format!("NOT ({})", self.node(x)?),
            Expr::Tag { tag_ids, match_all } => {
                let exists = |b: &mut Self, ids: &[Uuid]| {
                    let marks = b.list(ids.iter().map(|t| uuid(*t)).collect());
                    format!(
                        "EXISTS (SELECT 1 FROM mem_member_tags x WHERE x.tenant = m.tenant \
                         AND x.member_id = m.id AND x.tag_id IN ({marks}))"
                    )
                };
                if *match_all {
                    let parts: Vec<String> = tag_ids.iter().map(|t| exists(self, &[*t])).collect();
                    format!("({})", parts.join(" AND "))
                } else {
                    exists(self, tag_ids)
                }
            }
            Expr::Attribute { .. } => {
                let p = e.predicate("expression")?;
                self.predicate(&p)
            }
        })
    }

    /// The SQL value of an attribute and whether it can be NULL.
    fn column(&mut self, attr: &Attr) -> (String, bool) {
        let pg = self.backend == DbBackend::Postgres;
        match attr {
            Attr::TierCode => {
                self.tier = true;
                match self.entry_tier.clone() {
                    Some(entry) => (
                        format!("COALESCE(t.tier_code, {})", self.bind(entry.into())),
                        false,
                    ),
                    None => ("t.tier_code".into(), true),
                }
            }
            Attr::GrowthValue => ("m.growth_value".into(), false),
            Attr::EnrolledAt => ("m.enrolled_at_ms".into(), false),
            Attr::EnrolmentChannel if pg => (
                "CAST(m.attribution::jsonb ->> 'channel' AS BIGINT)".into(),
                true,
            ),
            Attr::EnrolmentChannel => ("json_extract(m.attribution, '$.channel')".into(), true),
            Attr::HomeStoreId => ("m.home_store_id".into(), true),
            Attr::GuideId => {
                self.guide = true;
                ("g.guide_id".into(), true)
            }
            Attr::InviterMemberId => ("m.inviter_member_id".into(), true),
            Attr::Birthday => ("m.birthday".into(), false),
            Attr::PointsAvailable => {
                self.balances = true;
                ("COALESCE(b.points_available, 0)".into(), false)
            }
            Attr::StoredValueAvailable => {
                self.balances = true;
                ("COALESCE(b.sv_principal + b.sv_bonus, 0)".into(), false)
            }
            Attr::Custom(key) if pg => {
                let k = self.bind(key.clone().into());
                (format!("(m.attributes::jsonb ->> {k})"), true)
            }
            Attr::Custom(key) => {
                let k = self.bind(format!("$.\"{key}\"").into());
                (format!("json_extract(m.attributes, {k})"), true)
            }
        }
    }

    fn predicate(&mut self, p: &Predicate) -> String {
        if p.attr == Attr::Birthday {
            return self.birthday(p);
        }
        let (col, nullable) = self.column(&p.attr);
        let values: Vec<Value> = match &p.operand {
            Operand::None => Vec::new(),
            Operand::Ints(v) => v.iter().map(|i| Value::BigInt(Some(*i))).collect(),
            Operand::Texts(v) => v.iter().map(|s| s.clone().into()).collect(),
            Operand::Ids(v) => v.iter().map(|i| uuid(*i)).collect(),
        };
        let mut vs = values.into_iter();
        let mut one = |b: &mut Self| b.bind(vs.next().unwrap_or(Value::BigInt(None)));
        let test = match p.op {
            Op::Exists => return format!("{col} IS NOT NULL"),
            Op::NotExists => return format!("{col} IS NULL"),
            Op::Ne => format!("{col} <> {}", one(self)),
            Op::NotIn => {
                let rest: Vec<Value> = vs.collect();
                format!("{col} NOT IN ({})", self.list(rest))
            }
            Op::Eq => format!("{col} = {}", one(self)),
            Op::In => {
                let rest: Vec<Value> = vs.collect();
                format!("{col} IN ({})", self.list(rest))
            }
            Op::Gt => format!("{col} > {}", one(self)),
            Op::Gte => format!("{col} >= {}", one(self)),
            Op::Lt => format!("{col} < {}", one(self)),
            Op::Lte => format!("{col} <= {}", one(self)),
            Op::Between => {
                let lo = one(self);
                let hi = one(self);
                format!("{col} BETWEEN {lo} AND {hi}")
            }
            Op::WithinLastDays => {
                let days = match &p.operand {
                    Operand::Ints(d) => d.first().copied().unwrap_or(0),
                    _ => 0,
                };
                let since = self.now_ms - days * 86_400_000;
                format!("{col} >= {}", self.bind(Value::BigInt(Some(since))))
            }
            // Only birthdays take it (checked); handled above.
            Op::WithinNextDays => "1 = 0".into(),
        };
        match (nullable, p.op) {
            (false, _) => test,
            (true, Op::Ne | Op::NotIn) => format!("({col} IS NULL OR {test})"),
            (true, _) => format!("({col} IS NOT NULL AND {test})"),
        }
    }

    /// Birthdays are "YYYY-MM-DD" or empty; "within the next N days" compares month-days of
    /// the Asia/Shanghai calendar from today on.
    fn birthday(&mut self, p: &Predicate) -> String {
        match p.op {
            Op::Exists => "m.birthday <> ''".into(),
            Op::NotExists => "m.birthday = ''".into(),
            _ => {
                let days = match &p.operand {
                    Operand::Ints(d) => d.first().copied().unwrap_or(0),
                    _ => 0,
                };
                let Some(today) = chrono::DateTime::from_timestamp_millis(self.now_ms)
                    .zip(FixedOffset::east_opt(8 * 3600))
                    .map(|(t, tz)| t.with_timezone(&tz).date_naive())
                else {
                    return "1 = 0".into();
                };
                let mut days_md: Vec<Value> = (0..=days)
                    .map(|d| {
                        let day = today + Duration::days(d);
                        format!("{:02}-{:02}", day.month(), day.day()).into()
                    })
                    .collect();
                days_md.dedup();
                format!(
                    "(m.birthday <> '' AND SUBSTR(m.birthday, 6, 5) IN ({}))",
                    self.list(days_md)
                )
            }
        }
    }
}

/// Compiles `target` for `backend`: the active members of `tenant` it matches.
pub fn compile(
    backend: DbBackend,
    tenant: TenantId,
    target: &Target<'_>,
) -> Result<Compiled, AppError> {
    let mut b = Builder {
        backend,
        values: vec![uuid(tenant.0)],
        balances: false,
        tier: false,
        guide: false,
        entry_tier: target.entry_tier.clone(),
        now_ms: target.now_ms,
    };
    let status = b.bind(MemberStatus::Active.number().into());
    let mut conditions = vec!["m.tenant = $1".to_owned(), format!("m.status = {status}")];
    if let Some(store) = target.store {
        conditions.push(format!("m.home_store_id = {}", b.bind(uuid(store))));
    }
    match target.scope {
        Scope::All => {}
        Scope::Stores(stores) if stores.is_empty() => conditions.push("1 = 0".into()),
        Scope::Stores(stores) => {
            let marks = b.list(stores.iter().map(|s| uuid(*s)).collect());
            conditions.push(format!("m.home_store_id IN ({marks})"));
        }
        Scope::Guide(me) => {
            b.guide = true;
            conditions.push(format!("g.guide_id = {}", b.bind(uuid(*me))));
        }
    }
    conditions.push(b.node(target.expr)?);
    let mut from = "FROM mem_members m".to_owned();
    if b.balances {
        from.push_str(" LEFT JOIN mem_balances b ON b.tenant = m.tenant AND b.member_id = m.id");
    }
    if b.tier {
        from.push_str(
            " LEFT JOIN mem_member_tiers t ON t.tenant = m.tenant AND t.member_id = m.id",
        );
    }
    if b.guide {
        from.push_str(
            " LEFT JOIN mem_guide_bindings g ON g.tenant = m.tenant AND g.member_id = m.id \
             AND g.unbound_at_ms IS NULL",
        );
    }
    Ok(Compiled {
        from_where: format!("{from} WHERE {}", conditions.join(" AND ")),
        values: b.values,
    })
}
