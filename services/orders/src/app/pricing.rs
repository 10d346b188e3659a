//! The one pricing function of orders, shared by Quote and Checkout so that a checkout charges
//! exactly what was quoted: [`price`] takes goods as catalog priced them, the member's coupons
//! as membership judged them, points, stored value and the fulfilment, and answers every step
//! LIST → MEMBER_PRICE → PROMOTION → COUPON → POINTS → STORED_VALUE → SHIPPING → PAYABLE with
//! each adjustment split over the lines (`allocation`). Pure and deterministic: no clock, no
//! I/O, integer fen only.
//!
//! Within one step adjustments act one after another, each split pro rata to the lines' amounts
//! left by the previous one (for the first, the amounts before the step); so stacked coupons
//! never take a line below zero. Coupon thresholds are measured on the amounts before the
//! COUPON step, as membership measures them.

use std::collections::HashSet;

use self::coupons::{CouponLine, Unusable};
use self::input::{CouponKind, FulfilmentMode, Goods, GoodsLine, MemberCoupon, PlanLine};
use self::quote::{
    AdjustmentKind, CouponOption, LineAllocation, Notice, PriceAdjustment, PriceAmounts, PriceStep,
    PricedLine, Quote, ShippingQuote, StepKind,
};

pub use self::input::PricingInput;

pub mod allocation;
pub mod coupons;
pub mod input;
pub mod points;
pub mod quote;
pub mod shipping;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;

/// An amount of CNY in fen.
pub type Fen = i64;

/// Most lines an order may have.
pub const MAX_LINES: usize = 50;
/// Most units of one line.
pub const MAX_QUANTITY: i32 = 999;
/// Highest unit price accepted (¥100,000,000), so that no sum of an order can overflow.
pub const MAX_UNIT_FEN: Fen = 10_000_000_000;
/// Most usable coupons auto-selection combines (the best by their discount alone); 2^12
/// combinations is still quick.
pub const MAX_AUTO_CANDIDATES: usize = 12;

