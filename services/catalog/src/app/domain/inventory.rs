//! Inventory: locations, stock levels and their journal, reservations, transfers.

use siyu_core::OrgPath;
use uuid::Uuid;

/// Store or warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationKind {
    /// A store; its id is the identity org unit id.
    Store = 1,
    /// A warehouse owned by catalog.
    Warehouse = 2,
}

/// Whether a location takes part in stock operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationStatus {
    /// Holds, receives and allocates stock.
    Active = 1,
    /// Keeps stock, allocates nothing.
    Suspended = 2,
    /// No stock operations.
    Closed = 3,
}

/// A point in GCJ-02 coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geo {
    /// Degrees, -90..=90.
    pub lat: f64,
    /// Degrees, -180..=180.
    pub lng: f64,
}

/// A postal address with optional coordinates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Address {
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
    /// District.
    pub district: String,
    /// Street and number.
    pub detail: String,
    /// Postal code.
    pub postal_code: String,
    /// Contact name.
    pub contact_name: String,
    /// Contact phone (PII: never logged).
    pub contact_phone: String,
    /// Coordinates.
    pub geo: Option<Geo>,
}

/// A place that holds stock.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// Id (the store id for stores).
    pub id: Uuid,
    /// Store or warehouse.
    pub kind: LocationKind,
    /// Display name.
    pub name: String,
    /// Where in the org tree; staff permissions are checked against it.
    pub org_path: OrgPath,
    /// Address.
    pub address: Address,
    /// State.
    pub status: LocationStatus,
    /// 门店自提.
    pub pickup_enabled: bool,
    /// Ships deliveries.
    pub delivery_enabled: bool,
    /// Same-city radius in metres.
    pub delivery_radius_m: i32,
    /// Warehouse allocation priority (lower first).
    pub priority: i32,
    /// Display text.
    pub opening_hours: String,
    /// Default low-stock threshold.
    pub default_low_threshold: i32,
    /// Last update, ms since the epoch.
    pub updated_at_ms: i64,
}

/// A stock row as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StockLevel {
    /// The SKU.
    pub sku_id: Uuid,
    /// The location.
    pub location_id: Uuid,
    /// Units on hand.
    pub on_hand: i32,
    /// Units reserved.
    pub reserved: i32,
    /// Units in transit here.
    pub in_transit: i32,
    /// Own threshold (0 = the location default).
    pub low_threshold: i32,
    /// A StockLow was published for the current downward crossing.
    pub low_alerted: bool,
    /// Optimistic version.
    pub version: i64,
    /// Last change, ms.
    pub updated_at_ms: i64,
}

impl StockLevel {
    /// A pair that was never stocked.
    pub fn zero(sku_id: Uuid, location_id: Uuid) -> Self {
        Self {
            sku_id,
            location_id,
            on_hand: 0,
            reserved: 0,
            in_transit: 0,
            low_threshold: 0,
            low_alerted: false,
            version: 0,
            updated_at_ms: 0,
        }
    }

    /// on_hand − reserved.
    pub fn available(&self) -> i32 {
        self.on_hand - self.reserved
    }

    /// The threshold in force: its own, else the location's default.
    pub fn effective_threshold(&self, location_default: i32) -> i32 {
        if self.low_threshold > 0 {
            self.low_threshold
        } else {
            location_default
        }
    }
}

/// Why on-hand changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovementKind {
    /// 入库.
    Receive = 1,
    /// 盘点/报损.
    Adjust = 2,
    /// 调拨出库.
    TransferOut = 3,
    /// 调拨入库.
    TransferIn = 4,
    /// A confirmed reservation.
    Sale = 5,
    /// A restocked return.
    Return = 6,
    /// A partner's absolute count.
    Sync = 7,
}

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    /// Id.
    pub id: Uuid,
    /// The SKU.
    pub sku_id: Uuid,
    /// The location.
    pub location_id: Uuid,
    /// Why.
    pub kind: MovementKind,
    /// Signed change of on-hand.
    pub quantity: i32,
    /// On-hand after.
    pub on_hand_after: i32,
    /// Adjust reason (proto AdjustReason number; 0 = none).
    pub reason: i16,
    /// Note.
    pub note: String,
    /// Order (SALE, RETURN).
    pub order_id: String,
    /// Refund (RETURN).
    pub refund_id: String,
    /// Transfer.
    pub transfer_id: String,
    /// Sync batch.
    pub sync_id: String,
    /// External reference.
    pub reference: String,
    /// Who.
    pub operator_id: String,
    /// When, ms.
    pub created_at_ms: i64,
}

impl Movement {
    /// A movement of `kind` with the references left empty.
    pub fn new(
        kind: MovementKind,
        level: &StockLevel,
        quantity: i32,
        operator_id: &str,
        now_ms: i64,
    ) -> Self {
        Self {
            id: siyu_core::id::new(),
            sku_id: level.sku_id,
            location_id: level.location_id,
            kind,
            quantity,
            on_hand_after: level.on_hand,
            reason: 0,
            note: String::new(),
            order_id: String::new(),
            refund_id: String::new(),
            transfer_id: String::new(),
            sync_id: String::new(),
            reference: String::new(),
            operator_id: operator_id.to_owned(),
            created_at_ms: now_ms,
        }
    }
}

