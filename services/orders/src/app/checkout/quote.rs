//! The quote: what the consumer asked to buy, gathered from the peers (the member and tier,
//! catalog's prices, the member's coupons, the ledger policy) and the tenant's settings into one
//! [`PricingInput`], then priced by the one pricing function. Quote answers it; checkout prices
//! the same way and compares.

use std::collections::HashSet;

use siyu_core::{Ctx, TenantId};
use siyu_proto::common::v1 as common;
use siyu_proto::membership::v1 as membership;
use tonic::Code;
use uuid::Uuid;

use crate::AppError;
use crate::app::App;
use crate::app::carts::{self, Fulfilment, FulfilmentMode};
use crate::app::orders::model::OrderKind;
use crate::app::pricing::{self, PricingInput};
use crate::peers::refusal;

/// The most lines an order has.
pub const MAX_LINES: usize = 50;

/// What to buy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The selected lines of the caller's cart.
    Cart,
    /// Explicit (SKU, quantity) lines, each SKU once.
    Lines(Vec<(Uuid, i32)>),
    /// A stored-value top-up plan (储值充值): a STORED_VALUE_TOP_UP order.
    TopUp {
        /// Membership's top-up plan id.
        plan_id: Uuid,
    },
    /// A paid-membership plan (付费会员): a PAID_MEMBERSHIP order.
    PaidPlan {
        /// Membership's paid plan id.
        plan_id: Uuid,
        /// Whether the member opts into auto-renew (passed on at activation).
        auto_renew: bool,
    },
}

impl Source {
    /// The kind of order the source makes.
    pub fn kind(&self) -> OrderKind {
        match self {
            Self::Cart | Self::Lines(_) => OrderKind::Goods,
            Self::TopUp { .. } => OrderKind::StoredValueTopUp,
            Self::PaidPlan { .. } => OrderKind::PaidMembership,
        }
    }
}

/// A quote request, decoded.
#[derive(Debug, Clone)]
pub struct QuoteRequest {
    /// What to buy.
    pub source: Source,
    /// The fulfilment (for the cart: the cart's when absent).
    pub fulfilment: Option<Fulfilment>,
    /// The channel number (`siyu.common.v1.Channel`).
    pub channel: i32,
    /// Coupons asked for.
    pub coupon_ids: Vec<String>,
    /// Pick the best coupons (quote only).
    pub auto_select_coupons: bool,
    /// Points asked for.
    pub points: i64,
    /// Stored value asked for, fen.
    pub stored_value_fen: i64,
}

/// The buyer as checkout needs them.
#[derive(Debug, Clone, Default)]
pub struct Buyer {
    /// The identity user.
    pub user_id: Uuid,
    /// The member, when enrolled.
    pub member_id: Option<Uuid>,
    /// The tier code prices are asked for.
    pub tier_code: String,
    /// The tier's discount, basis points.
    pub tier_discount_bps: i32,
    /// The member's current exclusive guide (专属导购), if any.
    pub guide_id: Option<String>,
}

/// A priced request: the quote and everything checkout takes from it.
#[derive(Debug, Clone)]
pub struct Priced {
    /// What the order sells.
    pub kind: OrderKind,
    /// The buyer.
    pub buyer: Buyer,
    /// The fulfilment priced.
    pub fulfilment: Fulfilment,
    /// What was priced.
    pub input: PricingInput,
    /// The answer.
    pub quote: pricing::quote::Quote,
    /// The cart line ids bought (cart source), to take out of the cart with the order.
    pub cart_lines: Vec<Uuid>,
}

impl App {
    /// The buyer: member, tier and exclusive guide (`None` member when not enrolled).
    pub async fn buyer(&self, tenant: TenantId, user_id: Uuid) -> Result<Buyer, AppError> {
        let request = self
            .peers
            .request(
                "membership",
                tenant,
                membership::GetMemberByUserRequest {
                    user_id: user_id.to_string(),
                },
                None,
            )
            .await?;
        let mut client = membership::member_service_client::MemberServiceClient::new(
            self.peers.membership.clone(),
        );
        match client.get_member_by_user(request).await {
            Ok(reply) => {
                let Some(m) = reply.into_inner().member else {
                    return Ok(Buyer {
                        user_id,
                        ..Buyer::default()
                    });
                };
                let tier = m.tier.unwrap_or_default();
                Ok(Buyer {
                    user_id,
                    member_id: m.member_id.parse().ok(),
                    tier_code: tier.tier_code,
                    tier_discount_bps: tier.discount_bps,
                    guide_id: m
                        .guide
                        .filter(|g| g.unbound_at.is_none() && !g.guide_id.is_empty())
                        .map(|g| g.guide_id),
                })
            }
            Err(status) if status.code() == Code::NotFound => Ok(Buyer {
                user_id,
                ..Buyer::default()
            }),
            Err(status) => Err(refusal("membership", &status)),
        }
    }