/// Input the pricing function cannot price; the handlers validate first, so these name what
/// slipped through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// No goods line, or more than [`MAX_LINES`].
    #[error("an order has 1..={MAX_LINES} lines")]
    LineCount,
    /// A line's quantity or prices are out of range, or its SKU repeats.
    #[error("line {sku_id}: {reason}")]
    InvalidLine {
        /// The SKU.
        sku_id: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Goods need a fulfilment.
    #[error("goods need a fulfilment")]
    FulfilmentRequired,
    /// Points or stored value asked for below zero.
    #[error("{0} must not be negative")]
    Negative(&'static str),
    /// Stored value asked for while the tenant does not accept it.
    #[error("stored value is disabled")]
    StoredValueDisabled,
    /// A plan priced with something only goods take (the field).
    #[error("{0} must be unset for a plan")]
    NotForPlans(&'static str),
}

/// Prices `input`. See the module docs and `siyu.orders.v1.Quote`.
pub fn price(input: &PricingInput) -> Result<Quote, PricingError> {
    if input.points.requested < 0 {
        return Err(PricingError::Negative("points_to_use"));
    }
    if input.stored_value.requested < 0 {
        return Err(PricingError::Negative("stored_value_to_use"));
    }
    match &input.goods {
        Goods::Plan(plan) => plan_quote(input, plan),
        Goods::Lines(lines) => goods_quote(input, lines),
    }
}

/// The single line of a top-up or paid plan: its price, nothing off, paid in cash.
fn plan_quote(input: &PricingInput, plan: &PlanLine) -> Result<Quote, PricingError> {
    if input.fulfilment.is_some() {
        return Err(PricingError::NotForPlans("fulfilment"));
    }
    if !input.coupon_ids.is_empty() {
        return Err(PricingError::NotForPlans("coupon_ids"));
    }
    if input.auto_select_coupons {
        return Err(PricingError::NotForPlans("auto_select_coupons"));
    }
    if input.points.requested > 0 {
        return Err(PricingError::NotForPlans("points_to_use"));
    }
    if input.stored_value.requested > 0 {
        return Err(PricingError::NotForPlans("stored_value_to_use"));
    }
    if !(0..=MAX_UNIT_FEN).contains(&plan.price) {
        return Err(PricingError::InvalidLine {
            sku_id: String::new(),
            reason: "price out of range",
        });
    }
    let p = plan.price;
    let line = PricedLine {
        title: plan.title.clone(),
        image_url: plan.image_url.clone(),
        quantity: 1,
        list_unit_price: p,
        unit_price: p,
        list_subtotal: p,
        subtotal: p,
        net_amount: p,
        cash_amount: p,
        plan_id: plan.plan_id.clone(),
        ..PricedLine::default()
    };
    let amounts = PriceAmounts {
        goods_list_total: p,
        goods_total: p,
        goods_net_total: p,
        payable: p,
        ..PriceAmounts::default()
    };
    Ok(Quote {
        lines: vec![line],
        steps: steps(&amounts, Vec::new(), Vec::new()),
        amounts,
        shipping: ShippingQuote {
            deliverable: true,
            ..ShippingQuote::default()
        },
        points: points::quote(&input.points, 0).0,
        ..Quote::default()
    })
}

/// A line while it is being priced.
#[derive(Debug, Clone)]
struct Work {
    list_subtotal: Fen,
    subtotal: Fen,
    promotion: Fen,
    coupon: Fen,
    points_fen: Fen,
    points: i64,
    stored_value: Fen,
    allocations: Vec<LineAllocation>,
}

impl Work {
    /// The amount after promotions and coupons.
    fn net(&self) -> Fen {
        self.subtotal - self.promotion - self.coupon
    }

    /// What is left to pay after points and stored value.
    fn left(&self) -> Fen {
        self.net() - self.points_fen - self.stored_value
    }
}

/// Which running amount of a line an adjustment lowers.
#[derive(Debug, Clone, Copy)]
enum Bucket {
    Promotion,
    Coupon,
    StoredValue,
}

/// Splits `adj` over `lines` by `weights` and books the shares.
fn book(lines: &mut [Work], adj: &PriceAdjustment, weights: &[Fen], bucket: Bucket) {
    let shares = allocation::allocate(adj.amount, weights);
    for (line, share) in lines.iter_mut().zip(shares) {
        if share == 0 {
            continue;
        }
        match bucket {
            Bucket::Promotion => line.promotion += share,
            Bucket::Coupon => line.coupon += share,
            Bucket::StoredValue => line.stored_value += share,
        }
        line.allocations.push(LineAllocation {
            kind: adj.kind,
            source_id: adj.source_id.clone(),
            amount: share,
            points: 0,
        });
    }
}

/// The goods up to the PROMOTION step, which no coupon choice changes.
#[derive(Debug, Clone)]
struct Base {
    lines: Vec<Work>,
    promotions: Vec<PriceAdjustment>,
    fee: shipping::Fee,
}

/// Everything after the PROMOTION step for one choice of coupons.
#[derive(Debug, Clone)]
struct Settled {
    lines: Vec<Work>,
    /// (index of the coupon in the input, its adjustment), in application order.
    coupons: Vec<(usize, PriceAdjustment)>,
    points: quote::PointsQuote,
    points_adjustment: Option<PriceAdjustment>,
    stored_value_adjustment: Option<PriceAdjustment>,
    shipping: ShippingQuote,
    shipping_adjustments: Vec<PriceAdjustment>,
    notices: Vec<Notice>,
}

impl Settled {
    /// What the applied coupons give together (goods and shipping).
    fn coupon_total(&self) -> Fen {
        self.coupons.iter().map(|(_, a)| a.amount).sum()
    }
}

fn validate(lines: &[GoodsLine]) -> Result<(), PricingError> {
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(PricingError::LineCount);
    }
    let mut seen = HashSet::new();
    for l in lines {
        let bad = |reason| {
            Err(PricingError::InvalidLine {
                sku_id: l.sku_id.clone(),
                reason,
            })
        };
        if !seen.insert(l.sku_id.as_str()) {
            return bad("duplicate SKU");
        }
        if !(1..=MAX_QUANTITY).contains(&l.quantity) {
            return bad("quantity out of range");
        }
        let prices = [Some(l.list_unit_price), Some(l.unit_price)]
            .into_iter()
            .chain([l.flash_sale.as_ref().map(|f| f.unit_price)]);
        if prices.flatten().any(|p| !(0..=MAX_UNIT_FEN).contains(&p)) {
            return bad("price out of range");
        }
    }
    Ok(())
}

/// LIST, MEMBER_PRICE and PROMOTION (flash-sale prices, then the pickup discount).
fn base(input: &PricingInput, goods: &[GoodsLine]) -> Base {
    let mut lines: Vec<Work> = goods
        .iter()
        .map(|g| {
            let q = Fen::from(g.quantity);
            // A unit price above the list price is shown as the list price: the member step
            // never adds.
            Work {
                list_subtotal: g.list_unit_price.max(g.unit_price) * q,
                subtotal: g.unit_price * q,
                promotion: 0,
                coupon: 0,
                points_fen: 0,
                points: 0,
                stored_value: 0,
                allocations: Vec::new(),
            }
        })
        .collect();
    let mut promotions = Vec::new();
    for (i, g) in goods.iter().enumerate() {
        let Some(flash) = &g.flash_sale else { continue };
        let off = (g.unit_price - flash.unit_price).max(0) * Fen::from(g.quantity);
        if off == 0 {
            continue;
        }
        let adj = PriceAdjustment {
            kind: AdjustmentKind::FlashSale,
            source_id: flash.flash_sale_id.clone(),
            label: "秒杀价".into(),
            amount: off,
            points: 0,
        };
        let mut weights = vec![0; lines.len()];
        weights[i] = lines[i].net();
        book(&mut lines, &adj, &weights, Bucket::Promotion);
        promotions.push(adj);
    }
    let pickup = &input.shipping.pickup;
    let picking_up = input
        .fulfilment
        .as_ref()
        .is_some_and(|f| f.mode == FulfilmentMode::StorePickup);
    if picking_up && pickup.enabled && pickup.pickup_discount > 0 {
        let weights: Vec<Fen> = lines.iter().map(Work::net).collect();
        let amount: Fen = weights.iter().sum();
        if amount >= pickup.pickup_discount_threshold {
            let adj = PriceAdjustment {
                kind: AdjustmentKind::PickupDiscount,
                source_id: String::new(),
                label: "到店自提减".into(),
                amount: pickup.pickup_discount.min(amount),
                points: 0,
            };
            book(&mut lines, &adj, &weights, Bucket::Promotion);
            promotions.push(adj);
        }
    }
    let fee = shipping::fee(input.fulfilment.as_ref(), &input.shipping);
    Base {
        lines,
        promotions,
        fee,
    }
}

/// The lines as coupons see them.
fn coupon_lines<'a>(goods: &'a [GoodsLine], lines: &[Work], before: &[Fen]) -> Vec<CouponLine<'a>> {
    goods
        .iter()
        .zip(lines)
        .zip(before)
        .map(|((g, w), b)| CouponLine {
            sku_id: &g.sku_id,
            category_ids: &g.category_ids,
            quantity: g.quantity,
            before: *b,
            current: w.net(),
        })
        .collect()
}

