//! What the pricing function answers: priced lines with every allocation, the eight steps, the
//! totals, the coupons considered, and how points and shipping were computed. Amounts in fen.

use super::Fen;
use super::input::CouponKind;

/// The result of [`super::price`]; see `siyu.orders.v1.Quote`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quote {
    /// The lines in input order.
    pub lines: Vec<PricedLine>,
    /// LIST → MEMBER_PRICE → PROMOTION → COUPON → POINTS → STORED_VALUE → SHIPPING → PAYABLE.
    pub steps: Vec<PriceStep>,
    /// The totals.
    pub amounts: PriceAmounts,
    /// The coupons applied, in application order.
    pub applied_coupon_ids: Vec<String>,
    /// Every coupon of the member, best first.
    pub coupon_options: Vec<CouponOption>,
    /// How the points deduction was computed.
    pub points: PointsQuote,
    /// How the shipping fee was computed.
    pub shipping: ShippingQuote,
    /// What was adjusted or left out.
    pub notices: Vec<Notice>,
}

/// One priced line (`PricedLine`). Per line: list_subtotal − member_discount = subtotal;
/// subtotal − promotion_discount − coupon_discount = net_amount;
/// net_amount = points_deduction + stored_value_amount + cash_amount.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PricedLine {
    /// The cart line id, empty for direct lines and plans.
    pub cart_line_id: String,
    /// The SKU; empty for a plan.
    pub sku_id: String,
    /// The product; empty for a plan.
    pub product_id: String,
    /// Title (or plan name).
    pub title: String,
    /// Image URL.
    pub image_url: String,
    /// Category ids with ancestors.
    pub category_ids: Vec<String>,
    /// Quantity.
    pub quantity: i32,
    /// List price per unit.
    pub list_unit_price: Fen,
    /// Catalog unit price per unit.
    pub unit_price: Fen,
    /// list_unit_price × quantity.
    pub list_subtotal: Fen,
    /// list_subtotal − subtotal.
    pub member_discount: Fen,
    /// unit_price × quantity.
    pub subtotal: Fen,
    /// Promotions (flash sale, pickup discount) on this line.
    pub promotion_discount: Fen,
    /// Goods coupons on this line.
    pub coupon_discount: Fen,
    /// What the line sells for.
    pub net_amount: Fen,
    /// Points deduction on this line.
    pub points_deduction: Fen,
    /// Points on this line.
    pub points_used: i64,
    /// Stored value on this line.
    pub stored_value_amount: Fen,
    /// Paid through the PSP for this line.
    pub cash_amount: Fen,
    /// This line's share of every adjustment (member price excluded).
    pub allocations: Vec<LineAllocation>,
    /// The plan bought (non-goods line only).
    pub plan_id: String,
}

/// The kinds of adjustment (`AdjustmentKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdjustmentKind {
    /// List price → unit price.
    MemberPrice,
    /// A promotion.
    Promotion,
    /// 到店自提减.
    PickupDiscount,
    /// A goods coupon.
    Coupon,
    /// Points deduction.
    Points,
    /// Stored value.
    StoredValue,
    /// The shipping fee.
    ShippingFee,
    /// A shipping discount (threshold or coupon).
    ShippingDiscount,
    /// A flash-sale price.
    FlashSale,
}

/// One order-level adjustment (`PriceAdjustment`); its line shares sum to `amount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceAdjustment {
    /// What it is.
    pub kind: AdjustmentKind,
    /// Coupon, promotion or flash sale id; empty when the kind has none.
    pub source_id: String,
    /// Display label.
    pub label: String,
    /// Magnitude, ≥ 0.
    pub amount: Fen,
    /// POINTS: the points spent.
    pub points: i64,
}

/// One line's share of one adjustment (`LineAllocation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAllocation {
    /// The adjustment's kind.
    pub kind: AdjustmentKind,
    /// The adjustment's source id.
    pub source_id: String,
    /// This line's share, ≥ 0.
    pub amount: Fen,
    /// POINTS: this line's points.
    pub points: i64,
}

/// The steps in the order they apply (`PriceStepKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Σ list subtotal.
    List,
    /// List → unit price.
    MemberPrice,
    /// Promotions and the pickup discount.
    Promotion,
    /// Goods coupons.
    Coupon,
    /// Points deduction.
    Points,
    /// Stored value.
    StoredValue,
    /// Shipping fee minus shipping discounts.
    Shipping,
    /// What is left to pay.
    Payable,
}

impl StepKind {
    /// The eight steps, in order.
    pub const ALL: [StepKind; 8] = [
        Self::List,
        Self::MemberPrice,
        Self::Promotion,
        Self::Coupon,
        Self::Points,
        Self::StoredValue,
        Self::Shipping,
        Self::Payable,
    ];

