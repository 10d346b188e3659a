//! The saga's calls to catalog and membership: take (reserve stock, lock coupons, hold points
//! and stored value) and give back. Every call is keyed by the order id at the peer and carries
//! an idempotency key derived from it, so a retry or a recovery never takes anything twice and
//! a release of something never taken is a no-op. A late payment's revival takes the same
//! things again with `revive` set to that payment's id: the peers' revive flag is set and the
//! keys are the revival's own, so a revival and its give-back never replay checkout's answers.

use siyu_core::TenantId;
use siyu_proto::catalog::v1 as catalog;
use siyu_proto::catalog::v1::inventory_service_client::InventoryServiceClient;
use siyu_proto::common::v1 as common;
use siyu_proto::membership::v1 as membership;
use siyu_proto::membership::v1::coupon_service_client::CouponServiceClient;
use siyu_proto::membership::v1::ledger_service_client::LedgerServiceClient;
use siyu_proto::membership::v1::paid_membership_service_client::PaidMembershipServiceClient;
use tonic::transport::Channel;
use uuid::Uuid;

use super::record::Taken;
use crate::AppError;
use crate::app::App;
use crate::peers::refusal;

/// One SKU line to reserve.
#[derive(Debug, Clone)]
pub struct StockLine {
    /// The SKU.
    pub sku_id: Uuid,
    /// How many.
    pub quantity: i32,
}

/// A paid top-up or paid-plan order as membership applies it.
#[derive(Debug, Clone)]
pub struct Purchase {
    /// The order (membership's business key).
    pub order_id: Uuid,
    /// The buying member.
    pub member_id: Uuid,
    /// The top-up or paid plan bought.
    pub plan_id: String,
    /// Cash paid, fen.
    pub paid_fen: i64,
    /// When it was paid.
    pub paid_at_ms: i64,
    /// Paid plans: whether the member opted into auto-renew.
    pub auto_renew: bool,
}

/// Where stock is taken from (catalog's allocation policy).
#[derive(Debug, Clone)]
pub enum StockFrom {
    /// A pickup store's own stock.
    PickupStore(Uuid),
    /// A store's stock for same-city delivery.
    Location(Uuid),
    /// Parcel delivery: stores whose radius covers the address (when it has coordinates), then
    /// warehouses.
    Delivery {
        /// The address's coordinates, when known.
        at: Option<(f64, f64)>,
    },
}

fn cny(fen: i64) -> common::Money {
    common::Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    }
}

/// The peers the saga calls.
const CATALOG: &str = "catalog";
const MEMBERSHIP: &str = "membership";

fn key(order_id: Uuid, step: &str) -> String {
    format!("checkout:{order_id}:{step}")
}

impl App {
    /// Reserves the order's stock (catalog `ReserveStock`), held `ttl_seconds`; answers the
    /// location each SKU was allocated to.
    pub async fn reserve_stock(
        &self,
        tenant: TenantId,
        order_id: Uuid,
        lines: &[StockLine],
        from: &StockFrom,
        ttl_seconds: i32,
        revive: Option<Uuid>,
    ) -> Result<Vec<(Uuid, String)>, AppError> {
        let target = match from {
            StockFrom::PickupStore(s) => Some(catalog::allocation_policy::Target::PickupStoreId(
                s.to_string(),
            )),
            StockFrom::Location(l) => Some(catalog::allocation_policy::Target::LocationId(
                l.to_string(),
            )),
            StockFrom::Delivery { .. } => None,
        };
        let delivery_location = match from {
            StockFrom::Delivery {
                at: Some((lat, lng)),
            } => Some(common::GeoPoint {
                latitude: *lat,
                longitude: *lng,
            }),
            _ => None,
        };
        let message = catalog::ReserveStockRequest {
            order_id: order_id.to_string(),
            lines: lines
                .iter()
                .map(|l| catalog::ReservationLine {
                    sku_id: l.sku_id.to_string(),
                    quantity: l.quantity,
                    location_id: String::new(),
                })
                .collect(),
            allocation: Some(catalog::AllocationPolicy {
                target,
                delivery_location,
                allow_warehouse: matches!(from, StockFrom::Delivery { .. }),
            }),
            ttl_seconds,
            revive: revive.is_some(),
        };
        let step = revive.map_or_else(|| "stock".to_owned(), |late| format!("revive_stock:{late}"));
        let reply = self
            .call(
                CATALOG,
                tenant,
                order_id,
                &step,
                message,
                |ch, r| async move { InventoryServiceClient::new(ch).reserve_stock(r).await },
            )
            .await?;
        let lines = reply.reservation.map(|r| r.lines).unwrap_or_default();
        Ok(lines
            .into_iter()
            .filter_map(|l| Some((l.sku_id.parse().ok()?, l.location_id)))
            .collect())
    }