/// COUPON, POINTS, STORED_VALUE and SHIPPING for the coupons `applied` (indexes into
/// `input.coupons`, in application order).
fn settle(input: &PricingInput, goods: &[GoodsLine], base: &Base, applied: &[usize]) -> Settled {
    let mut lines = base.lines.clone();
    let before: Vec<Fen> = lines.iter().map(Work::net).collect();
    let mut applied_adjs = Vec::new();
    let mut shipping_coupons = Vec::new();
    for &i in applied {
        let c = &input.coupons[i];
        if c.rule.kind == CouponKind::FreeShipping {
            shipping_coupons.push(i);
            continue;
        }
        let (amount, weights) =
            coupons::goods_discount(&c.rule, &coupon_lines(goods, &lines, &before));
        let adj = PriceAdjustment {
            kind: AdjustmentKind::Coupon,
            source_id: c.coupon_id.clone(),
            label: c.name.clone(),
            amount,
            points: 0,
        };
        book(&mut lines, &adj, &weights, Bucket::Coupon);
        applied_adjs.push((i, adj));
    }

    let goods_net: Fen = lines.iter().map(Work::net).sum();
    let (points, mut notices) = points::quote(&input.points, goods_net);
    let points_adjustment = (points.deduction > 0 || points.used > 0).then(|| {
        let weights: Vec<Fen> = lines.iter().map(Work::net).collect();
        let fen = allocation::allocate(points.deduction, &weights);
        let pts = allocation::split(points.used, &weights);
        for ((line, f), p) in lines.iter_mut().zip(fen).zip(pts) {
            line.points_fen += f;
            line.points += p;
            if f > 0 || p > 0 {
                line.allocations.push(LineAllocation {
                    kind: AdjustmentKind::Points,
                    source_id: String::new(),
                    amount: f,
                    points: p,
                });
            }
        }
        PriceAdjustment {
            kind: AdjustmentKind::Points,
            source_id: String::new(),
            label: format!("{}积分抵扣", points.used),
            amount: points.deduction,
            points: points.used,
        }
    });

    let sv = &input.stored_value;
    let remaining: Fen = lines.iter().map(Work::left).sum();
    let mut stored_value = sv.requested.min(remaining);
    if let Some(balance) = sv.balance {
        stored_value = stored_value.min(balance.max(0));
    }
    if stored_value < sv.requested {
        notices.push(Notice::new(
            "STORED_VALUE_LOWERED",
            format!(
                "储值已调整为¥{}.{:02}",
                stored_value / 100,
                stored_value % 100
            ),
        ));
    }
    let stored_value_adjustment = (stored_value > 0).then(|| {
        let adj = PriceAdjustment {
            kind: AdjustmentKind::StoredValue,
            source_id: String::new(),
            label: "储值支付".into(),
            amount: stored_value,
            points: 0,
        };
        let weights: Vec<Fen> = lines.iter().map(Work::left).collect();
        book(&mut lines, &adj, &weights, Bucket::StoredValue);
        adj
    });

    let mut ship = shipping::settle(&base.fee, goods_net);
    let mut shipping_adjustments = Vec::new();
    if ship.fee > 0 {
        shipping_adjustments.push(PriceAdjustment {
            kind: AdjustmentKind::ShippingFee,
            source_id: String::new(),
            label: "运费".into(),
            amount: ship.fee,
            points: 0,
        });
    }
    if ship.discount > 0 {
        shipping_adjustments.push(PriceAdjustment {
            kind: AdjustmentKind::ShippingDiscount,
            source_id: String::new(),
            label: "满额包邮".into(),
            amount: ship.discount,
            points: 0,
        });
    }
    for i in shipping_coupons {
        let c = &input.coupons[i];
        let amount = coupons::free_shipping(&c.rule, ship.fee - ship.discount);
        ship.discount += amount;
        let adj = PriceAdjustment {
            kind: AdjustmentKind::ShippingDiscount,
            source_id: c.coupon_id.clone(),
            label: c.name.clone(),
            amount,
            points: 0,
        };
        if amount > 0 {
            shipping_adjustments.push(adj.clone());
        }
        applied_adjs.push((i, adj));
    }
    if ship.discount >= ship.fee {
        ship.amount_to_free_shipping = 0;
    }
    Settled {
        lines,
        coupons: applied_adjs,
        points,
        points_adjustment,
        stored_value_adjustment,
        shipping: ship,
        shipping_adjustments,
        notices,
    }
}