    /// The receipt label.
    pub fn label(self) -> &'static str {
        match self {
            Self::List => "商品金额",
            Self::MemberPrice => "会员价",
            Self::Promotion => "优惠",
            Self::Coupon => "优惠券",
            Self::Points => "积分抵扣",
            Self::StoredValue => "储值",
            Self::Shipping => "运费",
            Self::Payable => "应付",
        }
    }
}

/// One step of the breakdown (`PriceStep`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceStep {
    /// Which step.
    pub kind: StepKind,
    /// Receipt label.
    pub label: String,
    /// Signed change (LIST: the list total itself).
    pub delta: Fen,
    /// The amount after this step.
    pub running_total: Fen,
    /// The adjustments that make up `delta`.
    pub adjustments: Vec<PriceAdjustment>,
}

/// The totals (`PriceAmounts`). goods_total = goods_list_total − member_discount;
/// goods_net_total = goods_total − promotion_discount − coupon_discount; payable =
/// goods_net_total − points_deduction − stored_value_amount + shipping_fee − shipping_discount.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PriceAmounts {
    /// Σ list_subtotal.
    pub goods_list_total: Fen,
    /// Σ member_discount.
    pub member_discount: Fen,
    /// Σ subtotal.
    pub goods_total: Fen,
    /// Σ promotion_discount.
    pub promotion_discount: Fen,
    /// Σ coupon_discount.
    pub coupon_discount: Fen,
    /// Σ net_amount.
    pub goods_net_total: Fen,
    /// Points deduction.
    pub points_deduction: Fen,
    /// Points spent.
    pub points_used: i64,
    /// Stored value used.
    pub stored_value_amount: Fen,
    /// Shipping fee before discounts.
    pub shipping_fee: Fen,
    /// Shipping discounts, ≤ shipping_fee.
    pub shipping_discount: Fen,
    /// To pay through the PSP, ≥ 0.
    pub payable: Fen,
}

/// A coupon of the member as this quote sees it (`CouponOption`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponOption {
    /// Coupon id.
    pub coupon_id: String,
    /// Display name.
    pub name: String,
    /// The kind.
    pub kind: CouponKind,
    /// Whether it can apply to these goods (with the coupons applied).
    pub usable: bool,
    /// Why not: membership's reason, or NOT_STACKABLE, KIND_NOT_SUPPORTED, THRESHOLD_NOT_MET,
    /// NO_ELIGIBLE_LINES, NO_SHIPPING as orders found them.
    pub unusable_reason: String,
    /// Applied in this quote.
    pub applied: bool,
    /// Its discount in this quote (0 when not applied).
    pub discount: Fen,
    /// End of validity, ms since the epoch.
    pub expires_at_ms: Option<i64>,
}

/// How the points deduction was computed (`PointsQuote`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PointsQuote {
    /// Points asked for.
    pub requested: i64,
    /// Points used after cap, rounding and minimum.
    pub used: i64,
    /// floor(used × 100 / points_per_yuan) fen.
    pub deduction: Fen,
    /// Points per CNY.
    pub points_per_yuan: i64,
    /// Cap, bps of the goods amount after coupons.
    pub max_deduction_bps: i32,
    /// The cap for this order, fen.
    pub max_deduction: Fen,
    /// The cap for this order, points (whole fen).
    pub max_points: i64,
    /// Minimum points per order.
    pub min_points: i64,
}

/// How shipping was computed (`ShippingQuote`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShippingQuote {
    /// Whether the fulfilment can serve this order.
    pub deliverable: bool,
    /// NOT_DELIVERABLE_REGION, SAME_CITY_OUT_OF_RANGE, BELOW_MINIMUM_ORDER,
    /// FULFILMENT_MODE_DISABLED; empty when deliverable.
    pub undeliverable_reason: String,
    /// The fee before discounts.
    pub fee: Fen,
    /// Discounts on the fee.
    pub discount: Fen,
    /// The free-shipping threshold that applies, if any.
    pub free_threshold: Option<Fen>,
    /// More goods_net_total needed for free shipping (凑单); 0 when free or no threshold.
    pub amount_to_free_shipping: Fen,
    /// Same-city distance, metres.
    pub distance_meters: i32,
}

/// A note on how the input was adjusted (`QuoteNotice`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Stable code, e.g. POINTS_CAPPED.
    pub code: String,
    /// Human message.
    pub message: String,
    /// The SKU concerned, if any.
    pub sku_id: String,
    /// The coupon concerned, if any.
    pub coupon_id: String,
}

impl Notice {
    /// A notice with no SKU or coupon.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            sku_id: String::new(),
            coupon_id: String::new(),
        }
    }

    /// A notice about coupon `coupon_id`.
    pub fn coupon(code: &str, message: impl Into<String>, coupon_id: &str) -> Self {
        Self {
            coupon_id: coupon_id.to_owned(),
            ..Self::new(code, message)
        }
    }
}
