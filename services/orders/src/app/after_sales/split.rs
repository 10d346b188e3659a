//! What a case refunds, per line and in total. For a line of quantity Q paid with cash C,
//! stored value S and points P, of which q0 units are already taken (refunded, or in other open
//! cases) with (c0, s0, p0), q more units get floor(C·q/Q), floor(S·q/Q), floor(P·q/Q) — except
//! the units that finish the line, which get the exact remainder C − c0, S − s0, P − p0. So the
//! refunds of a line add up to at most what was paid, and to exactly that once every unit is
//! back. A lower requested amount scales every part down (floors).

use uuid::Uuid;

use super::AfterSaleError;
use super::model::CaseLine;

/// What one order line paid and what of it is already taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineFunds {
    /// The order line.
    pub line_id: Uuid,
    /// Its position.
    pub line_no: i32,
    /// Units bought.
    pub quantity: i32,
    /// Cash paid for the line, fen.
    pub cash_fen: i64,
    /// Stored value paid for the line, fen.
    pub stored_value_fen: i64,
    /// Points used on the line.
    pub points: i64,
    /// Units refunded or in open cases.
    pub taken_quantity: i32,
    /// Of those, units in open cases.
    pub open_quantity: i32,
    /// Their cash, fen.
    pub taken_cash_fen: i64,
    /// Their stored value, fen.
    pub taken_stored_value_fen: i64,
    /// Their points.
    pub taken_points: i64,
}

impl LineFunds {
    /// Units that can still go into a case.
    pub fn refundable_quantity(&self) -> i32 {
        (self.quantity - self.taken_quantity).max(0)
    }

    /// The refund of `q` more units (see the module docs).
    pub fn split(&self, q: i32) -> CaseLine {
        let (cash, sv, points) = if self.taken_quantity + q >= self.quantity {
            (
                self.cash_fen - self.taken_cash_fen,
                self.stored_value_fen - self.taken_stored_value_fen,
                self.points - self.taken_points,
            )
        } else {
            let part = |total: i64| floor_ratio(total, i64::from(q), i64::from(self.quantity));
            (
                part(self.cash_fen),
                part(self.stored_value_fen),
                part(self.points),
            )
        };
        CaseLine {
            order_line_id: self.line_id,
            line_no: self.line_no,
            quantity: q,
            cash_fen: cash.max(0),
            stored_value_fen: sv.max(0),
            points: points.max(0),
        }
    }
}

/// floor(total · num / den) without overflow.
pub fn floor_ratio(total: i64, num: i64, den: i64) -> i64 {
    if den <= 0 {
        return 0;
    }
    i64::try_from(i128::from(total) * i128::from(num) / i128::from(den)).unwrap_or(i64::MAX)
}

/// What a case would refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computed {
    /// The lines.
    pub lines: Vec<CaseLine>,
    /// Shipping refunded with it, fen.
    pub shipping_fen: i64,
    /// Σ cash + stored value + shipping, fen.
    pub refund_fen: i64,
    /// Σ points.
    pub points: i64,
    /// Whether it takes everything left on the order.
    pub full_refund: bool,
}