    /// Locks the coupons for the order (membership `LockCoupons`).
    pub async fn lock_coupons(
        &self,
        tenant: TenantId,
        member_id: Uuid,
        coupon_ids: &[Uuid],
        order_id: Uuid,
        context: membership::OrderContext,
        revive: Option<Uuid>,
    ) -> Result<(), AppError> {
        let message = membership::LockCouponsRequest {
            member_id: member_id.to_string(),
            coupon_ids: coupon_ids.iter().map(Uuid::to_string).collect(),
            order_id: order_id.to_string(),
            context: Some(context),
            revive: revive.is_some(),
        };
        let step = revive.map_or_else(
            || "coupons".to_owned(),
            |late| format!("revive_coupons:{late}"),
        );
        self.call(
            MEMBERSHIP,
            tenant,
            order_id,
            &step,
            message,
            |ch, r| async move { CouponServiceClient::new(ch).lock_coupons(r).await },
        )
        .await?;
        Ok(())
    }

    /// Holds the member's points for the order (membership `HoldPoints`).
    pub async fn hold_points(
        &self,
        tenant: TenantId,
        member_id: Uuid,
        order_id: Uuid,
        points: i64,
        revive: Option<Uuid>,
    ) -> Result<(), AppError> {
        let message = membership::HoldPointsRequest {
            member_id: member_id.to_string(),
            order_id: order_id.to_string(),
            points,
            revive: revive.is_some(),
        };
        let step = revive.map_or_else(
            || "points".to_owned(),
            |late| format!("revive_points:{late}"),
        );
        self.call(
            MEMBERSHIP,
            tenant,
            order_id,
            &step,
            message,
            |ch, r| async move { LedgerServiceClient::new(ch).hold_points(r).await },
        )
        .await?;
        Ok(())
    }

    /// Holds the member's stored value for the order (membership `HoldStoredValue`).
    pub async fn hold_stored_value(
        &self,
        tenant: TenantId,
        member_id: Uuid,
        order_id: Uuid,
        fen: i64,
        revive: Option<Uuid>,
    ) -> Result<(), AppError> {
        let message = membership::HoldStoredValueRequest {
            member_id: member_id.to_string(),
            order_id: order_id.to_string(),
            amount: Some(cny(fen)),
            revive: revive.is_some(),
        };
        let step = revive.map_or_else(
            || "stored_value".to_owned(),
            |late| format!("revive_sv:{late}"),
        );
        self.call(
            MEMBERSHIP,
            tenant,
            order_id,
            &step,
            message,
            |ch, r| async move { LedgerServiceClient::new(ch).hold_stored_value(r).await },
        )
        .await?;
        Ok(())
    }

