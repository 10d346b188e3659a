//! A segment's expression: a tree of all-of / any-of / not over tag and attribute conditions,
//! stored as JSON in the wire's shape and checked as a whole before it is saved or run.
//!
//! [`Expr::check`] refuses a tree deeper than [`MAX_DEPTH`] or with more than
//! [`MAX_CONDITIONS`] conditions, and parses every attribute condition into a [`Predicate`]
//! (attribute, operator and operands that fit each other); the repo compiles predicates into
//! one SQL condition. Each refusal names the proto path of the node at fault.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppError;

/// Deepest nesting: the root is level 1.
pub const MAX_DEPTH: usize = 5;
/// Most conditions (tag and attribute leaves) in one expression.
pub const MAX_CONDITIONS: usize = 50;
/// Most sub-expressions of one all-of / any-of.
pub const MAX_CHILDREN: usize = 20;
/// Most tags of one tag condition, and most values of one attribute condition.
pub const MAX_VALUES: usize = 20;

/// A node of a segment expression, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expr {
    /// Every sub-expression holds.
    AllOf(Vec<Expr>),
    /// Some sub-expression holds.
    AnyOf(Vec<Expr>),
    /// The sub-expression does not hold.
    Negate(Box<Expr>),
    /// The member carries all (`match_all`) or any of the tags.
    Tag {
        /// The tags.
        tag_ids: Vec<Uuid>,
        /// All rather than any.
        match_all: bool,
    },
    /// A member attribute compared with operands.
    Attribute {
        /// The attribute name.
        attribute: String,
        /// The `SegmentOperator` number.
        operator: i32,
        /// The operands as the wire gives them.
        values: Vec<String>,
    },
}

/// Comparison operators (`SegmentOperator` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `= v`.
    Eq,
    /// `<> v`.
    Ne,
    /// Any of.
    In,
    /// None of.
    NotIn,
    /// `> v`.
    Gt,
    /// `>= v`.
    Gte,
    /// `< v`.
    Lt,
    /// `<= v`.
    Lte,
    /// `v0 <= x <= v1`.
    Between,
    /// Within the last N days.
    WithinLastDays,
    /// Month-day within the next N days.
    WithinNextDays,
    /// Has a value.
    Exists,
    /// Has none.
    NotExists,
}

impl Op {
    fn from_number(n: i32) -> Option<Self> {
        Some(match n {
            1 => Self::Eq,
            2 => Self::Ne,
            3 => Self::In,
            4 => Self::NotIn,
            5 => Self::Gt,
            6 => Self::Gte,
            7 => Self::Lt,
            8 => Self::Lte,
            9 => Self::Between,
            10 => Self::WithinLastDays,
            11 => Self::WithinNextDays,
            12 => Self::Exists,
            13 => Self::NotExists,
            _ => return None,
        })
    }
}

/// What an attribute is, for the operators and operands it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attr {
    /// The tier held (entry tier without a row).
    TierCode,
    /// `mem_members.growth_value`.
    GrowthValue,
    /// Enrolment time.
    EnrolledAt,
    /// The enrolment channel number.
    EnrolmentChannel,
    /// Home store.
    HomeStoreId,
    /// Current guide.
    GuideId,
    /// Birthday.
    Birthday,
    /// Available points.
    PointsAvailable,
    /// Stored value available (principal + bonus), fen.
    StoredValueAvailable,
    /// The inviter.
    InviterMemberId,
    /// A custom attribute (`attributes.<key>`), compared as text.
    Custom(String),
}

/// The operands of a parsed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// No operand (EXISTS, NOT_EXISTS).
    None,
    /// Integers (also times as epoch ms, day counts).
    Ints(Vec<i64>),
    /// Texts.
    Texts(Vec<String>),
    /// Ids.
    Ids(Vec<Uuid>),
}

