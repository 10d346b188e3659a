//! What the pricing function prices: the goods as catalog priced them (or one plan line), the
//! member's coupons as membership judged them, the points and stored value asked for with the
//! ledger policy, and the fulfilment with the tenant's shipping settings. Every amount is CNY fen.

use super::Fen;

/// Everything [`super::price`] reads. Gathering it (catalog, membership, settings) is the
/// caller's business, so that pricing itself is pure and a checkout prices what was quoted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PricingInput {
    /// The goods lines or the one plan line.
    pub goods: Goods,
    /// Every coupon of the member that membership returned for this order, usable or not.
    pub coupons: Vec<MemberCoupon>,
    /// Coupon ids asked for, in the consumer's order. Ignored when `auto_select_coupons`.
    pub coupon_ids: Vec<String>,
    /// Pick the best allowed combination of the usable coupons instead of `coupon_ids`.
    pub auto_select_coupons: bool,
    /// Points asked for and the tenant's rules for them.
    pub points: PointsRequest,
    /// Stored value asked for.
    pub stored_value: StoredValueRequest,
    /// The fulfilment; required for goods, absent for a plan.
    pub fulfilment: Option<Fulfilment>,
    /// The tenant's shipping and pickup rules.
    pub shipping: ShippingSettings,
}

/// What is priced: goods, or the single line of a non-goods order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goods {
    /// Goods lines in input (cart) order, 1..50, each SKU once.
    Lines(Vec<GoodsLine>),
    /// A stored-value top-up or paid-membership plan.
    Plan(PlanLine),
}

impl Default for Goods {
    fn default() -> Self {
        Self::Lines(Vec::new())
    }
}

/// One goods line as catalog priced it for this member, store and channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoodsLine {
    /// The cart line id when priced from the cart; empty for direct lines.
    pub cart_line_id: String,
    /// The SKU.
    pub sku_id: String,
    /// The product (SPU).
    pub product_id: String,
    /// Product title and spec.
    pub title: String,
    /// Image URL.
    pub image_url: String,
    /// The SKU's category and its ancestors (coupon scope).
    pub category_ids: Vec<String>,
    /// Quantity, 1..999.
    pub quantity: i32,
    /// Catalog list price per unit.
    pub list_unit_price: Fen,
    /// Catalog unit price per unit (member, store and channel price), ≤ the list price.
    pub unit_price: Fen,
    /// The flash sale the line is bought in, if any.
    pub flash_sale: Option<FlashPrice>,
}

/// A flash-sale price (秒杀价) of a line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlashPrice {
    /// The catalog flash sale id.
    pub flash_sale_id: String,
    /// The sale's price per unit.
    pub unit_price: Fen,
}

/// The one line of a top-up or paid-membership order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanLine {
    /// The top-up plan or paid plan id.
    pub plan_id: String,
    /// The plan name.
    pub title: String,
    /// Image URL, if the plan has one.
    pub image_url: String,
    /// The plan's price (first-period price where it applies).
    pub price: Fen,
}

/// A coupon of the member with membership's verdict for this order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberCoupon {
    /// Membership's coupon id.
    pub coupon_id: String,
    /// Display name, e.g. "满200减30".
    pub name: String,
    /// What it gives.
    pub rule: CouponRule,
    /// End of validity (exclusive), ms since the epoch, when known.
    pub valid_until_ms: Option<i64>,
    /// Why membership said it cannot be used (its `CouponUnusableReason` name without prefix:
    /// LOCKED, NOT_YET_VALID, STORE_NOT_ELIGIBLE…); `None` = usable as far as membership knows.
    pub unusable_reason: Option<String>,
}

/// The kind of a coupon (membership `CouponKind`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CouponKind {
    /// 满减: `amount_off` above `threshold`.
    #[default]
    AmountOff,
    /// 折扣: pay `percent_bps` of the eligible amount, the discount capped at `max_discount`.
    PercentOff,
    /// 包邮: the shipping fee, up to `max_discount`.
    FreeShipping,
    /// 兑换: `gift_quantity` units of the gift SKU's line become free.
    Exchange,
    /// A kind this version does not know: shown, never applied.
    Unsupported,
}

/// How a coupon combines with others (membership `CouponStacking`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Stacking {
    /// Alone only (also what an unset stacking means).
    #[default]
    Exclusive,
    /// With coupons of other kinds, at most one per kind.
    AcrossKinds,
    /// With any stackable coupon.
    Any,
}

/// The goods a coupon covers (membership `CouponScope`, goods part). Store and channel are
/// membership's to judge; its verdict comes in [`MemberCoupon::unusable_reason`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CouponScope {
    /// All goods (lists below then only exclude).
    pub all_goods: bool,
    /// Eligible categories (any of a line's category ids).
    pub category_ids: Vec<String>,
    /// Eligible SKUs.
    pub sku_ids: Vec<String>,
    /// SKUs never eligible (exclusions win).
    pub excluded_sku_ids: Vec<String>,
}

