//! CouponService on the wire: coupons, templates, packs and order contexts parsed at the edge
//! (each failure names its proto field) and converted back; the handlers per concept live in
//! the sub-modules, named as in `app/coupons/`.

use siyu_proto::common::v1 as common;
use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;
use uuid::Uuid;

use super::convert::{attribution_to_wire, cny, id, money, opt_id, opt_time, text};
use crate::AppError;
use crate::app::domain::coupon_rule::{ContextLine, OrderContext};
use crate::app::domain::{
    Coupon, CouponKind, CouponPack, CouponRule, CouponScope, CouponTemplate, Funder, PackItem,
    PackTrigger, Stacking, TemplateStatus, Validity,
};

pub(super) mod checkout;
pub(super) mod in_store;
pub(super) mod issue;
pub(super) mod packs;
pub(super) mod reads;
pub(super) mod segment_grants;
pub(super) mod templates;

/// Longest name of a template or pack.
const MAX_NAME: usize = 64;
/// Most ids in one scope list.
const MAX_SCOPE_IDS: usize = 500;
/// Most lines in an order context.
const MAX_LINES: usize = 500;

/// A required display name: 1..=64 characters.
fn name(field: &str, value: &str) -> Result<String, AppError> {
    if value.trim().is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    text(field, value, MAX_NAME)
}

/// A list of short ids (catalog SKUs and categories), each 1..=64 characters.
fn short_ids(field: &str, values: &[String]) -> Result<Vec<String>, AppError> {
    if values.len() > MAX_SCOPE_IDS {
        return Err(AppError::invalid(
            field,
            format!("at most {MAX_SCOPE_IDS} ids"),
        ));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if v.is_empty() {
                Err(AppError::invalid(
                    format!("{field}[{i}]"),
                    "must not be empty",
                ))
            } else {
                text(&format!("{field}[{i}]"), v, 64)
            }
        })
        .collect()
}

/// An optional amount (unset or 0 = none).
fn opt_money(field: &str, value: Option<&common::Money>) -> Result<Option<i64>, AppError> {
    match value {
        None => Ok(None),
        Some(m) if m.minor_units == 0 && m.currency_code.is_empty() => Ok(None),
        Some(_) => money(field, value, 1).map(Some),
    }
}

/// A threshold: unset = 0.
fn threshold(field: &str, value: Option<&common::Money>) -> Result<i64, AppError> {
    match value {
        None => Ok(0),
        Some(_) => money(field, value, 0),
    }
}

/// A stored enum from its proto number; 0 or unknown is a violation unless `default` is given.
fn enum_of<T>(
    field: &str,
    n: i32,
    of: fn(i32) -> Option<T>,
    default: Option<T>,
) -> Result<T, AppError> {
    match (n, default) {
        (0, Some(d)) => Ok(d),
        _ => of(n).ok_or_else(|| AppError::invalid(field, "unknown or unset value")),
    }
}

/// A count in `0..=max`.
fn count(field: &str, value: i32, max: i32) -> Result<i32, AppError> {
    if (0..=max).contains(&value) {
        Ok(value)
    } else {
        Err(AppError::invalid(
            field,
            format!("must be within 0..={max}"),
        ))
    }
}

/// The rule of a template.
fn rule(field: &str, r: Option<&pb::CouponRule>) -> Result<CouponRule, AppError> {
    let Some(r) = r else {
        return Err(AppError::invalid(field, "required"));
    };
    let at = |f: &str| format!("{field}.{f}");
    let kind = enum_of(&at("kind"), r.kind, CouponKind::from_number, None)?;
    let s = r.scope.clone().unwrap_or_default();
    let scope = CouponScope {
        all_goods: s.all_goods,
        category_ids: short_ids(&at("scope.category_ids"), &s.category_ids)?,
        sku_ids: short_ids(&at("scope.sku_ids"), &s.sku_ids)?,
        excluded_sku_ids: short_ids(&at("scope.excluded_sku_ids"), &s.excluded_sku_ids)?,
        store_ids: super::convert::each_id(&at("scope.store_ids"), &s.store_ids, MAX_SCOPE_IDS)?,
        channels: s.channels.clone(),
        online: s.online,
        in_store: s.in_store,
    };
    let percent_bps = if kind == CouponKind::PercentOff {
        if !(1..=9_999).contains(&r.percent_bps) {
            return Err(AppError::invalid(
                at("percent_bps"),
                "must be within 1..=9999",
            ));
        }
        r.percent_bps
    } else {
        0
    };
    let amount_off = if kind == CouponKind::AmountOff {
        money(&at("amount_off"), r.amount_off.as_ref(), 1)?
    } else {
        0
    };
    let (gift_sku_id, gift_quantity) = if kind == CouponKind::Exchange {
        if r.gift_quantity < 1 || r.gift_quantity > 100 {
            return Err(AppError::invalid(
                at("gift_quantity"),
                "must be within 1..=100",
            ));
        }
        let sku = short_ids(&at("gift_sku_id"), std::slice::from_ref(&r.gift_sku_id))
            .map_err(|_| AppError::invalid(at("gift_sku_id"), "required, at most 64 characters"))?;
        (sku.concat(), r.gift_quantity)
    } else {
        (String::new(), 0)
    };
    Ok(CouponRule {
        kind,
        threshold: threshold(&at("threshold"), r.threshold.as_ref())?,
        amount_off,
        percent_bps,
        max_discount: opt_money(&at("max_discount"), r.max_discount.as_ref())?,
        gift_sku_id,
        gift_quantity,
        stacking: enum_of(
            &at("stacking"),
            r.stacking,
            Stacking::from_number,
            Some(Stacking::Exclusive),
        )?,
        scope,
    })
}