    /// Gives back everything in `taken` for the order, newest first (stored value, points,
    /// coupons, stock), each release idempotent at the peer. Stops at the first failure, which
    /// the caller retries later (a release task).
    pub async fn release_taken(
        &self,
        tenant: TenantId,
        order_id: Uuid,
        taken: Taken,
        reason: &str,
        revived_by: Option<Uuid>,
    ) -> Result<(), AppError> {
        let (order, reason) = (order_id.to_string(), reason.to_owned());
        // What a late payment's revival took again is given back under keys of its own.
        let step = |name: &str| {
            revived_by.map_or_else(|| name.to_owned(), |late| format!("{name}:{late}"))
        };
        if taken.stored_value {
            let message = membership::ReleaseStoredValueRequest {
                order_id: order.clone(),
                reason: reason.clone(),
            };
            let answer = self
                .send(MEMBERSHIP, tenant, order_id, &step("release_sv"), message, |ch, r| async move {
                    LedgerServiceClient::new(ch).release_stored_value(r).await
                })
                .await?;
            ignore_nothing_held(answer, MEMBERSHIP)?;
        }
        if taken.points {
            let message = membership::ReleasePointsRequest {
                order_id: order.clone(),
                reason: reason.clone(),
            };
            let answer = self
                .send(
                    MEMBERSHIP,
                    tenant,
                    order_id,
                    &step("release_points"),
                    message,
                    |ch, r| async move { LedgerServiceClient::new(ch).release_points(r).await },
                )
                .await?;
            ignore_nothing_held(answer, MEMBERSHIP)?;
        }
        if taken.coupons {
            let message = membership::ReleaseCouponsRequest {
                order_id: order.clone(),
                reason: reason.clone(),
            };
            let answer = self
                .send(
                    MEMBERSHIP,
                    tenant,
                    order_id,
                    &step("release_coupons"),
                    message,
                    |ch, r| async move { CouponServiceClient::new(ch).release_coupons(r).await },
                )
                .await?;
            ignore_nothing_held(answer, MEMBERSHIP)?;
        }
        if taken.stock {
            let message = catalog::ReleaseReservationRequest {
                order_id: order,
                reason,
            };
            let answer = self
                .send(CATALOG, tenant, order_id, &step("release_stock"), message, |ch, r| async move {
                    InventoryServiceClient::new(ch).release_reservation(r).await
                })
                .await?;
            ignore_nothing_held(answer, CATALOG)?;
        }
        Ok(())
    }

    /// Marks the order's locked coupons used (membership `UseCoupons`).
    pub async fn use_coupons(&self, tenant: TenantId, order_id: Uuid) -> Result<(), AppError> {
        let message = membership::UseCouponsRequest {
            order_id: order_id.to_string(),
        };
        self.call(
            MEMBERSHIP,
            tenant,
            order_id,
            "use_coupons",
            message,
            |ch, r| async move { CouponServiceClient::new(ch).use_coupons(r).await },
        )
        .await?;
        Ok(())
    }

    /// Captures the order's points hold (membership `CapturePoints`).
    pub async fn capture_points(&self, tenant: TenantId, order_id: Uuid) -> Result<(), AppError> {
        let message = membership::CapturePointsRequest {
            order_id: order_id.to_string(),
        };
        self.call(
            MEMBERSHIP,
            tenant,
            order_id,
            "capture_points",
            message,
            |ch, r| async move { LedgerServiceClient::new(ch).capture_points(r).await },
        )
        .await?;
        Ok(())
    }

    /// Captures the order's stored-value hold (membership `CaptureStoredValue`).
    pub async fn capture_stored_value(
        &self,
        tenant: TenantId,
        order_id: Uuid,
    ) -> Result<(), AppError> {
        let message = membership::CaptureStoredValueRequest {
            order_id: order_id.to_string(),
        };
        self.call(
            MEMBERSHIP,
            tenant,
            order_id,
            "capture_sv",
            message,
            |ch, r| async move { LedgerServiceClient::new(ch).capture_stored_value(r).await },
        )
        .await?;
        Ok(())
    }

    /// Confirms the order's reservation (catalog `ConfirmReservation`; catalog also confirms
    /// on OrderPaid, and both are idempotent by the order id).
    pub async fn confirm_stock(&self, tenant: TenantId, order_id: Uuid) -> Result<(), AppError> {
        let message = catalog::ConfirmReservationRequest {
            order_id: order_id.to_string(),
        };
        self.call(
            CATALOG,
            tenant,
            order_id,
            "confirm_stock",
            message,
            |ch, r| async move { InventoryServiceClient::new(ch).confirm_reservation(r).await },
        )
        .await?;
        Ok(())
    }