/// What a coupon gives (membership `CouponRule`), amounts in fen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CouponRule {
    /// The kind.
    pub kind: CouponKind,
    /// Minimum eligible amount (门槛); 0 = none.
    pub threshold: Fen,
    /// AMOUNT_OFF: the amount off.
    pub amount_off: Fen,
    /// PERCENT_OFF: the share paid, bps (8000 = 8折).
    pub percent_bps: i32,
    /// PERCENT_OFF and FREE_SHIPPING: cap of the discount.
    pub max_discount: Option<Fen>,
    /// EXCHANGE: the gift SKU.
    pub gift_sku_id: String,
    /// EXCHANGE: units made free.
    pub gift_quantity: i32,
    /// How it combines.
    pub stacking: Stacking,
    /// The goods it covers.
    pub scope: CouponScope,
}

/// Points asked for and the ledger policy that rules them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PointsRequest {
    /// Points the consumer wants to use, ≥ 0.
    pub requested: i64,
    /// The tenant's rules.
    pub policy: PointsPolicy,
}

/// The points part of membership's `LedgerPolicy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PointsPolicy {
    /// Points that make 1 CNY (`points_per_yuan`), > 0 when points are used.
    pub points_per_yuan: i64,
    /// Cap as a share of the goods amount after coupons (`max_points_deduction_bps`); 0 = off.
    pub max_deduction_bps: i32,
    /// Fewer points than this are not used (`min_points_per_order`); 0 = no minimum.
    pub min_points: i64,
}

/// Stored value asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredValueRequest {
    /// Fen the consumer wants to pay with stored value, ≥ 0.
    pub requested: Fen,
    /// Whether the tenant accepts stored value (`LedgerPolicy.stored_value_enabled`).
    pub enabled: bool,
    /// The member's balance when the caller knows it; the hold at checkout is the real check.
    pub balance: Option<Fen>,
}

/// How the goods reach the consumer (orders `FulfilmentMode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FulfilmentMode {
    /// Parcel delivery (快递).
    #[default]
    Delivery,
    /// Store pickup (到店自提).
    StorePickup,
    /// Same-city delivery (同城配送).
    SameCity,
}

/// The chosen fulfilment, reduced to what prices it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fulfilment {
    /// The mode.
    pub mode: FulfilmentMode,
    /// The store (pickup store, dispatching store or storefront).
    pub store_id: String,
    /// The address's province (DELIVERY), as in `Address.province`.
    pub province: String,
    /// SAME_CITY: straight-line distance from the store to the address, metres.
    pub distance_meters: Option<i32>,
}

/// The tenant's shipping rules (orders `OrderSettings`: delivery, same_city, pickup).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShippingSettings {
    /// Parcel delivery.
    pub delivery: DeliveryRule,
    /// Same-city delivery.
    pub same_city: SameCityRule,
    /// Store pickup.
    pub pickup: PickupRule,
}

/// Parcel delivery fees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryRule {
    /// Offered at all.
    pub enabled: bool,
    /// Flat fee per order.
    pub fee: Fen,
    /// Free when goods_net_total reaches it; 0 = never free by amount.
    pub free_threshold: Fen,
    /// Per-province overrides.
    pub regions: Vec<RegionRule>,
}

/// A province's delivery override.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegionRule {
    /// Province name as in `Address.province`.
    pub province: String,
    /// Fee for this province.
    pub fee: Fen,
    /// Threshold for this province; `None` = the default one, `Some(0)` = never free.
    pub free_threshold: Option<Fen>,
    /// No delivery to this province.
    pub not_deliverable: bool,
}

/// Same-city delivery fees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SameCityRule {
    /// Offered at all.
    pub enabled: bool,
    /// Farthest address served, metres.
    pub max_distance_meters: i32,
    /// Fee bands, ascending by distance.
    pub bands: Vec<DistanceBand>,
    /// Minimum goods_net_total (起送价); 0 = none.
    pub minimum_order: Fen,
    /// Free when goods_net_total reaches it; 0 = never free by amount.
    pub free_threshold: Fen,
}

/// Addresses up to `up_to_meters` away pay `fee`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DistanceBand {
    /// Upper bound of the band, metres.
    pub up_to_meters: i32,
    /// The band's fee.
    pub fee: Fen,
}

/// Store pickup.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PickupRule {
    /// Offered at all.
    pub enabled: bool,
    /// 到店自提减, in the PROMOTION step; 0 = none.
    pub pickup_discount: Fen,
    /// Goods amount needed for the pickup discount; 0 = always.
    pub pickup_discount_threshold: Fen,
}