/// The validity of a template.
fn validity(field: &str, v: Option<&pb::CouponValidity>) -> Result<Validity, AppError> {
    let Some(v) = v else {
        return Err(AppError::invalid(field, "required"));
    };
    let at = |f: &str| format!("{field}.{f}");
    match v.kind {
        1 => {
            let from = opt_time(&at("valid_from"), v.valid_from.as_ref())?
                .ok_or_else(|| AppError::invalid(at("valid_from"), "required for ABSOLUTE"))?;
            let until = opt_time(&at("valid_until"), v.valid_until.as_ref())?
                .ok_or_else(|| AppError::invalid(at("valid_until"), "required for ABSOLUTE"))?;
            if until <= from {
                return Err(AppError::invalid(
                    at("valid_until"),
                    "must be after valid_from",
                ));
            }
            Ok(Validity::Absolute {
                from_ms: from,
                until_ms: until,
            })
        }
        2 => {
            if !(1..=3650).contains(&v.valid_days) {
                return Err(AppError::invalid(
                    at("valid_days"),
                    "must be within 1..=3650",
                ));
            }
            Ok(Validity::Relative {
                valid_days: v.valid_days,
                starts_after_days: count(&at("starts_after_days"), v.starts_after_days, 365)?,
            })
        }
        _ => Err(AppError::invalid(at("kind"), "ABSOLUTE or RELATIVE")),
    }
}

/// The template fields a request sets, by update-mask path.
const TEMPLATE_PATHS: [&str; 15] = [
    "name",
    "description",
    "rule",
    "validity",
    "total_quota",
    "per_member_limit",
    "per_member_daily_limit",
    "claimable",
    "claim_starts_at",
    "claim_ends_at",
    "claim_tier_codes",
    "claim_segment_id",
    "points_price",
    "funder",
    "funder_id",
];

/// A template with nothing set yet.
fn blank() -> CouponTemplate {
    CouponTemplate {
        id: Uuid::nil(),
        name: String::new(),
        description: String::new(),
        rule: CouponRule {
            kind: CouponKind::AmountOff,
            threshold: 0,
            amount_off: 0,
            percent_bps: 0,
            max_discount: None,
            gift_sku_id: String::new(),
            gift_quantity: 0,
            stacking: Stacking::Exclusive,
            scope: CouponScope::default(),
        },
        validity: Validity::Relative {
            valid_days: 1,
            starts_after_days: 0,
        },
        total_quota: 0,
        per_member_limit: 0,
        per_member_daily_limit: 0,
        claimable: false,
        claim_starts_at_ms: None,
        claim_ends_at_ms: None,
        claim_tier_codes: Vec::new(),
        claim_segment_id: String::new(),
        points_price: 0,
        funder: Funder::Brand,
        funder_id: String::new(),
        status: TemplateStatus::Draft,
        issued_count: 0,
        created_at_ms: 0,
        updated_at_ms: 0,
    }
}