/// An attribute condition that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predicate {
    /// The attribute.
    pub attr: Attr,
    /// The operator.
    pub op: Op,
    /// The operands.
    pub operand: Operand,
}

/// Attributes of the contract that need order or paid-membership data membership does not keep
/// yet: refused rather than evaluated wrongly.
const NOT_YET: [&str; 6] = [
    "paid_member",
    "points_expiring_30d",
    "order_count_365d",
    "paid_amount_365d",
    "last_order_at",
    "coupon_available_count",
];

fn bad(field: &str, why: impl Into<String>) -> AppError {
    AppError::InvalidSegmentExpression {
        field: field.to_owned(),
        why: why.into(),
    }
}

impl Expr {
    /// Checks the whole tree (`field` is the proto path of the root) and counts its conditions.
    pub fn check(&self, field: &str) -> Result<(), AppError> {
        let mut conditions = 0;
        self.check_at(field, 1, &mut conditions)
    }

    fn check_at(&self, field: &str, depth: usize, conditions: &mut usize) -> Result<(), AppError> {
        if depth > MAX_DEPTH {
            return Err(bad(field, format!("nested deeper than {MAX_DEPTH} levels")));
        }
        match self {
            Self::AllOf(list) | Self::AnyOf(list) => {
                let name = if matches!(self, Self::AllOf(_)) {
                    "all_of"
                } else {
                    "any_of"
                };
                if list.is_empty() || list.len() > MAX_CHILDREN {
                    return Err(bad(
                        &format!("{field}.{name}.expressions"),
                        format!("1 to {MAX_CHILDREN} sub-expressions"),
                    ));
                }
                for (i, e) in list.iter().enumerate() {
                    let at = format!("{field}.{name}.expressions[{i}]");
                    e.check_at(&at, depth + 1, conditions)?;
                }
                Ok(())
            }
            Self::Negate(e) => e.check_at(&format!("{field}.negate"), depth + 1, conditions),
            Self::Tag { tag_ids, .. } => {
                count(field, conditions)?;
                if tag_ids.is_empty() || tag_ids.len() > MAX_VALUES {
                    return Err(bad(
                        &format!("{field}.tag.tag_ids"),
                        format!("1 to {MAX_VALUES} tags"),
                    ));
                }
                Ok(())
            }
            Self::Attribute { .. } => {
                count(field, conditions)?;
                self.predicate(field).map(|_| ())
            }
        }
    }

    /// Every tag id the tree names, with the proto path of its tag condition.
    pub fn tags(&self, field: &str, out: &mut Vec<(Uuid, String)>) {
        match self {
            Self::AllOf(list) | Self::AnyOf(list) => {
                let name = if matches!(self, Self::AllOf(_)) {
                    "all_of"
                } else {
                    "any_of"
                };
                for (i, e) in list.iter().enumerate() {
                    e.tags(&format!("{field}.{name}.expressions[{i}]"), out);
                }
            }
            Self::Negate(e) => e.tags(&format!("{field}.negate"), out),
            Self::Tag { tag_ids, .. } => {
                for (i, t) in tag_ids.iter().enumerate() {
                    out.push((*t, format!("{field}.tag.tag_ids[{i}]")));
                }
            }
            Self::Attribute { .. } => {}
        }
    }

