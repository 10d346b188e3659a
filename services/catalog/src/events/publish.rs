//! Writes catalog's events to the outbox as `EventEnvelope`s with the payload as `Any`.

use chrono::{DateTime, Utc};
use prost::Message;
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use siyu_proto::events::v1 as ev;
use siyu_proto::time::timestamp_ms;
use siyu_store::OutgoingEvent;
use siyu_store::outbox::{TraceContext, enqueue};

use crate::AppError;
use crate::app::domain::{Location, LocationKind, Product, Reservation, SkuInfo, StockLevel};

/// Bus subject (and event type) of StockLow.
pub const STOCK_LOW: &str = "catalog.stock_low";
/// Bus subject (and event type) of ReservationExpired.
pub const RESERVATION_EXPIRED: &str = "catalog.reservation_expired";

async fn write(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    subject: &str,
    type_name: &str,
    subject_id: String,
    payload: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let envelope = ev::EventEnvelope {
        id: siyu_core::id::new_string(),
        tenant_id: tenant.to_string(),
        r#type: type_name.to_owned(),
        occurred_at: Some(timestamp_ms(now.timestamp_millis())),
        source: "catalog".into(),
        subject_id,
        traceparent: String::new(),
        tracestate: String::new(),
        payload: Some(prost_types::Any {
            type_url: format!("type.googleapis.com/{type_name}"),
            value: payload,
        }),
    };
    enqueue(
        conn,
        OutgoingEvent {
            tenant: Some(tenant),
            event_type: subject.to_owned(),
            subject: subject.to_owned(),
            source: "catalog".into(),
            occurred_at: now,
            trace: TraceContext::default(),
            payload: envelope.encode_to_vec(),
        },
    )
    .await?;
    Ok(())
}

/// StockLow for a pair that just crossed down to its threshold.
pub async fn stock_low(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: &SkuInfo,
    location: &Location,
    level: &StockLevel,
    threshold: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let msg = ev::StockLow {
        sku_id: sku.id.to_string(),
        product_id: sku.product_id.to_string(),
        title: sku.title.clone(),
        sku_code: sku.sku_code.clone(),
        location_id: location.id.to_string(),
        location_kind: match location.kind {
            LocationKind::Store => "STORE",
            LocationKind::Warehouse => "WAREHOUSE",
        }
        .into(),
        on_hand: level.on_hand,
        reserved: level.reserved,
        available: level.available(),
        threshold,
    };
    write(
        conn,
        tenant,
        STOCK_LOW,
        "siyu.events.v1.StockLow",
        sku.id.to_string(),
        msg.encode_to_vec(),
        now,
    )
    .await
}

/// ReservationExpired for a reservation the expiry job released.
pub async fn reservation_expired(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    r: &Reservation,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let msg = ev::ReservationExpired {
        reservation_id: r.id.to_string(),
        order_id: r.order_id.to_string(),
        lines: r
            .lines
            .iter()
            .map(|l| ev::ExpiredReservationLine {
                sku_id: l.sku_id.to_string(),
                quantity: l.quantity,
                location_id: l.location_id.to_string(),
            })
            .collect(),
        expires_at: Some(timestamp_ms(r.expires_at_ms)),
    };
    write(
        conn,
        tenant,
        RESERVATION_EXPIRED,
        "siyu.events.v1.ReservationExpired",
        r.order_id.to_string(),
        msg.encode_to_vec(),
        now,
    )
    .await
}

/// Bus subject (and event type) of ProductPublished.
pub const PRODUCT_PUBLISHED: &str = "catalog.product_published";
/// Bus subject (and event type) of ProductUnpublished.
pub const PRODUCT_UNPUBLISHED: &str = "catalog.product_unpublished";

/// ProductPublished for a product that just went on sale (first time or again).
pub async fn product_published(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &Product,
    first_time: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let enabled: Vec<_> = p.skus.iter().filter(|s| s.enabled).collect();
    let msg = ev::ProductPublished {
        product_id: p.id.to_string(),
        title: p.title.clone(),
        image_url: p.main_image().to_owned(),
        category_ids: p.category_path.iter().map(ToString::to_string).collect(),
        sku_ids: enabled.iter().map(|s| s.id.to_string()).collect(),
        min_sale_price: enabled.iter().map(|s| s.sale_price).min().map(|m| {
            siyu_proto::common::v1::Money {
                minor_units: m,
                currency_code: "CNY".into(),
            }
        }),
        first_time,
        online: enabled.iter().any(|s| s.online),
    };
    write(
        conn,
        tenant,
        PRODUCT_PUBLISHED,
        "siyu.events.v1.ProductPublished",
        p.id.to_string(),
        msg.encode_to_vec(),
        now,
    )
    .await
}

/// ProductUnpublished for a product taken off sale.
pub async fn product_unpublished(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &Product,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let msg = ev::ProductUnpublished {
        product_id: p.id.to_string(),
        reason: reason.to_owned(),
    };
    write(
        conn,
        tenant,
        PRODUCT_UNPUBLISHED,
        "siyu.events.v1.ProductUnpublished",
        p.id.to_string(),
        msg.encode_to_vec(),
        now,
    )
    .await
}
