//! THE pricing function: the unit price and sellability of one SKU for a store, channel and
//! member tier. Pure (no I/O): callers load the facts (SKU, product status, the store override
//! valid now, whether the store is listed in the SKU's assortment) and every consumer — PriceSkus,
//! search, product detail, orders' quote — goes through [`price`].
//!
//! As documented on `PriceService`:
//!   base   = the store override (valid now) if any, else the sale price;
//!   member = the SKU's explicit price for the tier if set; else, when the SKU is
//!            member_discount_eligible and tier_discount_bps is in 1..=9999,
//!            base × bps / 10000 rounded half up to the fen; else none;
//!   unit   = min(base, member).

use crate::app::domain::{ProductStatus, Sku, StoreMode};

/// The sales channel as far as assortment is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Mini-program, H5, official account, WeCom, live stream, partner API, console: needs
    /// `online`, and the store when one is given.
    Online,
    /// A store's point of sale: needs only the store.
    StorePos,
}

/// Who is buying where.
#[derive(Debug, Clone, Copy)]
pub struct PriceContext<'a> {
    /// The store whose overrides and assortment apply; `None` = online without a store.
    pub store: Option<uuid::Uuid>,
    /// The channel.
    pub channel: Channel,
    /// The member's tier code; `None` for non-members.
    pub tier_code: Option<&'a str>,
    /// The tier's discount in basis points; 0 or 10000 = none.
    pub tier_discount_bps: i32,
}

/// What the function needs to know about one SKU.
#[derive(Debug, Clone, Copy)]
pub struct SkuFacts<'a> {
    /// The SKU (prices, eligibility, enabled, assortment mode).
    pub sku: &'a Sku,
    /// Its product's status.
    pub product_status: ProductStatus,
    /// The store override valid now for the context's store, in fen.
    pub store_price: Option<i64>,
    /// Whether the context's store is in the SKU's assortment store list.
    pub store_listed: bool,
}

/// The result, in fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    /// 划线价, when set.
    pub list: Option<i64>,
    /// 售价.
    pub sale: i64,
    /// Member price for the tier (explicit or by discount).
    pub member: Option<i64>,
    /// Store override.
    pub store: Option<i64>,
    /// What one unit costs.
    pub unit: i64,
    /// True when the unit price comes from the member price.
    pub member_priced: bool,
    /// Sellable here and now.
    pub sellable: bool,
    /// Why not: PRODUCT_NOT_ON_SALE, SKU_DISABLED, NOT_IN_ASSORTMENT.
    pub unsellable_reason: Option<&'static str>,
}

/// Whether a store carries a SKU given its store mode and whether the store is listed.
pub fn store_carries(mode: StoreMode, listed: bool) -> bool {
    match mode {
        StoreMode::All => true,
        StoreMode::Selected => listed,
        StoreMode::Excluded => !listed,
        StoreMode::None => false,
    }
}

/// Whether the assortment sells the SKU in this context.
pub fn in_assortment(f: &SkuFacts<'_>, ctx: &PriceContext<'_>) -> bool {
    let store_ok = ctx
        .store
        .map(|_| store_carries(f.sku.store_mode, f.store_listed));
    match ctx.channel {
        Channel::Online => f.sku.online && store_ok.unwrap_or(true),
        Channel::StorePos => store_ok.unwrap_or(false),
    }
}

/// `amount × bps / 10000`, rounded half up (amounts are positive).
fn apply_bps(amount: i64, bps: i32) -> i64 {
    let v = (i128::from(amount) * i128::from(bps) + 5_000) / 10_000;
    i64::try_from(v).unwrap_or(amount)
}

