//! What carts ask other services: the consumer's member tier (membership), indicative prices and
//! sellability (catalog PriceSkus) and the chosen store (identity's org unit).

use std::collections::HashMap;

use siyu_core::TenantId;
use siyu_proto::catalog::v1 as catalog;
use siyu_proto::common::v1::Channel;
use siyu_proto::identity::v1 as identity;
use siyu_proto::membership::v1 as membership;
use tonic::Code;
use uuid::Uuid;

use crate::AppError;
use crate::app::App;
use crate::peers::refusal;

/// The consumer's membership as prices see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// The member id.
    pub member_id: String,
    /// The tier code PriceSkus takes.
    pub tier_code: String,
    /// The tier's discount in basis points (0 or 10000: none).
    pub discount_bps: i32,
}

/// An amount of money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// Minor units (fen).
    pub minor_units: i64,
    /// ISO 4217 code.
    pub currency: String,
}

/// Catalog's current price and sellability of a SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuPrice {
    /// The product (SPU).
    pub product_id: String,
    /// Display title.
    pub title: String,
    /// Image URL.
    pub image_url: String,
    /// The final unit price, when catalog gave one.
    pub unit_price: Option<Money>,
    /// The list price, when catalog gave one.
    pub list_price: Option<Money>,
    /// Sellable for the store and channel.
    pub sellable: bool,
    /// Catalog's reason when not sellable.
    pub unsellable_reason: String,
    /// The SKU's category and its ancestors (coupon scope).
    pub category_ids: Vec<String>,
}

/// A store as the cart's fulfilment needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    /// Active (not disabled) and of type STORE.
    pub active_store: bool,
    /// Offers store pickup.
    pub pickup: bool,
    /// Ships same-city orders.
    pub same_city: bool,
    /// Location (latitude, longitude), when known.
    pub location: Option<(f64, f64)>,
}

fn money(m: Option<siyu_proto::common::v1::Money>) -> Option<Money> {
    m.map(|m| Money {
        minor_units: m.minor_units,
        currency: m.currency_code,
    })
}

/// Most SKUs one PriceSkus call takes.
const PRICE_BATCH: usize = 200;

impl App {
    /// The member tier of `user`: `None` when not enrolled.
    ///
    /// # Errors
    /// `PeerUnavailable` (or a refusal) when membership cannot answer.
    pub async fn tier_of(&self, tenant: TenantId, user: Uuid) -> Result<Option<Tier>, AppError> {
        let request = self
            .peers
            .request(
                "membership",
                tenant,
                membership::GetMemberByUserRequest {
                    user_id: user.to_string(),
                },
                None,
            )
            .await?;
        let mut client = membership::member_service_client::MemberServiceClient::new(
            self.peers.membership.clone(),
        );
        match client.get_member_by_user(request).await {
            Ok(reply) => Ok(reply.into_inner().member.map(|m| {
                let tier = m.tier.unwrap_or_default();
                Tier {
                    member_id: m.member_id,
                    tier_code: tier.tier_code,
                    discount_bps: tier.discount_bps,
                }
            })),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(refusal("membership", &status)),
        }
    }

    /// Catalog's prices of `skus` for `store` (none: online), `tier` and the mini-program
    /// channel; SKUs catalog does not know are absent from the map.
    ///
    /// # Errors
    /// `PeerUnavailable` (or a refusal) when catalog cannot answer.
    pub async fn price_skus(
        &self,
        tenant: TenantId,
        store: Option<Uuid>,
        tier: Option<&Tier>,
        skus: &[Uuid],
    ) -> Result<HashMap<Uuid, SkuPrice>, AppError> {
        let mut prices = HashMap::new();
        for batch in skus.chunks(PRICE_BATCH) {
            let message = catalog::PriceSkusRequest {
                sku_ids: batch.iter().map(Uuid::to_string).collect(),
                store_id: store.map(|s| s.to_string()).unwrap_or_default(),
                tier_code: tier.map(|t| t.tier_code.clone()).unwrap_or_default(),
                // Tokens do not carry the session's app: carts price for the mini-program.
                channel: Channel::MiniProgram as i32,
                tier_discount_bps: tier.map_or(0, |t| t.discount_bps),
            };
            let request = self.peers.request("catalog", tenant, message, None).await?;
            let mut client =
                catalog::price_service_client::PriceServiceClient::new(self.peers.catalog.clone());
            let reply = client
                .price_skus(request)
                .await
                .map_err(|s| refusal("catalog", &s))?
                .into_inner();
            for p in reply.prices {
                let Ok(id) = Uuid::parse_str(&p.sku_id) else {
                    continue;
                };
                prices.insert(
                    id,
                    SkuPrice {
                        product_id: p.product_id,
                        title: p.title,
                        image_url: p.image_url,
                        unit_price: money(p.unit_price),
                        list_price: money(p.list_price),
                        sellable: p.sellable,
                        unsellable_reason: p.unsellable_reason,
                        category_ids: p.category_ids,
                    },
                );
            }
        }
        Ok(prices)
    }

    /// The org unit `store` of the tenant: `None` when identity does not know it.
    ///
    /// # Errors
    /// `PeerUnavailable` (or a refusal) when identity cannot answer.
    pub async fn store(&self, tenant: TenantId, store: Uuid) -> Result<Option<Store>, AppError> {
        let request = self
            .peers
            .request(
                "identity",
                tenant,
                identity::GetOrgUnitRequest {
                    org_unit_id: store.to_string(),
                },
                None,
            )
            .await?;
        let mut client =
            identity::org_service_client::OrgServiceClient::new(self.peers.identity.clone());
        match client.get_org_unit(request).await {
            Ok(reply) => Ok(reply.into_inner().org_unit.map(|u| {
                let profile = u.store.clone().unwrap_or_default();
                Store {
                    active_store: u.r#type == identity::OrgUnitType::Store as i32
                        && u.status == identity::OrgUnitStatus::Active as i32,
                    pickup: profile.pickup_enabled,
                    same_city: profile.same_city_delivery_enabled,
                    location: profile.geo.map(|g| (g.latitude, g.longitude)),
                }
            })),
            Err(status) if matches!(status.code(), Code::NotFound | Code::InvalidArgument) => {
                Ok(None)
            }
            Err(status) => Err(refusal("identity", &status)),
        }
    }
}