    /// Prices `request` for the calling consumer.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn quote(&self, ctx: &Ctx, request: &QuoteRequest) -> Result<Priced, AppError> {
        let user_id = carts::consumer(ctx)?;
        let tenant = ctx.tenant;
        let buyer = self.buyer(tenant, user_id).await?;
        if request.source.kind() != OrderKind::Goods {
            return self.price_plan(tenant, &request.source, buyer).await;
        }
        let wants_member = !request.coupon_ids.is_empty()
            || request.auto_select_coupons
            || request.points > 0
            || request.stored_value_fen > 0;
        let Some(member_id) = buyer.member_id.filter(|_| wants_member).or(buyer.member_id) else {
            if wants_member {
                return Err(AppError::MemberRequired);
            }
            return self.price_goods(ctx, request, buyer, None).await;
        };
        self.price_goods(ctx, request, buyer, Some(member_id)).await
    }

    async fn price_goods(
        &self,
        ctx: &Ctx,
        request: &QuoteRequest,
        buyer: Buyer,
        member_id: Option<Uuid>,
    ) -> Result<Priced, AppError> {
        let tenant = ctx.tenant;
        // The lines and the fulfilment: the request's, or the cart's.
        let (wanted, cart_lines, fulfilment) = match &request.source {
            Source::Lines(lines) => {
                let fulfilment = request
                    .fulfilment
                    .clone()
                    .ok_or_else(|| AppError::invalid("input.fulfilment", "required"))?;
                (lines.clone(), Vec::new(), fulfilment)
            }
            Source::Cart => {
                let cart = crate::repo::carts::get(&self.db, tenant, buyer.user_id, false)
                    .await?
                    .unwrap_or_else(|| carts::StoredCart::empty(buyer.user_id));
                let selected: Vec<_> = cart.lines.iter().filter(|l| l.selected).collect();
                if selected.is_empty() {
                    return Err(AppError::CartEmpty);
                }
                let fulfilment = request
                    .fulfilment
                    .clone()
                    .unwrap_or_else(|| cart.fulfilment.clone());
                (
                    selected.iter().map(|l| (l.sku_id, l.quantity)).collect(),
                    selected.iter().map(|l| l.id).collect(),
                    fulfilment,
                )
            }
            Source::TopUp { .. } | Source::PaidPlan { .. } => {
                return Err(AppError::Internal("a plan priced as goods".into()));
            }
        };
        check_fulfilment(&fulfilment)?;
        let tier = member_id.map(|m| carts::peers::Tier {
            member_id: m.to_string(),
            tier_code: buyer.tier_code.clone(),
            discount_bps: buyer.tier_discount_bps,
        });
        let skus: Vec<Uuid> = wanted.iter().map(|(s, _)| *s).collect();
        let prices = self
            .price_skus(tenant, fulfilment.store_id, tier.as_ref(), &skus)
            .await?;
        let mut goods = Vec::new();
        let mut bought_cart_lines = Vec::new();
        for (i, (sku, quantity)) in wanted.iter().enumerate() {
            let Some(p) = prices.get(sku) else {
                if matches!(request.source, Source::Cart) {
                    continue;
                }
                return Err(AppError::SkuNotFound(*sku));
            };
            // A SKU without a list price (划线价) lists at its unit price.
            let Some(unit) = &p.unit_price else {
                return Err(AppError::PeerUnavailable {
                    service: "catalog",
                    detail: format!("no price for {sku}"),
                });
            };
            let list = p.list_price.as_ref().unwrap_or(unit);
            if !p.sellable {
                if matches!(request.source, Source::Cart) {
                    continue;
                }
                return Err(AppError::SkuNotSellable {
                    sku_id: *sku,
                    reason: p.unsellable_reason.clone(),
                });
            }
            if let Some(line) = cart_lines.get(i) {
                bought_cart_lines.push(*line);
            }
            goods.push(pricing::input::GoodsLine {
                cart_line_id: cart_lines.get(i).map(Uuid::to_string).unwrap_or_default(),
                sku_id: sku.to_string(),
                product_id: p.product_id.clone(),
                title: p.title.clone(),
                image_url: p.image_url.clone(),
                category_ids: p.category_ids.clone(),
                quantity: *quantity,
                list_unit_price: list.minor_units.max(unit.minor_units),
                unit_price: unit.minor_units,
                flash_sale: None,
            });
        }
        if goods.is_empty() {
            return Err(AppError::CartEmpty);
        }
        let settings = self.order_settings(&self.db, tenant).await?;
        let mut input = PricingInput {
            goods: pricing::input::Goods::Lines(goods),
            coupon_ids: request.coupon_ids.clone(),
            auto_select_coupons: request.auto_select_coupons,
            fulfilment: Some(self.pricing_fulfilment(tenant, &fulfilment).await?),
            shipping: shipping_settings(&settings),
            ..PricingInput::default()
        };
        if let Some(member) = member_id {
            if !request.coupon_ids.is_empty() || request.auto_select_coupons {
                input.coupons = self
                    .member_coupons(tenant, member, &input, &fulfilment, request.channel)
                    .await?;
            }
            if request.points > 0 || request.stored_value_fen > 0 {
                let policy = self.ledger_policy(tenant).await?;
                input.points = pricing::input::PointsRequest {
                    requested: request.points,
                    policy: pricing::input::PointsPolicy {
                        points_per_yuan: policy.points_per_yuan,
                        max_deduction_bps: policy.max_points_deduction_bps,
                        min_points: policy.min_points_per_order,
                    },
                };
                if request.stored_value_fen > 0 && !policy.stored_value_enabled {
                    return Err(AppError::StoredValueDisabled);
                }
                input.stored_value = pricing::input::StoredValueRequest {
                    requested: request.stored_value_fen,
                    enabled: policy.stored_value_enabled,
                    balance: None,
                };
            }
        }
        let quote = pricing::price(&input).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Priced {
            kind: OrderKind::Goods,
            buyer,
            fulfilment,
            input,
            quote,
            cart_lines: bought_cart_lines,
        })
    }

    /// The fulfilment as pricing sees it: the address's province and, for same-city, the
    /// distance from the store.
    async fn pricing_fulfilment(
        &self,
        tenant: TenantId,
        f: &Fulfilment,
    ) -> Result<pricing::input::Fulfilment, AppError> {
        let mode = match f.mode {
            FulfilmentMode::StorePickup => pricing::input::FulfilmentMode::StorePickup,
            FulfilmentMode::SameCity => pricing::input::FulfilmentMode::SameCity,
            FulfilmentMode::Delivery | FulfilmentMode::Unspecified => {
                pricing::input::FulfilmentMode::Delivery
            }
        };
        let mut distance_meters = None;
        if let (FulfilmentMode::SameCity, Some(store)) = (f.mode, f.store_id) {
            let at = f.address.as_ref().and_then(|a| a.location);
            let place = self.store(tenant, store).await?;
            if let (Some(at), Some(place)) = (at, place.and_then(|s| s.location)) {
                let d = carts::distance_meters((at.latitude, at.longitude), place);
                distance_meters = Some(d.round().min(f64::from(i32::MAX)) as i32);
            }
        }
        Ok(pricing::input::Fulfilment {
            mode,
            store_id: f.store_id.map(|s| s.to_string()).unwrap_or_default(),
            province: f
                .address
                .as_ref()
                .map(|a| a.province.clone())
                .unwrap_or_default(),
            distance_meters,
        })
    }

    /// The member's coupons with membership's verdict for these goods.
    async fn member_coupons(
        &self,
        tenant: TenantId,
        member: Uuid,
        input: &PricingInput,
        fulfilment: &Fulfilment,
        channel: i32,
    ) -> Result<Vec<pricing::input::MemberCoupon>, AppError> {
        let pricing::input::Goods::Lines(lines) = &input.goods else {
            return Ok(Vec::new());
        };
        let context = order_context(lines, fulfilment, channel);
        let request = self
            .peers
            .request(
                "membership",
                tenant,
                membership::ListUsableCouponsRequest {
                    member_id: member.to_string(),
                    context: Some(context),
                },
                None,
            )
            .await?;
        let reply = membership::coupon_service_client::CouponServiceClient::new(
            self.peers.membership.clone(),
        )
        .list_usable_coupons(request)
        .await
        .map_err(|s| refusal("membership", &s))?
        .into_inner();
        Ok(reply
            .coupons
            .iter()
            .map(crate::grpc::pricing::member_coupon)
            .collect())
    }

    /// The tenant's ledger policy (membership).
    pub(super) async fn ledger_policy(
        &self,
        tenant: TenantId,
    ) -> Result<membership::LedgerPolicy, AppError> {
        let request = self
            .peers
            .request(
                "membership",
                tenant,
                membership::GetLedgerPolicyRequest {},
                None,
            )
            .await?;
        let reply = membership::ledger_service_client::LedgerServiceClient::new(
            self.peers.membership.clone(),
        )
        .get_ledger_policy(request)
        .await
        .map_err(|s| refusal("membership", &s))?
        .into_inner();
        Ok(reply.policy.unwrap_or(membership::LedgerPolicy {
            points_per_yuan: reply.points_per_yuan,
            max_points_deduction_bps: reply.max_points_deduction_bps,
            stored_value_enabled: reply.stored_value_enabled,
            ..membership::LedgerPolicy::default()
        }))
    }
}