/// Prices one SKU.
pub fn price(f: &SkuFacts<'_>, ctx: &PriceContext<'_>) -> Priced {
    let s = f.sku;
    let base = f.store_price.unwrap_or(s.sale_price);
    let explicit = ctx.tier_code.and_then(|t| {
        s.member_prices
            .iter()
            .find(|m| m.tier_code == t)
            .map(|m| m.price)
    });
    let member = explicit.or_else(|| {
        (ctx.tier_code.is_some()
            && s.member_discount_eligible
            && (1..=9_999).contains(&ctx.tier_discount_bps))
        .then(|| apply_bps(base, ctx.tier_discount_bps))
    });
    let unit = member.map_or(base, |m| m.min(base));
    let reason = if f.product_status != ProductStatus::OnSale {
        Some("PRODUCT_NOT_ON_SALE")
    } else if !s.enabled {
        Some("SKU_DISABLED")
    } else if !in_assortment(f, ctx) {
        Some("NOT_IN_ASSORTMENT")
    } else {
        None
    };
    Priced {
        list: s.list_price,
        sale: s.sale_price,
        member,
        store: f.store_price,
        unit,
        member_priced: member.is_some_and(|m| m < base),
        sellable: reason.is_none(),
        unsellable_reason: reason,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::app::domain::TierPrice;

    fn sku() -> Sku {
        Sku {
            id: uuid::Uuid::nil(),
            product_id: uuid::Uuid::nil(),
            specs: vec![],
            sku_code: String::new(),
            barcode: String::new(),
            weight_grams: 0,
            list_price: Some(12_000),
            sale_price: 10_000,
            member_prices: vec![TierPrice {
                tier_code: "gold".into(),
                price: 8_000,
            }],
            member_discount_eligible: true,
            image_url: String::new(),
            enabled: true,
            title: String::new(),
            online: true,
            store_mode: StoreMode::All,
        }
    }

    fn facts(s: &Sku) -> SkuFacts<'_> {
        SkuFacts {
            sku: s,
            product_status: ProductStatus::OnSale,
            store_price: None,
            store_listed: false,
        }
    }

    fn ctx(tier: Option<&str>, bps: i32) -> PriceContext<'_> {
        PriceContext {
            store: None,
            channel: Channel::Online,
            tier_code: tier,
            tier_discount_bps: bps,
        }
    }

    #[test]
    fn a_non_member_pays_the_sale_price() {
        let s = sku();
        let p = price(&facts(&s), &ctx(None, 9_000));
        assert_eq!((p.unit, p.member, p.sellable), (10_000, None, true));
    }

    #[test]
    fn an_explicit_tier_price_beats_the_tier_discount() {
        let s = sku();
        let p = price(&facts(&s), &ctx(Some("gold"), 9_500));
        assert_eq!(
            (p.unit, p.member, p.member_priced),
            (8_000, Some(8_000), true)
        );
    }

    #[test]
    fn the_tier_discount_applies_to_the_base_and_rounds_half_up() {
        let mut s = sku();
        s.sale_price = 9_999;
        // 9999 × 0.8855 = 8854.1145 → 8854; 9999 × 0.5 = 4999.5 → 5000.
        let p = price(&facts(&s), &ctx(Some("silver"), 8_855));
        assert_eq!(p.unit, 8_854);
        assert_eq!(price(&facts(&s), &ctx(Some("silver"), 5_000)).unit, 5_000);
        // 0 and 10000 mean "no discount"; ineligible SKUs get none.
        assert_eq!(price(&facts(&s), &ctx(Some("silver"), 10_000)).member, None);
        assert_eq!(price(&facts(&s), &ctx(Some("silver"), 0)).member, None);
        s.member_discount_eligible = false;
        assert_eq!(price(&facts(&s), &ctx(Some("silver"), 5_000)).unit, 9_999);
    }

    #[test]
    fn a_store_override_is_the_base_and_the_discount_applies_to_it() {
        let s = sku();
        let mut f = facts(&s);
        f.store_price = Some(9_000);
        let mut c = ctx(Some("silver"), 9_000);
        c.store = Some(uuid::Uuid::nil());
        let p = price(&f, &c);
        assert_eq!(
            (p.store, p.member, p.unit),
            (Some(9_000), Some(8_100), 8_100)
        );
        // An explicit member price above the store price does not raise it.
        f.store_price = Some(7_000);
        let p = price(&f, &ctx(Some("gold"), 0));
        assert_eq!(
            (p.member, p.unit, p.member_priced),
            (Some(8_000), 7_000, false)
        );
    }

    #[test]
    fn unsellable_reasons_in_order() {
        let mut s = sku();
        let mut f = facts(&s);
        f.product_status = ProductStatus::OffSale;
        assert_eq!(
            price(&f, &ctx(None, 0)).unsellable_reason,
            Some("PRODUCT_NOT_ON_SALE")
        );
        s.enabled = false;
        let f = facts(&s);
        assert_eq!(
            price(&f, &ctx(None, 0)).unsellable_reason,
            Some("SKU_DISABLED")
        );
    }

    #[test]
    fn assortment_online_store_and_pos() {
        let mut s = sku();
        s.online = false;
        s.store_mode = StoreMode::Selected;
        let mut f = facts(&s);
        let store = Some(uuid::Uuid::nil());
        // Store-exclusive: not online, not at an unlisted store, yes at the POS of a listed one.
        assert_eq!(
            price(&f, &ctx(None, 0)).unsellable_reason,
            Some("NOT_IN_ASSORTMENT")
        );
        let pos = PriceContext {
            store,
            channel: Channel::StorePos,
            tier_code: None,
            tier_discount_bps: 0,
        };
        assert!(!price(&f, &pos).sellable);
        f.store_listed = true;
        assert!(price(&f, &pos).sellable);
        // POS without a store sells nothing.
        assert!(!price(&f, &PriceContext { store: None, ..pos }).sellable);
        // Online pickup at an excluded store is refused even though online is on.
        s.online = true;
        s.store_mode = StoreMode::Excluded;
        let f = SkuFacts {
            store_listed: true,
            ..facts(&s)
        };
        let online_at = PriceContext {
            store,
            channel: Channel::Online,
            tier_code: None,
            tier_discount_bps: 0,
        };
        assert_eq!(
            price(&f, &online_at).unsellable_reason,
            Some("NOT_IN_ASSORTMENT")
        );
        assert!(store_carries(StoreMode::All, false) && !store_carries(StoreMode::None, true));
    }
}