/// Parses the field of `t` at `path` into `into`.
fn apply(t: &pb::CouponTemplate, path: &str, into: &mut CouponTemplate) -> Result<(), AppError> {
    match path {
        "name" => into.name = name("template.name", &t.name)?,
        "description" => into.description = text("template.description", &t.description, 1000)?,
        "rule" => into.rule = rule("template.rule", t.rule.as_ref())?,
        "validity" => into.validity = validity("template.validity", t.validity.as_ref())?,
        "total_quota" => {
            into.total_quota = count("template.total_quota", t.total_quota, 100_000_000)?;
        }
        "per_member_limit" => {
            into.per_member_limit = count("template.per_member_limit", t.per_member_limit, 1000)?;
        }
        "per_member_daily_limit" => {
            into.per_member_daily_limit = count(
                "template.per_member_daily_limit",
                t.per_member_daily_limit,
                1000,
            )?;
        }
        "claimable" => into.claimable = t.claimable,
        "claim_starts_at" => {
            into.claim_starts_at_ms =
                opt_time("template.claim_starts_at", t.claim_starts_at.as_ref())?;
        }
        "claim_ends_at" => {
            into.claim_ends_at_ms = opt_time("template.claim_ends_at", t.claim_ends_at.as_ref())?;
        }
        "claim_tier_codes" => {
            into.claim_tier_codes = short_ids("template.claim_tier_codes", &t.claim_tier_codes)?;
        }
        "claim_segment_id" => {
            into.claim_segment_id = text("template.claim_segment_id", &t.claim_segment_id, 64)?;
        }
        "points_price" => {
            if t.points_price < 0 || t.points_price > super::convert::MAX_POINTS {
                return Err(AppError::invalid(
                    "template.points_price",
                    format!("must be within 0..={}", super::convert::MAX_POINTS),
                ));
            }
            into.points_price = t.points_price;
        }
        "funder" => {
            into.funder = enum_of(
                "template.funder",
                t.funder,
                Funder::from_number,
                Some(Funder::Brand),
            )?;
        }
        "funder_id" => into.funder_id = text("template.funder_id", &t.funder_id, 64)?,
        other => return Err(AppError::UnknownFieldPath(other.to_owned())),
    }
    Ok(())
}

/// A template to create, every field parsed (id, status and counts are the server's).
pub(super) fn template(t: Option<&pb::CouponTemplate>) -> Result<CouponTemplate, AppError> {
    let Some(t) = t else {
        return Err(AppError::invalid("template", "required"));
    };
    let mut out = blank();
    for path in TEMPLATE_PATHS {
        apply(t, path, &mut out)?;
    }
    Ok(out)
}

/// The fields of an update: those at `paths`, on a template selected by `template_id`.
pub(super) fn template_patch(
    t: Option<&pb::CouponTemplate>,
    paths: &[String],
) -> Result<CouponTemplate, AppError> {
    let Some(t) = t else {
        return Err(AppError::invalid("template", "required"));
    };
    let mut out = blank();
    out.id = id("template.template_id", &t.template_id)?;
    for path in paths {
        apply(t, path, &mut out)?;
    }
    Ok(out)
}