    /// Credits the paid top-up order's stored value (membership `TopUpStoredValue`, keyed by
    /// the order: a repeat answers the same entry).
    pub async fn top_up_stored_value(
        &self,
        tenant: TenantId,
        purchase: &Purchase,
    ) -> Result<(), AppError> {
        let message = membership::TopUpStoredValueRequest {
            member_id: purchase.member_id.to_string(),
            order_id: purchase.order_id.to_string(),
            plan_id: purchase.plan_id.clone(),
            amount_paid: Some(cny(purchase.paid_fen)),
            paid_at: Some(siyu_proto::time::timestamp_ms(purchase.paid_at_ms)),
        };
        self.call(
            MEMBERSHIP,
            tenant,
            purchase.order_id,
            "top_up",
            message,
            |ch, r| async move { LedgerServiceClient::new(ch).top_up_stored_value(r).await },
        )
        .await?;
        Ok(())
    }

    /// Activates the period the paid-plan order bought (membership `ActivatePaidMembership`,
    /// keyed by the order: a repeat answers the same period).
    pub async fn activate_paid_plan(
        &self,
        tenant: TenantId,
        purchase: &Purchase,
    ) -> Result<(), AppError> {
        let message = membership::ActivatePaidMembershipRequest {
            member_id: purchase.member_id.to_string(),
            plan_id: purchase.plan_id.clone(),
            order_id: purchase.order_id.to_string(),
            amount_paid: Some(cny(purchase.paid_fen)),
            paid_at: Some(siyu_proto::time::timestamp_ms(purchase.paid_at_ms)),
            auto_renew: purchase.auto_renew,
        };
        self.call(
            MEMBERSHIP,
            tenant,
            purchase.order_id,
            "activate_plan",
            message,
            |ch, r| async move {
                PaidMembershipServiceClient::new(ch)
                    .activate_paid_membership(r)
                    .await
            },
        )
        .await?;
        Ok(())
    }

    /// `message` to `service` as orders in `tenant`, keyed by `step` of the order; the peer's
    /// answer as it came (a refusal is the caller's to judge).
    async fn send<T, R, Fut>(
        &self,
        service: &'static str,
        tenant: TenantId,
        order_id: Uuid,
        step: &str,
        message: T,
        rpc: impl FnOnce(Channel, tonic::Request<T>) -> Fut,
    ) -> Result<Result<tonic::Response<R>, tonic::Status>, AppError>
    where
        Fut: Future<Output = Result<tonic::Response<R>, tonic::Status>>,
    {
        let request = self
            .peers
            .request(service, tenant, message, Some(&key(order_id, step)))
            .await?;
        let channel = if service == CATALOG {
            self.peers.catalog.clone()
        } else {
            self.peers.membership.clone()
        };
        Ok(rpc(channel, request).await)
    }

    /// As [`App::send`], with the peer's refusal passed through as the caller's error.
    async fn call<T, R, Fut>(
        &self,
        service: &'static str,
        tenant: TenantId,
        order_id: Uuid,
        step: &str,
        message: T,
        rpc: impl FnOnce(Channel, tonic::Request<T>) -> Fut,
    ) -> Result<R, AppError>
    where
        Fut: Future<Output = Result<tonic::Response<R>, tonic::Status>>,
    {
        self.send(service, tenant, order_id, step, message, rpc)
            .await?
            .map(tonic::Response::into_inner)
            .map_err(|s| refusal(service, &s))
    }
}

/// A release answered NOT_FOUND (nothing was ever taken for the order: the saga recorded the
/// step before calling and the call never arrived) is done; other refusals and failures are
/// errors to retry.
fn ignore_nothing_held<T>(
    answer: Result<tonic::Response<T>, tonic::Status>,
    service: &'static str,
) -> Result<(), AppError> {
    match answer {
        Ok(_) => Ok(()),
        Err(s) if s.code() == tonic::Code::NotFound => Ok(()),
        Err(s) => Err(refusal(service, &s)),
    }
}