/// The order as membership's coupon rules read it.
pub fn order_context(
    lines: &[pricing::input::GoodsLine],
    fulfilment: &Fulfilment,
    channel: i32,
) -> membership::OrderContext {
    membership::OrderContext {
        store_id: fulfilment
            .store_id
            .map(|s| s.to_string())
            .unwrap_or_default(),
        channel,
        lines: lines
            .iter()
            .map(|l| membership::OrderContextLine {
                sku_id: l.sku_id.clone(),
                category_ids: l.category_ids.clone(),
                quantity: l.quantity,
                subtotal: Some(common::Money {
                    minor_units: l.unit_price * i64::from(l.quantity),
                    currency_code: "CNY".into(),
                }),
            })
            .collect(),
        shipping_fee: None,
        in_store: false,
    }
}

/// A goods order needs a mode; a store for pickup and same-city; an address for delivery.
fn check_fulfilment(f: &Fulfilment) -> Result<(), AppError> {
    match f.mode {
        FulfilmentMode::Unspecified => Err(AppError::invalid("input.fulfilment.mode", "required")),
        FulfilmentMode::StorePickup if f.store_id.is_none() => Err(AppError::invalid(
            "input.fulfilment.store_id",
            "required for store pickup",
        )),
        FulfilmentMode::SameCity if f.store_id.is_none() => Err(AppError::invalid(
            "input.fulfilment.store_id",
            "required for same-city delivery",
        )),
        FulfilmentMode::Delivery | FulfilmentMode::SameCity if f.address.is_none() => Err(
            AppError::invalid("input.fulfilment.address", "required for delivery"),
        ),
        _ => Ok(()),
    }
}