/// Each coupon alone: its verdict and what it would give.
fn verdicts(input: &PricingInput, goods: &[GoodsLine], base: &Base) -> Vec<Result<Fen, Unusable>> {
    let before: Vec<Fen> = base.lines.iter().map(Work::net).collect();
    let lines = coupon_lines(goods, &base.lines, &before);
    input
        .coupons
        .iter()
        .map(|c: &MemberCoupon| {
            if let Some(reason) = &c.unusable_reason {
                return Err(Unusable::Membership(reason.clone()));
            }
            coupons::check(&c.rule, &lines, base.fee.fee)?;
            Ok(coupons::estimate(&c.rule, &lines, base.fee.fee))
        })
        .collect()
}

/// `chosen` in application order: by kind, then as given.
fn in_application_order(input: &PricingInput, mut chosen: Vec<usize>) -> Vec<usize> {
    chosen.sort_by_key(|&i| coupons::rank(input.coupons[i].rule.kind));
    chosen
}

/// The coupons asked for that can be used together, in the order asked; the first of
/// conflicting ones wins.
fn explicit(
    input: &PricingInput,
    usable: &[Result<Fen, Unusable>],
    notices: &mut Vec<Notice>,
) -> Vec<usize> {
    let mut chosen: Vec<usize> = Vec::new();
    for id in &input.coupon_ids {
        let Some(i) = input.coupons.iter().position(|c| &c.coupon_id == id) else {
            notices.push(Notice::coupon("COUPON_NOT_APPLIED", "优惠券不可用", id));
            continue;
        };
        if chosen.contains(&i) || usable[i].is_err() {
            continue;
        }
        let mut rules: Vec<_> = chosen.iter().map(|&j| &input.coupons[j].rule).collect();
        rules.push(&input.coupons[i].rule);
        if !coupons::conflict(&rules) {
            chosen.push(i);
        }
    }
    chosen
}

