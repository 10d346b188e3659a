//! SegmentService on the wire: expressions, segments and snapshots parsed and converted, and
//! the handlers of saved segments (`segments/admin.rs`) and of evaluation (`segments/evaluation.rs`).

use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::segment_expression::Node;
use siyu_proto::time::timestamp_ms;
use uuid::Uuid;

use super::convert::text;
use crate::AppError;
use crate::app::segments::expression::{Expr, MAX_DEPTH};
use crate::app::segments::{Segment, Snapshot};

pub(super) mod admin;
pub(super) mod evaluation;

fn bad(field: &str, why: &str) -> AppError {
    AppError::InvalidSegmentExpression {
        field: field.to_owned(),
        why: why.to_owned(),
    }
}

/// An expression from the wire at `field`, checked whole (depth, size, attributes).
pub(super) fn expression(field: &str, e: Option<&pb::SegmentExpression>) -> Result<Expr, AppError> {
    let expr = node(field, e, 1)?;
    expr.check(field)?;
    Ok(expr)
}

fn node(field: &str, e: Option<&pb::SegmentExpression>, depth: usize) -> Result<Expr, AppError> {
    let Some(n) = e.and_then(|e| e.node.as_ref()) else {
        return Err(bad(field, "required"));
    };
    if depth > MAX_DEPTH {
        return Err(bad(
            field,
            &format!("nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    Ok(match n {
        Node::AllOf(l) | Node::AnyOf(l) => {
            let name = if matches!(n, Node::AllOf(_)) {
                "all_of"
            } else {
                "any_of"
            };
            let list = l
                .expressions
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    node(
                        &format!("{field}.{name}.expressions[{i}]"),
                        Some(x),
                        depth + 1,
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            if name == "all_of" {
                Expr::AllOf(list)
            } else {
                Expr::AnyOf(list)
            }
        }
        Node::Negate(x) => Expr::Negate(Box::new(node(
            &format!("{field}.negate"),
            Some(x),
            depth + 1,
        )?)),
        Node::Tag(t) => Expr::Tag {
            tag_ids: t
                .tag_ids
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    Uuid::parse_str(v)
                        .map_err(|_| bad(&format!("{field}.tag.tag_ids[{i}]"), "must be a UUID"))
                })
                .collect::<Result<_, _>>()?,
            match_all: t.match_all,
        },
        Node::Attribute(a) => Expr::Attribute {
            attribute: a.attribute.clone(),
            operator: a.operator,
            values: a.values.clone(),
        },
    })
}

/// An expression on the wire.
pub(super) fn expression_to_wire(e: &Expr) -> pb::SegmentExpression {
    let list = |l: &[Expr]| pb::SegmentExpressionList {
        expressions: l.iter().map(expression_to_wire).collect(),
    };
    let node = match e {
        Expr::AllOf(l) => Node::AllOf(list(l)),
        Expr::AnyOf(l) => Node::AnyOf(list(l)),
        Expr::Negate(x) => Node::Negate(Box::new(expression_to_wire(x))),
        Expr::Tag { tag_ids, match_all } => Node::Tag(pb::TagCondition {
            tag_ids: tag_ids.iter().map(ToString::to_string).collect(),
            match_all: *match_all,
        }),
        Expr::Attribute {
            attribute,
            operator,
            values,
        } => Node::Attribute(pb::AttributeCondition {
            attribute: attribute.clone(),
            operator: *operator,
            values: values.clone(),
        }),
    };
    pb::SegmentExpression { node: Some(node) }
}

/// A segment name: 1..50 characters, not blank.
pub(super) fn name(field: &str, value: &str) -> Result<String, AppError> {
    if value.trim().is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    text(field, value, 50)
}

/// A segment description: 0..200 characters.
pub(super) fn description(field: &str, value: &str) -> Result<String, AppError> {
    text(field, value, 200)
}

impl From<&Segment> for pb::Segment {
    fn from(s: &Segment) -> Self {
        Self {
            segment_id: s.id.0.to_string(),
            name: s.name.clone(),
            description: s.description.clone(),
            expression: Some(expression_to_wire(&s.expression)),
            scope_store_id: s.scope_store_id.map(|i| i.to_string()).unwrap_or_default(),
            last_count: i32::try_from(s.last_count).unwrap_or(i32::MAX),
            last_evaluated_at: s.last_evaluated_at_ms.map(timestamp_ms),
            archived: s.archived,
            updated_at: Some(timestamp_ms(s.updated_at_ms)),
        }
    }
}

impl From<&Snapshot> for pb::SegmentSnapshot {
    fn from(s: &Snapshot) -> Self {
        Self {
            snapshot_id: s.id.0.to_string(),
            segment_id: s.segment_id.0.to_string(),
            // Snapshots are written whole in their evaluation's transaction.
            ready: true,
            member_count: i32::try_from(s.member_count).unwrap_or(i32::MAX),
            created_at: Some(timestamp_ms(s.created_at_ms)),
            expires_at: Some(timestamp_ms(s.expires_at_ms)),
        }
    }
}