/// The tenant's shipping and pickup rules as pricing reads them.
fn shipping_settings(s: &crate::app::settings::OrderSettings) -> pricing::input::ShippingSettings {
    use pricing::input as p;
    p::ShippingSettings {
        delivery: p::DeliveryRule {
            enabled: s.delivery.enabled,
            fee: s.delivery.fee,
            free_threshold: s.delivery.free_threshold,
            regions: s
                .delivery
                .regions
                .iter()
                .map(|r| p::RegionRule {
                    province: r.province.clone(),
                    fee: r.fee,
                    free_threshold: r.free_threshold,
                    not_deliverable: r.not_deliverable,
                })
                .collect(),
        },
        same_city: p::SameCityRule {
            enabled: s.same_city.enabled,
            max_distance_meters: match s.same_city.max_distance_meters {
                0 => i32::MAX,
                m => m,
            },
            bands: if s.same_city.bands.is_empty() {
                // No bands set: free up to the radius (a radius of 0 has no limit).
                vec![p::DistanceBand {
                    up_to_meters: match s.same_city.max_distance_meters {
                        0 => i32::MAX,
                        m => m,
                    },
                    fee: 0,
                }]
            } else {
                s.same_city
                    .bands
                    .iter()
                    .map(|b| p::DistanceBand {
                        up_to_meters: b.up_to_meters,
                        fee: b.fee,
                    })
                    .collect()
            },
            minimum_order: s.same_city.minimum_order,
            free_threshold: s.same_city.free_threshold,
        },
        pickup: p::PickupRule {
            enabled: s.pickup.enabled,
            pickup_discount: s.pickup.pickup_discount,
            pickup_discount_threshold: s.pickup.pickup_discount_threshold,
        },
    }
}

/// Distinct SKUs of direct lines (duplicates are refused).
pub fn distinct_skus(lines: &[(Uuid, i32)]) -> bool {
    let mut seen = HashSet::new();
    lines.iter().all(|(s, _)| seen.insert(*s))
}