/// The allowed combination of usable coupons with the largest discount (ties: fewer coupons,
/// then the combination of the individually better coupons).
fn auto_select(
    input: &PricingInput,
    goods: &[GoodsLine],
    base: &Base,
    usable: &[Result<Fen, Unusable>],
) -> Vec<usize> {
    let mut candidates: Vec<usize> = (0..input.coupons.len())
        .filter(|&i| usable[i].is_ok())
        .collect();
    candidates.sort_by_key(|&i| std::cmp::Reverse(usable[i].clone().unwrap_or(0)));
    candidates.truncate(MAX_AUTO_CANDIDATES);
    let mut best: (Fen, Vec<usize>) = (0, Vec::new());
    for mask in 1u32..(1 << candidates.len()) {
        let set: Vec<usize> = (0..candidates.len())
            .filter(|b| mask & (1 << b) != 0)
            .map(|b| candidates[b])
            .collect();
        let rules: Vec<_> = set.iter().map(|&i| &input.coupons[i].rule).collect();
        if coupons::conflict(&rules) {
            continue;
        }
        let set = in_application_order(input, set);
        let total = settle(input, goods, base, &set).coupon_total();
        let better = total > best.0 || (total == best.0 && total > 0 && set.len() < best.1.len());
        if better {
            best = (total, set);
        }
    }
    best.1
}

fn goods_quote(input: &PricingInput, goods: &[GoodsLine]) -> Result<Quote, PricingError> {
    validate(goods)?;
    if input.fulfilment.is_none() {
        return Err(PricingError::FulfilmentRequired);
    }
    if input.stored_value.requested > 0 && !input.stored_value.enabled {
        return Err(PricingError::StoredValueDisabled);
    }
    let base = base(input, goods);
    let usable = verdicts(input, goods, &base);
    let mut notices = Vec::new();
    let chosen = if input.auto_select_coupons {
        let chosen = auto_select(input, goods, &base, &usable);
        for id in &input.coupon_ids {
            if !chosen.iter().any(|&i| &input.coupons[i].coupon_id == id) {
                notices.push(Notice::coupon(
                    "COUPON_NOT_APPLIED",
                    "已为您选择更优惠的组合",
                    id,
                ));
            }
        }
        chosen
    } else {
        in_application_order(input, explicit(input, &usable, &mut notices))
    };
    let settled = settle(input, goods, &base, &chosen);
    notices.extend(settled.notices.iter().cloned());

    let lines: Vec<PricedLine> = goods
        .iter()
        .zip(&settled.lines)
        .map(|(g, w)| PricedLine {
            cart_line_id: g.cart_line_id.clone(),
            sku_id: g.sku_id.clone(),
            product_id: g.product_id.clone(),
            title: g.title.clone(),
            image_url: g.image_url.clone(),
            category_ids: g.category_ids.clone(),
            quantity: g.quantity,
            list_unit_price: g.list_unit_price.max(g.unit_price),
            unit_price: g.unit_price,
            list_subtotal: w.list_subtotal,
            member_discount: w.list_subtotal - w.subtotal,
            subtotal: w.subtotal,
            promotion_discount: w.promotion,
            coupon_discount: w.coupon,
            net_amount: w.net(),
            points_deduction: w.points_fen,
            points_used: w.points,
            stored_value_amount: w.stored_value,
            cash_amount: w.left(),
            allocations: w.allocations.clone(),
            plan_id: String::new(),
        })
        .collect();
    let sum = |f: fn(&PricedLine) -> Fen| lines.iter().map(f).sum::<Fen>();
    let goods_net_total = sum(|l| l.net_amount);
    let shipping_net = settled.shipping.fee - settled.shipping.discount;
    let amounts = PriceAmounts {
        goods_list_total: sum(|l| l.list_subtotal),
        member_discount: sum(|l| l.member_discount),
        goods_total: sum(|l| l.subtotal),
        promotion_discount: sum(|l| l.promotion_discount),
        coupon_discount: sum(|l| l.coupon_discount),
        goods_net_total,
        points_deduction: sum(|l| l.points_deduction),
        points_used: lines.iter().map(|l| l.points_used).sum(),
        stored_value_amount: sum(|l| l.stored_value_amount),
        shipping_fee: settled.shipping.fee,
        shipping_discount: settled.shipping.discount,
        payable: sum(|l| l.cash_amount) + shipping_net,
    };

    let goods_coupons = settled
        .coupons
        .iter()
        .filter(|(_, a)| a.kind == AdjustmentKind::Coupon)
        .map(|(_, a)| a.clone())
        .collect();
    let mut later = vec![goods_coupons];
    later.push(settled.points_adjustment.iter().cloned().collect());
    later.push(settled.stored_value_adjustment.iter().cloned().collect());
    later.push(settled.shipping_adjustments.clone());
    let steps = steps(&amounts, base.promotions.clone(), later);

    Ok(Quote {
        lines,
        steps,
        amounts,
        applied_coupon_ids: settled
            .coupons
            .iter()
            .map(|(i, _)| input.coupons[*i].coupon_id.clone())
            .collect(),
        coupon_options: options(input, &usable, &settled),
        points: settled.points,
        shipping: settled.shipping,
        notices,
    })
}

