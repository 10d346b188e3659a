//! Carts: one per consumer and tenant, lines kept per SKU, with indicative prices.
//!
//! - **One mutation at a time per cart.** Every mutation locks the cart's row first (creating it
//!   when it may add to the cart), so the 100-line limit holds under concurrent adds of
//!   different SKUs; the unique (tenant, user, sku) index makes an add of a SKU already in the
//!   cart increase that line, with the 999 limit checked in the same statement.
//! - **Prices are indicative.** Lines are priced by catalog's PriceSkus for the cart's store,
//!   the consumer's tier and the mini-program channel. A mutation is applied even when catalog
//!   or membership cannot be reached: its reply then carries no price fields. Only GetCart,
//!   whose whole point is the current prices, answers UNAVAILABLE then.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use siyu_core::{Ctx, PrincipalKind, TenantId};
use uuid::Uuid;

use crate::app::App;
use crate::app::settings::OrderSettings;
use crate::{AppError, repo};

pub mod peers;

pub use peers::{Money, SkuPrice, Store, Tier};

/// Most lines a cart holds.
pub const MAX_LINES: usize = 100;
/// Most units of one line.
pub const MAX_QUANTITY: i32 = 999;

/// How the goods of the cart reach the consumer (`siyu.orders.v1.FulfilmentMode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfilmentMode {
    /// Not chosen yet.
    #[default]
    Unspecified,
    /// Parcel delivery.
    Delivery,
    /// Store pickup.
    StorePickup,
    /// Same-city delivery from the store.
    SameCity,
}

impl FulfilmentMode {
    /// The wire name, for error metadata.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unspecified => "FULFILMENT_MODE_UNSPECIFIED",
            Self::Delivery => "FULFILMENT_MODE_DELIVERY",
            Self::StorePickup => "FULFILMENT_MODE_STORE_PICKUP",
            Self::SameCity => "FULFILMENT_MODE_SAME_CITY",
        }
    }

    /// Whether the mode takes a delivery address.
    pub fn needs_address(self) -> bool {
        matches!(self, Self::Delivery | Self::SameCity)
    }
}

/// A point in GCJ-02 coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude, degrees.
    pub latitude: f64,
    /// Longitude, degrees.
    pub longitude: f64,
}

/// A delivery address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
    /// District.
    pub district: String,
    /// Street and building.
    pub detail: String,
    /// Postal code.
    pub postal_code: String,
    /// Recipient.
    pub contact_name: String,
    /// Recipient's phone.
    pub contact_phone: String,
    /// Coordinates, when known.
    pub location: Option<GeoPoint>,
}

/// The cart's fulfilment choice, stored as JSON on the cart row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Fulfilment {
    /// The mode.
    pub mode: FulfilmentMode,
    /// The store.
    pub store_id: Option<Uuid>,
    /// The delivery address (delivery and same-city).
    pub address: Option<Address>,
    /// Who collects a pickup.
    pub pickup_contact_name: String,
    /// The collector's phone.
    pub pickup_contact_phone: String,
    /// Preferred window start, ms since the epoch.
    pub window_start_ms: Option<i64>,
    /// Preferred window end, ms since the epoch.
    pub window_end_ms: Option<i64>,
}

/// One SKU in the cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    /// Line id.
    pub id: Uuid,
    /// The SKU.
    pub sku_id: Uuid,
    /// Quantity, 1..999.
    pub quantity: i32,
    /// Selected for checkout.
    pub selected: bool,
    /// When the line was added.
    pub added_at_ms: i64,
}

/// A cart as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCart {
    /// The owner.
    pub user_id: Uuid,
    /// The fulfilment choice.
    pub fulfilment: Fulfilment,
    /// Lines, most recently added first.
    pub lines: Vec<CartLine>,
    /// Last change, ms since the epoch (0 for a cart that does not exist yet).
    pub updated_at_ms: i64,
}

impl StoredCart {
    /// The empty cart `user` has before anything was put in it.
    pub fn empty(user: Uuid) -> Self {
        Self {
            user_id: user,
            fulfilment: Fulfilment::default(),
            lines: Vec::new(),
            updated_at_ms: 0,
        }
    }

    fn skus(&self) -> Vec<Uuid> {
        self.lines.iter().map(|l| l.sku_id).collect()
    }
}