    /// The parsed condition of an attribute node (relative operators such as WITHIN_LAST_DAYS
    /// keep their day counts: they are resolved against "now" when compiled).
    pub fn predicate(&self, field: &str) -> Result<Predicate, AppError> {
        let Self::Attribute {
            attribute,
            operator,
            values,
        } = self
        else {
            return Err(AppError::Internal("not an attribute condition".into()));
        };
        let field = format!("{field}.attribute");
        let attr = attr(&field, attribute)?;
        let op = Op::from_number(*operator)
            .ok_or_else(|| bad(&format!("{field}.operator"), "required"))?;
        let vfield = format!("{field}.values");
        if values.len() > MAX_VALUES {
            return Err(bad(&vfield, format!("at most {MAX_VALUES} values")));
        }
        let arity_ok = match op {
            Op::Exists | Op::NotExists => values.is_empty(),
            Op::In | Op::NotIn => !values.is_empty(),
            Op::Between => values.len() == 2,
            _ => values.len() == 1,
        };
        if !arity_ok {
            let want = match op {
                Op::Exists | Op::NotExists => "no values",
                Op::In | Op::NotIn => "1 or more values",
                Op::Between => "exactly 2 values",
                _ => "exactly 1 value",
            };
            return Err(bad(&vfield, format!("{op:?} takes {want}")));
        }
        let not_for = |what: &str| {
            bad(
                &format!("{field}.operator"),
                format!("{op:?} is not valid for {what}"),
            )
        };
        use Op::*;
        let operand = match &attr {
            Attr::GrowthValue | Attr::PointsAvailable | Attr::StoredValueAvailable => match op {
                Eq | Ne | In | NotIn | Gt | Gte | Lt | Lte | Between => {
                    Operand::Ints(ints(&vfield, values)?)
                }
                _ => return Err(not_for(attribute)),
            },
            Attr::EnrolmentChannel => match op {
                Eq | Ne | In | NotIn => Operand::Ints(ints(&vfield, values)?),
                _ => return Err(not_for(attribute)),
            },
            Attr::EnrolledAt => match op {
                Gt | Gte | Lt | Lte | Between => Operand::Ints(
                    values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| time(&format!("{vfield}[{i}]"), v))
                        .collect::<Result<_, _>>()?,
                ),
                WithinLastDays => Operand::Ints(days(&vfield, values, 3660)?),
                _ => return Err(not_for(attribute)),
            },
            Attr::HomeStoreId | Attr::GuideId | Attr::InviterMemberId => match op {
                Eq | Ne | In | NotIn => Operand::Ids(
                    values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            Uuid::parse_str(v)
                                .map_err(|_| bad(&format!("{vfield}[{i}]"), "must be a UUID"))
                        })
                        .collect::<Result<_, _>>()?,
                ),
                Exists | NotExists => Operand::None,
                _ => return Err(not_for(attribute)),
            },
            Attr::TierCode | Attr::Custom(_) => match op {
                Exists | NotExists => Operand::None,
                WithinLastDays | WithinNextDays => return Err(not_for(attribute)),
                Gt | Gte | Lt | Lte | Between if attr == Attr::TierCode => {
                    return Err(not_for(attribute));
                }
                _ => Operand::Texts(texts(&vfield, values)?),
            },
            Attr::Birthday => match op {
                Exists | NotExists => Operand::None,
                WithinNextDays => Operand::Ints(days(&vfield, values, 366)?),
                _ => return Err(not_for(attribute)),
            },
        };
        Ok(Predicate { attr, op, operand })
    }
}

fn count(field: &str, conditions: &mut usize) -> Result<(), AppError> {
    *conditions += 1;
    if *conditions > MAX_CONDITIONS {
        return Err(bad(field, format!("more than {MAX_CONDITIONS} conditions")));
    }
    Ok(())
}

fn attr(field: &str, name: &str) -> Result<Attr, AppError> {
    Ok(match name {
        "tier_code" => Attr::TierCode,
        "growth_value" => Attr::GrowthValue,
        "enrolled_at" => Attr::EnrolledAt,
        "enrolment_channel" => Attr::EnrolmentChannel,
        "home_store_id" => Attr::HomeStoreId,
        "guide_id" => Attr::GuideId,
        "birthday" => Attr::Birthday,
        "points_available" => Attr::PointsAvailable,
        "stored_value_available" => Attr::StoredValueAvailable,
        "inviter_member_id" => Attr::InviterMemberId,
        n if NOT_YET.contains(&n) => {
            return Err(bad(field, format!("attribute {n} is not available yet")));
        }
        n => match n.strip_prefix("attributes.") {
            Some(key)
                if (1..=64).contains(&key.len())
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
            {
                Attr::Custom(key.to_owned())
            }
            _ if n.is_empty() => return Err(bad(field, "required")),
            _ => return Err(bad(field, format!("unknown attribute {n}"))),
        },
    })
}

