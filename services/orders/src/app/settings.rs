//! The tenant's order settings as the rest of orders reads them: the stored OrderSettings
//! (`ord_settings.body`, proto3 JSON) or, when the tenant has no row, the documented defaults.
//!
//! Only what is read so far is typed here; fields are added as their readers appear. Unknown
//! JSON fields are ignored, so the stored body may carry more than this reads.

use sea_orm::ConnectionTrait;
use serde::Deserialize;
use siyu_core::TenantId;

use crate::app::App;
use crate::{AppError, repo};

/// The tenant's order settings (the fields read so far).
///
/// The body is proto3 JSON, which leaves out fields at their zero value: within a stored rule
/// a missing `enabled` is false, while a rule missing altogether is the default rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderSettings {
    /// Parcel delivery.
    #[serde(default = "DeliveryRule::offered")]
    pub delivery: DeliveryRule,
    /// Same-city delivery.
    #[serde(default = "SameCityRule::offered", alias = "same_city")]
    pub same_city: SameCityRule,
    /// Store pickup.
    #[serde(default = "PickupRule::offered")]
    pub pickup: PickupRule,
    /// Seconds an order may stay unpaid (0: the default, 900).
    #[serde(default, alias = "unpaid_timeout_seconds")]
    pub unpaid_timeout_seconds: i32,
}

/// Parcel delivery (`DeliveryShippingRule`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DeliveryRule {
    /// Whether parcel delivery is offered.
    pub enabled: bool,
}

/// Same-city delivery (`SameCityShippingRule`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SameCityRule {
    /// Whether same-city delivery is offered.
    pub enabled: bool,
    /// Maximum straight-line distance from the store, metres; 0 = no limit.
    #[serde(alias = "max_distance_meters")]
    pub max_distance_meters: i32,
}

/// Store pickup (`PickupRule`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PickupRule {
    /// Whether store pickup is offered.
    pub enabled: bool,
}

/// Same-city radius of a tenant that never set one, metres.
pub const DEFAULT_SAME_CITY_METERS: i32 = 5000;

impl Default for OrderSettings {
    /// A tenant that never changed its settings offers every fulfilment mode (the contract
    /// speaks of a mode the tenant "turned off").
    fn default() -> Self {
        Self {
            delivery: DeliveryRule::offered(),
            same_city: SameCityRule::offered(),
            pickup: PickupRule::offered(),
            unpaid_timeout_seconds: 0,
        }
    }
}

impl DeliveryRule {
    /// The default rule: offered.
    fn offered() -> Self {
        Self { enabled: true }
    }
}

impl SameCityRule {
    /// The default rule: offered within [`DEFAULT_SAME_CITY_METERS`].
    fn offered() -> Self {
        Self {
            enabled: true,
            max_distance_meters: DEFAULT_SAME_CITY_METERS,
        }
    }
}

impl PickupRule {
    /// The default rule: offered.
    fn offered() -> Self {
        Self { enabled: true }
    }
}

/// The unpaid timeout when the tenant set none (15 minutes).
pub const DEFAULT_UNPAID_TIMEOUT_SECS: i32 = 900;

impl OrderSettings {
    /// Seconds an order may stay unpaid before it is cancelled.
    pub fn unpaid_timeout_seconds(&self) -> i32 {
        if self.unpaid_timeout_seconds > 0 {
            self.unpaid_timeout_seconds
        } else {
            DEFAULT_UNPAID_TIMEOUT_SECS
        }
    }

    /// Settings from a stored JSON body; unreadable JSON is an internal error.
    pub fn from_json(body: &str) -> Result<Self, AppError> {
        serde_json::from_str(body)
            .map_err(|e| AppError::Internal(format!("ord_settings.body: {e}")))
    }
}

impl App {
    /// The tenant's order settings (the defaults when it has none stored).
    pub async fn order_settings(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
    ) -> Result<OrderSettings, AppError> {
        match repo::settings::body(conn, tenant).await? {
            Some(body) => OrderSettings::from_json(&body),
            None => Ok(OrderSettings::default()),
        }
    }
}