/// A cart with what catalog and membership say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct CartView {
    /// The cart.
    pub cart: StoredCart,
    /// The member id, when the consumer is enrolled (and membership answered).
    pub member_id: Option<String>,
    /// Prices per SKU; `None` when catalog or membership could not be asked.
    pub prices: Option<HashMap<Uuid, SkuPrice>>,
}

/// The tier prices are computed for: membership's answer, or why there is none.
pub type TierAnswer = Result<Option<Tier>, AppError>;

/// What SelectCartLines and RemoveCartLines apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lines {
    /// Every line.
    All,
    /// These lines (distinct).
    Ids(Vec<Uuid>),
}

/// The consumer calling a cart mutation.
pub fn consumer(ctx: &Ctx) -> Result<Uuid, AppError> {
    if ctx.principal.kind != PrincipalKind::Consumer {
        return Err(AppError::NotAConsumer);
    }
    user_of(ctx)
}

/// The user id of a consumer's token.
fn user_of(ctx: &Ctx) -> Result<Uuid, AppError> {
    Uuid::parse_str(&ctx.principal.subject)
        .map_err(|_| AppError::Internal("consumer subject is not a user id".into()))
}

/// Whose cart GetCart reads: a consumer's own; a service's named user.
pub fn reader(ctx: &Ctx, user_id: Option<Uuid>) -> Result<Uuid, AppError> {
    match ctx.principal.kind {
        PrincipalKind::Consumer => {
            let me = user_of(ctx)?;
            match user_id {
                Some(other) if other != me => Err(AppError::invalid(
                    "user_id",
                    "a consumer reads only their own cart",
                )),
                _ => Ok(me),
            }
        }
        PrincipalKind::Service => {
            user_id.ok_or_else(|| AppError::invalid("user_id", "required for a service"))
        }
        _ => Err(AppError::NotAConsumer),
    }
}