fn ints(field: &str, values: &[String]) -> Result<Vec<i64>, AppError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.parse::<i64>()
                .map_err(|_| bad(&format!("{field}[{i}]"), "must be a decimal integer"))
        })
        .collect()
}

fn days(field: &str, values: &[String], max: i64) -> Result<Vec<i64>, AppError> {
    let n = ints(field, values)?;
    if n.iter().any(|d| !(0..=max).contains(d)) {
        return Err(bad(
            &format!("{field}[0]"),
            format!("must be within 0..={max}"),
        ));
    }
    Ok(n)
}

fn texts(field: &str, values: &[String]) -> Result<Vec<String>, AppError> {
    for (i, v) in values.iter().enumerate() {
        if v.chars().count() > 200 {
            return Err(bad(&format!("{field}[{i}]"), "at most 200 characters"));
        }
    }
    Ok(values.to_vec())
}

/// A time operand as epoch ms: RFC 3339, or a date meaning 00:00 Asia/Shanghai that day.
fn time(field: &str, value: &str) -> Result<i64, AppError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.timestamp_millis());
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| {
            chrono::FixedOffset::east_opt(8 * 3600)
                .and_then(|tz| tz.from_local_datetime(&d.and_time(NaiveTime::MIN)).single())
        })
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| bad(field, "must be an RFC 3339 time or a date YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(name: &str, op: i32, values: &[&str]) -> Expr {
        Expr::Attribute {
            attribute: name.into(),
            operator: op,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    fn why(e: &Expr) -> (String, String) {
        match e.check("expression") {
            Err(AppError::InvalidSegmentExpression { field, why }) => (field, why),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn depth_and_size_are_limited() {
        let mut e = attr("growth_value", 5, &["1"]);
        for _ in 0..4 {
            e = Expr::Negate(Box::new(e));
        }
        assert!(e.check("expression").is_ok());
        let deeper = Expr::Negate(Box::new(e));
        let (field, reason) = why(&deeper);
        assert_eq!(field, "expression.negate.negate.negate.negate.negate");
        assert!(reason.contains("deeper than 5"));
        let wide = Expr::AllOf(vec![attr("growth_value", 5, &["1"]); 21]);
        assert_eq!(why(&wide).0, "expression.all_of.expressions");
        let many = Expr::AllOf(vec![
            Expr::AnyOf(vec![attr("growth_value", 5, &["1"]); 20]);
            3
        ]);
        assert!(why(&many).1.contains("more than 50"));
    }

    #[test]
    fn operators_must_fit_their_attribute() {
        let (f, w) = why(&attr("birthday", 5, &["2000-01-01"]));
        assert_eq!(f, "expression.attribute.operator");
        assert!(w.contains("not valid for birthday"), "{w}");
        assert!(
            why(&attr("nope", 1, &["x"]))
                .1
                .contains("unknown attribute")
        );
        assert!(
            why(&attr("order_count_365d", 5, &["1"]))
                .1
                .contains("not available")
        );
        assert_eq!(
            why(&attr("growth_value", 9, &["1"])).0,
            "expression.attribute.values"
        );
        assert_eq!(
            why(&attr("growth_value", 5, &["x"])).0,
            "expression.attribute.values[0]"
        );
        assert!(
            attr("enrolled_at", 9, &["2025-01-01", "2025-06-01T00:00:00Z"])
                .check("e")
                .is_ok()
        );
        assert!(
            attr("attributes.skin", 3, &["dry", "oily"])
                .check("e")
                .is_ok()
        );
    }
}
