//! The tenant's order settings as the rest of orders reads them: the stored OrderSettings
//! (`ord_settings.body`, proto3 JSON) or, when the tenant has no row, the documented defaults.
//!
//! Every field of the contract is typed here. Unknown JSON fields are ignored, so a body written
//! by a newer version still reads. The body is proto3 JSON, which may leave out fields at their
//! zero value: within a stored rule a missing `enabled` is false, while a rule missing
//! altogether is the default rule; a missing top-level number is its documented default. Orders
//! writes every field (see [`OrderSettings::to_json`]), so a stored 0 stays 0 where 0 is allowed.

use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use siyu_core::TenantId;

use crate::app::App;
use crate::app::pricing::Fen;
use crate::{AppError, repo};

/// The tenant's order settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderSettings {
    /// Seconds an order may stay unpaid (0: the default, 900).
    #[serde(default, alias = "unpaid_timeout_seconds")]
    pub unpaid_timeout_seconds: i32,
    /// Days after shipment when a SHIPPED order completes by itself (0: the default, 7).
    #[serde(default, alias = "auto_complete_days")]
    pub auto_complete_days: i32,
    /// Days after completion during which after-sales may be requested, 0..90.
    #[serde(default = "seven", alias = "after_sale_window_days")]
    pub after_sale_window_days: i32,
    /// Approve refund-only cases automatically before shipment.
    #[serde(default = "yes", alias = "auto_approve_before_shipment")]
    pub auto_approve_before_shipment: bool,
    /// Hours after which an unreviewed case is approved; 0 = never.
    #[serde(default, alias = "auto_approve_after_hours")]
    pub auto_approve_after_hours: i32,
    /// Days to send a return parcel after approval (0: the default, 7).
    #[serde(default, alias = "return_shipment_days")]
    pub return_shipment_days: i32,
    /// `LatePaymentPolicy` number (0: REVIVE_OR_REFUND).
    #[serde(default, alias = "late_payment_policy", with = "enum_number")]
    pub late_payment_policy: i32,
    /// Parcel delivery.
    #[serde(default = "DeliveryRule::offered")]
    pub delivery: DeliveryRule,
    /// Same-city delivery.
    #[serde(default = "SameCityRule::offered", alias = "same_city")]
    pub same_city: SameCityRule,
    /// Store pickup.
    #[serde(default = "PickupRule::offered")]
    pub pickup: PickupRule,
}

fn seven() -> i32 {
    7
}

fn yes() -> bool {
    true
}

/// A province's parcel delivery override (`RegionShippingRule`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RegionRule {
    /// Province name as in `Address.province`.
    pub province: String,
    /// Fee for this province, fen.
    #[serde(with = "money")]
    pub fee: Fen,
    /// Threshold for this province; `None` = the default one, `Some(0)` = never free.
    #[serde(
        alias = "free_threshold",
        with = "opt_money",
        skip_serializing_if = "Option::is_none"
    )]
    pub free_threshold: Option<Fen>,
    /// No delivery to this province.
    #[serde(alias = "not_deliverable")]
    pub not_deliverable: bool,
}

/// Parcel delivery (`DeliveryShippingRule`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DeliveryRule {
    /// Whether parcel delivery is offered.
    pub enabled: bool,
    /// Flat fee per order, fen.
    #[serde(with = "money")]
    pub fee: Fen,
    /// Free when goods_net_total reaches it, fen; 0 = never free by amount.
    #[serde(alias = "free_threshold", with = "money")]
    pub free_threshold: Fen,
    /// Per-province overrides.
    pub regions: Vec<RegionRule>,
}

/// A same-city fee band (`DistanceBand`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DistanceBand {
    /// Upper bound of the band, metres.
    #[serde(alias = "up_to_meters")]
    pub up_to_meters: i32,
    /// The band's fee, fen.
    #[serde(with = "money")]
    pub fee: Fen,
}

/// Same-city delivery (`SameCityShippingRule`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SameCityRule {
    /// Whether same-city delivery is offered.
    pub enabled: bool,
    /// Maximum straight-line distance from the store, metres; 0 = no limit.
    #[serde(alias = "max_distance_meters")]
    pub max_distance_meters: i32,
    /// Fee bands, ascending.
    pub bands: Vec<DistanceBand>,
    /// Minimum goods_net_total (起送价), fen; 0 = none.
    #[serde(alias = "minimum_order", with = "money")]
    pub minimum_order: Fen,
    /// Free when goods_net_total reaches it, fen; 0 = never free by amount.
    #[serde(alias = "free_threshold", with = "money")]
    pub free_threshold: Fen,
}