/// Straight-line distance between two points, metres (haversine).
pub fn distance_meters(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_000.0;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// Whether the tenant offers `mode`.
fn offered(settings: &OrderSettings, mode: FulfilmentMode) -> bool {
    match mode {
        FulfilmentMode::Unspecified => true,
        FulfilmentMode::Delivery => settings.delivery.enabled,
        FulfilmentMode::StorePickup => settings.pickup.enabled,
        FulfilmentMode::SameCity => settings.same_city.enabled,
    }
}

impl App {
    /// Prices `cart` for `tier`; `None` when catalog or membership cannot answer (logged).
    async fn priced(
        &self,
        tenant: TenantId,
        cart: &StoredCart,
        tier: &TierAnswer,
        extra: Option<Uuid>,
    ) -> Option<HashMap<Uuid, SkuPrice>> {
        let tier = match tier {
            Ok(t) => t.as_ref(),
            Err(e) => {
                tracing::warn!(error = %e, "cart left unpriced: no member tier");
                return None;
            }
        };
        let mut skus = cart.skus();
        if let Some(sku) = extra
            && !skus.contains(&sku)
        {
            skus.push(sku);
        }
        if skus.is_empty() {
            return Some(HashMap::new());
        }
        match self
            .price_skus(tenant, cart.fulfilment.store_id, tier, &skus)
            .await
        {
            Ok(prices) => Some(prices),
            Err(e) => {
                tracing::warn!(error = %e, "cart left unpriced");
                None
            }
        }
    }

    fn view(
        cart: StoredCart,
        tier: &TierAnswer,
        prices: Option<HashMap<Uuid, SkuPrice>>,
    ) -> CartView {
        let member_id = tier
            .as_ref()
            .ok()
            .and_then(|t| t.as_ref())
            .map(|t| t.member_id.clone());
        CartView {
            cart,
            member_id,
            prices,
        }
    }

    /// The cart again after a change, priced.
    async fn reread(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        user: Uuid,
        tier: &TierAnswer,
        prices: Option<Option<HashMap<Uuid, SkuPrice>>>,
    ) -> Result<CartView, AppError> {
        let cart = repo::carts::get(conn, tenant, user, false)
            .await?
            .unwrap_or_else(|| StoredCart::empty(user));
        let prices = match prices {
            Some(p) => p,
            None => self.priced(tenant, &cart, tier, None).await,
        };
        Ok(Self::view(cart, tier, prices))
    }

    /// GetCart: `user`'s cart with current prices (empty when none yet).
    ///
    /// # Errors
    /// UNAVAILABLE when catalog or membership cannot be asked.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn get_cart(&self, ctx: &Ctx, user: Uuid) -> Result<CartView, AppError> {
        let cart = repo::carts::get(&self.db, ctx.tenant, user, false)
            .await?
            .unwrap_or_else(|| StoredCart::empty(user));
        let tier = self.tier_of(ctx.tenant, user).await?;
        let prices = if cart.lines.is_empty() {
            HashMap::new()
        } else {
            self.price_skus(
                ctx.tenant,
                cart.fulfilment.store_id,
                tier.as_ref(),
                &cart.skus(),
            )
            .await?
        };
        Ok(Self::view(cart, &Ok(tier), Some(prices)))
    }

    /// AddCartLine: adds `quantity` of `sku` (or increases its line); answers the cart and the
    /// line id.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, sku = %sku))]
    pub async fn add_cart_line(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        sku: Uuid,
        quantity: i32,
        tier: &TierAnswer,
    ) -> Result<(CartView, Uuid), AppError> {
        let user = consumer(ctx)?;
        let now = self.now_ms();
        // Priced before the cart row is locked: catalog's answer takes a network round trip,
        // and concurrent adds to one cart wait on that lock (prices are indicative; a line
        // another add wrote meanwhile is priced by the next read).
        let seen = repo::carts::get(conn, ctx.tenant, user, false)
            .await?
            .unwrap_or_else(|| StoredCart::empty(user));
        let prices = self.priced(ctx.tenant, &seen, tier, Some(sku)).await;
        let cart = repo::carts::lock_or_create(conn, ctx.tenant, user, now).await?;
        if let Some(prices) = &prices {
            match prices.get(&sku) {
                None => return Err(AppError::SkuNotFound(sku)),
                Some(p) if !p.sellable => {
                    return Err(AppError::SkuNotSellable {
                        sku_id: sku,
                        reason: p.unsellable_reason.clone(),
                    });
                }
                Some(_) => {}
            }
        }
        let existing = cart.lines.iter().find(|l| l.sku_id == sku);
        if existing.is_none() && cart.lines.len() >= MAX_LINES {
            return Err(AppError::CartLineLimitExceeded { limit: MAX_LINES });
        }
        let (line, _) = repo::carts::add(conn, ctx.tenant, user, sku, quantity, now)
            .await?
            .ok_or(AppError::CartQuantityLimitExceeded {
                limit: MAX_QUANTITY,
            })?;
        repo::carts::touch(conn, ctx.tenant, user, now).await?;
        let view = self
            .reread(conn, ctx.tenant, user, tier, Some(prices))
            .await?;
        Ok((view, line))
    }

    /// UpdateCartLine: sets a line's quantity (the same quantity changes nothing).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, line = %line))]
    pub async fn update_cart_line(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        line: Uuid,
        quantity: i32,
        tier: &TierAnswer,
    ) -> Result<CartView, AppError> {
        let user = consumer(ctx)?;
        let cart = repo::carts::get(conn, ctx.tenant, user, true)
            .await?
            .ok_or(AppError::CartLineNotFound(line))?;
        let current = cart
            .lines
            .iter()
            .find(|l| l.id == line)
            .ok_or(AppError::CartLineNotFound(line))?;
        if current.quantity != quantity {
            repo::carts::set_quantity(conn, ctx.tenant, user, line, quantity).await?;
            repo::carts::touch(conn, ctx.tenant, user, self.now_ms()).await?;
        }
        self.reread(conn, ctx.tenant, user, tier, None).await
    }

    /// RemoveCartLines: removes lines; unknown ids are ignored.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn remove_cart_lines(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        lines: &Lines,
        tier: &TierAnswer,
    ) -> Result<CartView, AppError> {
        let user = consumer(ctx)?;
        if repo::carts::get(conn, ctx.tenant, user, true)
            .await?
            .is_some()
        {
            let ids = match lines {
                Lines::All => None,
                Lines::Ids(ids) => Some(ids.as_slice()),
            };
            if repo::carts::remove(conn, ctx.tenant, user, ids).await? > 0 {
                repo::carts::touch(conn, ctx.tenant, user, self.now_ms()).await?;
            }
        }
        self.reread(conn, ctx.tenant, user, tier, None).await
    }

    /// SelectCartLines: selects or unselects lines; every named line must exist.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn select_cart_lines(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        lines: &Lines,
        selected: bool,
        tier: &TierAnswer,
    ) -> Result<CartView, AppError> {
        let user = consumer(ctx)?;
        let cart = repo::carts::get(conn, ctx.tenant, user, true).await?;
        let ids = match lines {
            Lines::All => None,
            Lines::Ids(ids) => {
                let known: Vec<Uuid> = cart
                    .as_ref()
                    .map(|c| c.lines.iter().map(|l| l.id).collect())
                    .unwrap_or_default();
                if let Some(missing) = ids.iter().find(|id| !known.contains(id)) {
                    return Err(AppError::CartLineNotFound(*missing));
                }
                Some(ids.as_slice())
            }
        };
        if cart.is_some() && repo::carts::select(conn, ctx.tenant, user, ids, selected).await? > 0 {
            repo::carts::touch(conn, ctx.tenant, user, self.now_ms()).await?;
        }
        self.reread(conn, ctx.tenant, user, tier, None).await
    }

    /// SetCartFulfilment: replaces the cart's fulfilment choice after checking the tenant's
    /// settings, the store and the same-city radius.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn set_cart_fulfilment(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        choice: Fulfilment,
        tier: &TierAnswer,
    ) -> Result<CartView, AppError> {
        let user = consumer(ctx)?;
        let settings = self.order_settings(conn, ctx.tenant).await?;
        if !offered(&settings, choice.mode) {
            return Err(AppError::FulfilmentModeDisabled(choice.mode.name()));
        }
        if let Some(store_id) = choice.store_id {
            let store = self
                .store(ctx.tenant, store_id)
                .await?
                .filter(|s| s.active_store)
                .ok_or(AppError::StoreUnavailable(store_id))?;
            let offers = match choice.mode {
                FulfilmentMode::StorePickup => store.pickup,
                FulfilmentMode::SameCity => store.same_city,
                FulfilmentMode::Delivery | FulfilmentMode::Unspecified => true,
            };
            if !offers {
                return Err(AppError::StoreUnavailable(store_id));
            }
            let max = settings.same_city.max_distance_meters;
            if choice.mode == FulfilmentMode::SameCity && max > 0 {
                let to = choice.address.as_ref().and_then(|a| a.location);
                let from = store.location.ok_or(AppError::StoreUnavailable(store_id))?;
                if let Some(to) = to
                    && distance_meters(from, (to.latitude, to.longitude)) > f64::from(max)
                {
                    return Err(AppError::SameCityOutOfRange { max_meters: max });
                }
            }
        }
        repo::carts::lock_or_create(conn, ctx.tenant, user, self.now_ms()).await?;
        repo::carts::set_fulfilment(conn, ctx.tenant, user, &choice).await?;
        repo::carts::touch(conn, ctx.tenant, user, self.now_ms()).await?;
        self.reread(conn, ctx.tenant, user, tier, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_of_a_degree_of_latitude_is_about_111_km() {
        let d = distance_meters((31.0, 121.0), (32.0, 121.0));
        assert!((d - 111_195.0).abs() < 100.0, "{d}");
    }

    #[test]
    fn fulfilment_round_trips_through_json() {
        let f = Fulfilment {
            mode: FulfilmentMode::SameCity,
            store_id: Some(Uuid::nil()),
            address: Some(Address {
                detail: "x".into(),
                location: Some(GeoPoint {
                    latitude: 1.0,
                    longitude: 2.0,
                }),
                ..Address::default()
            }),
            ..Fulfilment::default()
        };
        let json = serde_json::to_string(&f).unwrap_or_default();
        let back: Fulfilment = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, f);
        let empty: Fulfilment = serde_json::from_str("{}").unwrap_or_default();
        assert_eq!(empty, Fulfilment::default());
    }

    #[test]
    fn settings_without_a_row_offer_every_mode_and_a_stored_off_switch_holds() {
        let d = OrderSettings::default();
        assert!(d.delivery.enabled && d.pickup.enabled && d.same_city.enabled);
        let stored =
            OrderSettings::from_json(r#"{"pickup":{"holdDays":7},"delivery":{"enabled":true}}"#)
                .unwrap_or_default();
        assert!(!stored.pickup.enabled);
        assert!(stored.delivery.enabled && stored.same_city.enabled);
    }
}