/// Where a coupon option ranks: (0 applied, 1 usable, 2 unusable; position among the applied;
/// the larger estimate first; membership's order).
type RankKey = (u8, usize, std::cmp::Reverse<Fen>, usize);

/// Every coupon of the member, best first: the applied ones in application order, then the
/// usable ones by what they would give alone, then the others; ties as membership listed them.
fn options(
    input: &PricingInput,
    usable: &[Result<Fen, Unusable>],
    settled: &Settled,
) -> Vec<CouponOption> {
    let applied_rules: Vec<_> = settled
        .coupons
        .iter()
        .map(|(i, _)| &input.coupons[*i].rule)
        .collect();
    let mut ranked: Vec<(RankKey, CouponOption)> = input
        .coupons
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let applied = settled.coupons.iter().position(|(j, _)| *j == i);
            let verdict = match (&usable[i], applied) {
                (_, Some(_)) => Ok(0),
                (Err(why), None) => Err(why.clone()),
                (Ok(estimate), None) => {
                    let mut rules = applied_rules.clone();
                    rules.push(&c.rule);
                    if coupons::conflict(&rules) {
                        Err(Unusable::NotStackable)
                    } else {
                        Ok(*estimate)
                    }
                }
            };
            let key = match (applied, &verdict) {
                (Some(pos), _) => (0, pos, std::cmp::Reverse(0), i),
                (None, Ok(estimate)) => (1, 0, std::cmp::Reverse(*estimate), i),
                (None, Err(_)) => (2, 0, std::cmp::Reverse(0), i),
            };
            let option = CouponOption {
                coupon_id: c.coupon_id.clone(),
                name: c.name.clone(),
                kind: c.rule.kind,
                usable: verdict.is_ok(),
                unusable_reason: verdict
                    .as_ref()
                    .err()
                    .map(|w| w.name().to_owned())
                    .unwrap_or_default(),
                applied: applied.is_some(),
                discount: applied.map_or(0, |pos| settled.coupons[pos].1.amount),
                expires_at_ms: c.valid_until_ms,
            };
            (key, option)
        })
        .collect();
    ranked.sort_by_key(|r| r.0);
    ranked.into_iter().map(|(_, o)| o).collect()
}

/// The eight steps from the totals; `later` holds the adjustments of COUPON, POINTS,
/// STORED_VALUE and SHIPPING.
fn steps(
    a: &PriceAmounts,
    promotions: Vec<PriceAdjustment>,
    later: Vec<Vec<PriceAdjustment>>,
) -> Vec<PriceStep> {
    let mut later = later.into_iter();
    let mut next = || later.next().unwrap_or_default();
    let member = (a.member_discount > 0)
        .then(|| PriceAdjustment {
            kind: AdjustmentKind::MemberPrice,
            source_id: String::new(),
            label: "会员价".into(),
            amount: a.member_discount,
            points: 0,
        })
        .into_iter()
        .collect();
    let after_promotions = a.goods_total - a.promotion_discount;
    let after_points = a.goods_net_total - a.points_deduction;
    let after_stored_value = after_points - a.stored_value_amount;
    let shipping = a.shipping_fee - a.shipping_discount;
    let rows = [
        (a.goods_list_total, a.goods_list_total, Vec::new()),
        (-a.member_discount, a.goods_total, member),
        (-a.promotion_discount, after_promotions, promotions),
        (-a.coupon_discount, a.goods_net_total, next()),
        (-a.points_deduction, after_points, next()),
        (-a.stored_value_amount, after_stored_value, next()),
        (shipping, after_stored_value + shipping, next()),
        (0, a.payable, Vec::new()),
    ];
    StepKind::ALL
        .into_iter()
        .zip(rows)
        .map(|(kind, (delta, running_total, adjustments))| PriceStep {
            kind,
            label: kind.label().to_owned(),
            delta,
            running_total,
            adjustments,
        })
        .collect()
}