/// Store pickup (`PickupRule`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PickupRule {
    /// Whether store pickup is offered.
    pub enabled: bool,
    /// 到店自提减, fen; 0 = none.
    #[serde(alias = "pickup_discount", with = "money")]
    pub pickup_discount: Fen,
    /// Goods amount needed for the pickup discount, fen; 0 = always.
    #[serde(alias = "pickup_discount_threshold", with = "money")]
    pub pickup_discount_threshold: Fen,
    /// Days a ready order is held (0: the default, 7).
    #[serde(alias = "hold_days")]
    pub hold_days: i32,
}

/// Same-city radius of a tenant that never set one, metres.
pub const DEFAULT_SAME_CITY_METERS: i32 = 5000;

impl Default for OrderSettings {
    /// A tenant that never changed its settings offers every fulfilment mode (the contract
    /// speaks of a mode the tenant "turned off") at no fee, with the documented durations.
    fn default() -> Self {
        Self {
            unpaid_timeout_seconds: 0,
            auto_complete_days: 0,
            after_sale_window_days: 7,
            auto_approve_before_shipment: true,
            auto_approve_after_hours: 0,
            return_shipment_days: 0,
            late_payment_policy: 0,
            delivery: DeliveryRule::offered(),
            same_city: SameCityRule::offered(),
            pickup: PickupRule::offered(),
        }
    }
}

impl DeliveryRule {
    /// The default rule: offered, free.
    fn offered() -> Self {
        Self {
            enabled: true,
            ..Self::default()
        }
    }
}

impl SameCityRule {
    /// The default rule: offered within [`DEFAULT_SAME_CITY_METERS`], free.
    fn offered() -> Self {
        Self {
            enabled: true,
            max_distance_meters: DEFAULT_SAME_CITY_METERS,
            ..Self::default()
        }
    }
}

impl PickupRule {
    /// The default rule: offered.
    fn offered() -> Self {
        Self {
            enabled: true,
            ..Self::default()
        }
    }
}

/// The unpaid timeout when the tenant set none (15 minutes).
pub const DEFAULT_UNPAID_TIMEOUT_SECS: i32 = 900;
/// Auto-complete, return shipment and pickup hold days when the tenant set none.
pub const DEFAULT_DAYS: i32 = 7;

fn or_default(value: i32, default: i32) -> i32 {
    if value > 0 { value } else { default }
}

impl OrderSettings {
    /// Seconds an order may stay unpaid before it is cancelled.
    pub fn unpaid_timeout_seconds(&self) -> i32 {
        or_default(self.unpaid_timeout_seconds, DEFAULT_UNPAID_TIMEOUT_SECS)
    }

    /// Days after shipment when a SHIPPED order completes by itself.
    pub fn auto_complete_days(&self) -> i32 {
        or_default(self.auto_complete_days, DEFAULT_DAYS)
    }

    /// Days a ready pickup order is held at the store.
    pub fn pickup_hold_days(&self) -> i32 {
        or_default(self.pickup.hold_days, DEFAULT_DAYS)
    }

    /// Days to send a return parcel after approval.
    pub fn return_shipment_days(&self) -> i32 {
        or_default(self.return_shipment_days, DEFAULT_DAYS)
    }

    /// The settings with every defaulted number spelled out (what a reader is told).
    pub fn resolved(mut self) -> Self {
        self.unpaid_timeout_seconds = self.unpaid_timeout_seconds();
        self.auto_complete_days = self.auto_complete_days();
        self.return_shipment_days = self.return_shipment_days();
        self.pickup.hold_days = self.pickup_hold_days();
        if self.late_payment_policy == 0 {
            self.late_payment_policy = 1;
        }
        self
    }

    /// Settings from a stored JSON body; unreadable JSON is an internal error.
    pub fn from_json(body: &str) -> Result<Self, AppError> {
        serde_json::from_str(body)
            .map_err(|e| AppError::Internal(format!("ord_settings.body: {e}")))
    }