/// A pack from the wire: every field (`paths` = None, a create) or those at `paths` (an update,
/// which needs `pack_id`).
pub(super) fn pack(
    p: Option<&pb::CouponPack>,
    paths: Option<&[String]>,
) -> Result<CouponPack, AppError> {
    let Some(p) = p else {
        return Err(AppError::invalid("pack", "required"));
    };
    let sets = |path: &str| paths.is_none_or(|ps| ps.iter().any(|x| x == path));
    if let Some(unknown) = paths
        .unwrap_or_default()
        .iter()
        .find(|x| !["name", "items", "trigger", "enabled"].contains(&x.as_str()))
    {
        return Err(AppError::UnknownFieldPath(unknown.clone()));
    }
    let items = if sets("items") {
        if p.items.is_empty() || p.items.len() > 20 {
            return Err(AppError::invalid("pack.items", "1 to 20 items"));
        }
        p.items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                if !(1..=20).contains(&item.quantity) {
                    return Err(AppError::invalid(
                        format!("pack.items[{i}].quantity"),
                        "must be within 1..=20",
                    ));
                }
                Ok(PackItem {
                    template_id: id(&format!("pack.items[{i}].template_id"), &item.template_id)?,
                    quantity: item.quantity,
                })
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    Ok(CouponPack {
        id: if paths.is_some() {
            id("pack.pack_id", &p.pack_id)?
        } else {
            Uuid::nil()
        },
        name: if sets("name") {
            name("pack.name", &p.name)?
        } else {
            String::new()
        },
        items,
        trigger: enum_of(
            "pack.trigger",
            p.trigger,
            PackTrigger::from_number,
            Some(PackTrigger::Manual),
        )?,
        enabled: p.enabled,
    })
}

/// An order context from the wire.
pub(super) fn order_context(
    field: &str,
    c: Option<&pb::OrderContext>,
) -> Result<OrderContext, AppError> {
    let Some(c) = c else {
        return Err(AppError::invalid(field, "required"));
    };
    if c.lines.len() > MAX_LINES {
        return Err(AppError::invalid(
            format!("{field}.lines"),
            format!("at most {MAX_LINES} lines"),
        ));
    }
    let lines = c
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let at = |f: &str| format!("{field}.lines[{i}].{f}");
            if !(1..=100_000).contains(&l.quantity) {
                return Err(AppError::invalid(
                    at("quantity"),
                    "must be within 1..=100000",
                ));
            }
            Ok(ContextLine {
                sku_id: short_ids(&at("sku_id"), std::slice::from_ref(&l.sku_id))?.concat(),
                category_ids: short_ids(&at("category_ids"), &l.category_ids)?,
                quantity: l.quantity,
                subtotal: money(&at("subtotal"), l.subtotal.as_ref(), 0)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OrderContext {
        store_id: opt_id(&format!("{field}.store_id"), &c.store_id)?,
        channel: c.channel,
        lines,
        shipping_fee: match c.shipping_fee.as_ref() {
            None => None,
            Some(_) => Some(money(
                &format!("{field}.shipping_fee"),
                c.shipping_fee.as_ref(),
                0,
            )?),
        },
        in_store: c.in_store,
    })
}

impl From<&CouponRule> for pb::CouponRule {
    fn from(r: &CouponRule) -> Self {
        let s = &r.scope;
        Self {
            kind: i32::from(r.kind.number()),
            threshold: cny(r.threshold),
            amount_off: (r.kind == CouponKind::AmountOff)
                .then(|| cny(r.amount_off))
                .flatten(),
            percent_bps: r.percent_bps,
            max_discount: r.max_discount.and_then(cny),
            gift_sku_id: r.gift_sku_id.clone(),
            gift_quantity: r.gift_quantity,
            stacking: i32::from(r.stacking.number()),
            scope: Some(pb::CouponScope {
                all_goods: s.all_goods,
                category_ids: s.category_ids.clone(),
                sku_ids: s.sku_ids.clone(),
                excluded_sku_ids: s.excluded_sku_ids.clone(),
                store_ids: s.store_ids.iter().map(ToString::to_string).collect(),
                channels: s.channels.clone(),
                online: s.online,
                in_store: s.in_store,
            }),
        }
    }
}

impl From<&Validity> for pb::CouponValidity {
    fn from(v: &Validity) -> Self {
        match *v {
            Validity::Absolute { from_ms, until_ms } => Self {
                kind: 1,
                valid_from: Some(timestamp_ms(from_ms)),
                valid_until: Some(timestamp_ms(until_ms)),
                ..Self::default()
            },
            Validity::Relative {
                valid_days,
                starts_after_days,
            } => Self {
                kind: 2,
                valid_days,
                starts_after_days,
                ..Self::default()
            },
        }
    }
}

impl From<&CouponTemplate> for pb::CouponTemplate {
    fn from(t: &CouponTemplate) -> Self {
        Self {
            template_id: t.id.to_string(),
            name: t.name.clone(),
            description: t.description.clone(),
            rule: Some((&t.rule).into()),
            validity: Some((&t.validity).into()),
            total_quota: t.total_quota,
            per_member_limit: t.per_member_limit,
            per_member_daily_limit: t.per_member_daily_limit,
            claimable: t.claimable,
            claim_starts_at: t.claim_starts_at_ms.map(timestamp_ms),
            claim_ends_at: t.claim_ends_at_ms.map(timestamp_ms),
            claim_tier_codes: t.claim_tier_codes.clone(),
            claim_segment_id: t.claim_segment_id.clone(),
            points_price: t.points_price,
            funder: i32::from(t.funder.number()),
            funder_id: t.funder_id.clone(),
            status: i32::from(t.status.number()),
            issued_count: t.issued_count,
            created_at: Some(timestamp_ms(t.created_at_ms)),
            updated_at: Some(timestamp_ms(t.updated_at_ms)),
        }
    }
}

fn s(id: Option<Uuid>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

impl From<&Coupon> for pb::Coupon {
    fn from(c: &Coupon) -> Self {
        Self {
            coupon_id: c.id.to_string(),
            template_id: c.template_id.to_string(),
            member_id: c.member_id.to_string(),
            name: c.name.clone(),
            rule: Some((&c.rule).into()),
            status: i32::from(c.status.number()),
            valid_from: Some(timestamp_ms(c.valid_from_ms)),
            valid_until: Some(timestamp_ms(c.valid_until_ms)),
            source: i32::from(c.source.number()),
            attribution: Some(attribution_to_wire(&c.attribution)),
            grant_id: s(c.grant_id),
            order_id: s(c.order_id),
            redeemed_store_id: s(c.redeemed_store_id),
            redeemed_by: c.redeemed_by.clone(),
            issued_at: Some(timestamp_ms(c.issued_at_ms)),
            used_at: c.used_at_ms.map(timestamp_ms),
            funder: i32::from(c.funder.number()),
            funder_id: c.funder_id.clone(),
        }
    }
}

impl From<&CouponPack> for pb::CouponPack {
    fn from(p: &CouponPack) -> Self {
        Self {
            pack_id: p.id.to_string(),
            name: p.name.clone(),
            items: p
                .items
                .iter()
                .map(|i| pb::CouponPackItem {
                    template_id: i.template_id.to_string(),
                    quantity: i.quantity,
                })
                .collect(),
            trigger: i32::from(p.trigger.number()),
            enabled: p.enabled,
        }
    }
}