/// The life of a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationStatus {
    /// Stock held until expires_at.
    Held = 1,
    /// Paid: sold.
    Confirmed = 2,
    /// Released on cancel.
    Released = 3,
    /// Released by the expiry job.
    Expired = 4,
}

/// One line of a reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationLine {
    /// The SKU.
    pub sku_id: Uuid,
    /// Units.
    pub quantity: i32,
    /// Where it is held.
    pub location_id: Uuid,
}

/// Stock held for one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// Id.
    pub id: Uuid,
    /// The order.
    pub order_id: Uuid,
    /// State.
    pub status: ReservationStatus,
    /// Lines, by SKU.
    pub lines: Vec<ReservationLine>,
    /// Expiry, ms.
    pub expires_at_ms: i64,
    /// Creation, ms.
    pub created_at_ms: i64,
    /// Terminal transition, ms.
    pub closed_at_ms: Option<i64>,
    /// Why it was released.
    pub release_reason: String,
}

/// The sellability facts inventory needs about a SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuInfo {
    /// The SKU.
    pub id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// Display title.
    pub title: String,
    /// Merchant code.
    pub sku_code: String,
    /// The SKU is enabled and its product is on sale.
    pub sellable: bool,
}

macro_rules! from_i16 {
    ($ty:ident { $($variant:ident),+ }) => {
        impl TryFrom<i16> for $ty {
            type Error = String;
            fn try_from(value: i16) -> Result<Self, Self::Error> {
                $(if value == $ty::$variant as i16 { return Ok($ty::$variant); })+
                Err(format!("unknown {} {value}", stringify!($ty)))
            }
        }
    };
}

from_i16!(LocationKind { Store, Warehouse });
from_i16!(LocationStatus {
    Active,
    Suspended,
    Closed
});
from_i16!(MovementKind {
    Receive,
    Adjust,
    TransferOut,
    TransferIn,
    Sale,
    Return,
    Sync
});
from_i16!(ReservationStatus {
    Held,
    Confirmed,
    Released,
    Expired
});

/// Great-circle distance in metres (haversine on a spherical Earth): accurate to well under 1 %
/// at city scale, which is all nearby-store ranking needs.
pub fn distance_m(a: Geo, b: Geo) -> f64 {
    const R: f64 = 6_371_000.0;
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlng = (b.lng - a.lng).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlng / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

/// The life of a transfer (numbers as `TransferStatus` in the proto).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferStatus {
    /// Quantities reserved at the source.
    Created = 1,
    /// Source on-hand reduced; in transit to the destination.
    Shipped = 2,
    /// Destination on-hand increased. Terminal.
    Received = 3,
    /// Source reservation released before shipping. Terminal.
    Cancelled = 4,
}

from_i16!(TransferStatus {
    Created,
    Shipped,
    Received,
    Cancelled
});

/// One line of a transfer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TransferLine {
    /// The SKU.
    pub sku_id: Uuid,
    /// Units requested, reserved and shipped.
    pub quantity: i32,
    /// Units counted at the destination (0 until received).
    pub received_quantity: i32,
}

/// A stock transfer (调拨单).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Id (UUIDv7: ordering by id is ordering by creation).
    pub id: Uuid,
    /// Human number, "TR" + date + digits.
    pub transfer_no: String,
    /// Source.
    pub from_location_id: Uuid,
    /// Destination.
    pub to_location_id: Uuid,
    /// Lines, SKU order.
    pub lines: Vec<TransferLine>,
    /// State.
    pub status: TransferStatus,
    /// Note (a short receipt appends its TRANSFER_DISCREPANCY line).
    pub note: String,
    /// Carrier tracking reference.
    pub tracking_reference: String,
    /// Creator (principal subject).
    pub created_by: String,
    /// Created, ms.
    pub created_at_ms: i64,
    /// Shipped, ms.
    pub shipped_at_ms: Option<i64>,
    /// Received or cancelled, ms.
    pub closed_at_ms: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_a_known_distance() {
        // 人民广场 → 徐家汇, about 5.5 km.
        let d = distance_m(
            Geo {
                lat: 31.2304,
                lng: 121.4737,
            },
            Geo {
                lat: 31.1955,
                lng: 121.4365,
            },
        );
        assert!((5_000.0..6_000.0).contains(&d), "{d}");
        assert!(distance_m(Geo { lat: 1.0, lng: 2.0 }, Geo { lat: 1.0, lng: 2.0 }) < 1e-6);
    }

    #[test]
    fn enums_round_trip_through_their_numbers() {
        assert_eq!(
            ReservationStatus::try_from(4),
            Ok(ReservationStatus::Expired)
        );
        assert!(MovementKind::try_from(0).is_err());
    }
}