    /// The body to store: proto3 JSON with every field written.
    pub fn to_json(&self) -> Result<String, AppError> {
        serde_json::to_string(self)
            .map_err(|e| AppError::Internal(format!("ord_settings.body: {e}")))
    }
}

/// `siyu.common.v1.Money` in proto3 JSON (`minorUnits` a string, as every int64), as fen.
mod money {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    pub(super) struct Money {
        #[serde(alias = "minor_units", with = "int64")]
        pub(super) minor_units: i64,
        #[serde(alias = "currency_code")]
        pub(super) currency_code: String,
    }

    pub(super) fn serialize<S: Serializer>(fen: &i64, s: S) -> Result<S::Ok, S::Error> {
        Money {
            minor_units: *fen,
            currency_code: "CNY".into(),
        }
        .serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        Ok(Money::deserialize(d)?.minor_units)
    }

    /// An int64 as proto3 JSON writes it (a string) or as a number.
    mod int64 {
        use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            N(i64),
            S(String),
        }

        pub(super) fn serialize<S: Serializer>(n: &i64, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&n.to_string())
        }

        pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
            match Either::deserialize(d)? {
                Either::N(n) => Ok(n),
                Either::S(s) => s.parse().map_err(D::Error::custom),
            }
        }
    }
}

/// An optional Money (absent = unset).
mod opt_money {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(fen: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match fen {
            Some(fen) => super::money::Money {
                minor_units: *fen,
                currency_code: "CNY".into(),
            }
            .serialize(s),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(Option::<super::money::Money>::deserialize(d)?.map(|m| m.minor_units))
    }
}

/// A proto enum in JSON: its number (or, as proto3 JSON may write it, its name, read as 0 when
/// unknown to this reader). Written as the number.
mod enum_number {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        N(i32),
        S(String),
    }

    pub(super) fn serialize<S: Serializer>(n: &i32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(*n)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
        Ok(match Either::deserialize(d)? {
            Either::N(n) => n,
            Either::S(s) => {
                siyu_proto::orders::v1::LatePaymentPolicy::from_str_name(&s).map_or(0, |p| p as i32)
            }
        })
    }
}

/// The tenant's settings with their version and who changed them last.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned {
    /// The settings.
    pub settings: OrderSettings,
    /// 0 until first written, then bumped by every update.
    pub version: i64,
    /// The staff who changed them last.
    pub updated_by: String,
    /// When, once written.
    pub updated_at_ms: Option<i64>,
}

impl App {
    /// The tenant's settings with their version (locked for update when `lock`).
    pub async fn versioned_settings(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        lock: bool,
    ) -> Result<Versioned, AppError> {
        Ok(match repo::settings::row(conn, tenant, lock).await? {
            Some(row) => Versioned {
                settings: OrderSettings::from_json(&row.body)?,
                version: row.version,
                updated_by: row.updated_by,
                updated_at_ms: Some(row.updated_at_ms),
            },
            None => Versioned {
                settings: OrderSettings::default(),
                version: 0,
                updated_by: String::new(),
                updated_at_ms: None,
            },
        })
    }

    /// Replaces the tenant's settings by `edit` of the current ones, as `updated_by`, if they
    /// are still at `expected_version` (0: whatever version they are at).
    pub async fn update_order_settings(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        expected_version: i64,
        updated_by: &str,
        edit: impl FnOnce(OrderSettings) -> Result<OrderSettings, AppError>,
    ) -> Result<Versioned, AppError> {
        let current = self.versioned_settings(conn, tenant, true).await?;
        if expected_version != 0 && expected_version != current.version {
            return Err(AppError::SettingsVersionConflict {
                current: current.version,
            });
        }
        let settings = edit(current.settings.resolved())?;
        let version = current.version + 1;
        let now = self.now_ms();
        let body = settings.to_json()?;
        // A first write racing another first write (no row to lock) loses here.
        if !repo::settings::put(conn, tenant, &body, version, updated_by, now).await? {
            return Err(AppError::SettingsVersionConflict { current: version });
        }
        Ok(Versioned {
            settings,
            version,
            updated_by: updated_by.to_owned(),
            updated_at_ms: Some(now),
        })
    }

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