/// The refund of `asked` (line, units) over `funds`; empty `asked` = everything refundable.
/// `shipping_left_fen` is refunded with a case that takes every remaining unit when
/// `shipping_with_full`; `requested_fen` scales the result down.
pub fn compute(
    funds: &[LineFunds],
    asked: &[(Uuid, i32)],
    shipping_left_fen: i64,
    shipping_with_full: bool,
    requested_fen: Option<i64>,
) -> Result<Computed, AfterSaleError> {
    let asked: Vec<(Uuid, i32)> = if asked.is_empty() {
        funds
            .iter()
            .filter(|f| f.refundable_quantity() > 0)
            .map(|f| (f.line_id, f.refundable_quantity()))
            .collect()
    } else {
        asked.to_vec()
    };
    if asked.is_empty() {
        return Err(AfterSaleError::ExceedsQuantity {
            line: funds.first().map(|f| f.line_id).unwrap_or_default(),
            refundable: 0,
        });
    }
    let mut lines = Vec::with_capacity(asked.len());
    for (line_id, q) in &asked {
        let f = funds
            .iter()
            .find(|f| f.line_id == *line_id)
            .ok_or(AfterSaleError::OrderLineNotFound(*line_id))?;
        if *q > f.refundable_quantity() {
            return Err(AfterSaleError::ExceedsQuantity {
                line: *line_id,
                refundable: f.refundable_quantity(),
            });
        }
        lines.push(f.split(*q));
    }
    lines.sort_by_key(|l| l.line_no);
    let takes_rest = funds.iter().all(|f| {
        let q = asked
            .iter()
            .find(|(id, _)| *id == f.line_id)
            .map_or(0, |(_, q)| *q);
        f.taken_quantity + q == f.quantity
    });
    let mut shipping_fen = if takes_rest && shipping_with_full {
        shipping_left_fen.max(0)
    } else {
        0
    };
    let max: i64 = lines
        .iter()
        .map(|l| l.cash_fen + l.stored_value_fen)
        .sum::<i64>()
        + shipping_fen;
    let mut scaled = false;
    if let Some(requested) = requested_fen {
        if requested > max {
            return Err(AfterSaleError::ExceedsAmount {
                line: None,
                refundable_fen: max,
            });
        }
        if requested < max {
            scaled = true;
            for l in &mut lines {
                l.cash_fen = floor_ratio(l.cash_fen, requested, max);
                l.stored_value_fen = floor_ratio(l.stored_value_fen, requested, max);
                l.points = floor_ratio(l.points, requested, max);
            }
            shipping_fen = floor_ratio(shipping_fen, requested, max);
        }
    }
    let refund_fen = lines
        .iter()
        .map(|l| l.cash_fen + l.stored_value_fen)
        .sum::<i64>()
        + shipping_fen;
    Ok(Computed {
        points: lines.iter().map(|l| l.points).sum(),
        lines,
        shipping_fen,
        refund_fen,
        full_refund: takes_rest && funds.iter().all(|f| f.open_quantity == 0) && !scaled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(q: i32, cash: i64, sv: i64, points: i64) -> LineFunds {
        LineFunds {
            line_id: Uuid::from_u128(1),
            line_no: 0,
            quantity: q,
            cash_fen: cash,
            stored_value_fen: sv,
            points,
            ..LineFunds::default()
        }
    }

    #[test]
    fn units_split_by_floor_and_the_last_takes_the_remainder() {
        let mut f = line(3, 1000, 101, 50);
        let a = f.split(1);
        assert_eq!((a.cash_fen, a.stored_value_fen, a.points), (333, 33, 16));
        f.taken_quantity = 1;
        f.taken_cash_fen = a.cash_fen;
        f.taken_stored_value_fen = a.stored_value_fen;
        f.taken_points = a.points;
        let b = f.split(2);
        assert_eq!((b.cash_fen, b.stored_value_fen, b.points), (667, 68, 34));
        assert_eq!(a.cash_fen + b.cash_fen, 1000);
    }

    #[test]
    fn more_than_refundable_is_refused_with_what_is_left() {
        let mut f = line(2, 500, 0, 0);
        f.taken_quantity = 1;
        let err = compute(&[f], &[(f.line_id, 2)], 0, true, None).unwrap_err();
        assert!(matches!(
            err,
            AfterSaleError::ExceedsQuantity { refundable: 1, .. }
        ));
    }

    #[test]
    fn everything_before_shipment_includes_shipping_and_is_full() {
        let f = line(2, 500, 0, 0);
        let c = compute(&[f], &[], 800, true, None).unwrap();
        assert_eq!(
            (c.refund_fen, c.shipping_fen, c.full_refund),
            (1300, 800, true)
        );
    }

    #[test]
    fn a_lower_amount_scales_down_and_is_not_full() {
        let f = line(1, 1000, 0, 100);
        let c = compute(&[f], &[], 0, true, Some(500)).unwrap();
        assert_eq!((c.refund_fen, c.points, c.full_refund), (500, 50, false));
        assert!(compute(&[f], &[], 0, true, Some(1001)).is_err());
    }
}
