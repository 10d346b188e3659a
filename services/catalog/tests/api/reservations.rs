//! Reservations: concurrency, all-or-nothing, idempotency, expiry.

use sea_orm::Value;
use siyu_core::PrincipalKind;
use siyu_proto::catalog::v1 as pb;
use tonic::Code;

use crate::harness::{H, Tenant, assert_invariants, reason, reserve_req, with};

#[tokio::test]
async fn sixty_four_concurrent_reservations_of_ten_units_sell_exactly_ten() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, sku) = (t.store(&h, 31.23).await, h.sku(t.id).await);
    t.receive(&h, store, sku, 10).await;
    let calls = (0..64).map(|_| {
        let mut c = h.client();
        let req = with(
            reserve_req(siyu_core::id::new(), store, &[(sku, 1)]),
            &t.service,
        );
        async move { c.reserve_stock(req).await }
    });
    let results = futures::future::join_all(calls).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 10);
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(r.code(), Code::FailedPrecondition);
        assert_eq!(reason(r), "INSUFFICIENT_STOCK");
    }
    let reserved = h
        .scalar(
            "SELECT reserved FROM inv_stock WHERE sku_id = $1",
            vec![Value::Uuid(Some(sku))],
        )
        .await;
    assert_eq!(reserved, 10);
    assert_invariants(&h).await;
}

#[tokio::test]
async fn a_multi_line_reservation_with_one_short_line_takes_nothing() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let store = t.store(&h, 31.23).await;
    let (a, b) = (h.sku(t.id).await, h.sku(t.id).await);
    t.receive(&h, store, a, 5).await;
    t.receive(&h, store, b, 1).await;
    let err = h
        .client()
        .reserve_stock(with(
            reserve_req(siyu_core::id::new(), store, &[(a, 2), (b, 2)]),
            &t.service,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "INSUFFICIENT_STOCK");
    use tonic_types::StatusExt;
    let info = err.get_details_error_info().unwrap();
    assert_eq!(info.metadata.get("sku_id"), Some(&b.to_string()));
    assert_eq!(
        info.metadata.get("requested").map(String::as_str),
        Some("2")
    );
    assert_eq!(
        info.metadata.get("available").map(String::as_str),
        Some("1")
    );
    assert_eq!(
        h.scalar("SELECT SUM(reserved) FROM inv_stock", vec![])
            .await,
        0
    );
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM inv_reservations", vec![])
            .await,
        0
    );
}

#[tokio::test]
async fn sixteen_parallel_confirms_write_one_sale_and_a_repeat_reserve_returns_the_same() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, sku) = (t.store(&h, 31.23).await, h.sku(t.id).await);
    t.receive(&h, store, sku, 10).await;
    let order = siyu_core::id::new();
    let first = h
        .client()
        .reserve_stock(with(reserve_req(order, store, &[(sku, 3)]), &t.service))
        .await
        .unwrap()
        .into_inner();
    let again = h
        .client()
        .reserve_stock(with(reserve_req(order, store, &[(sku, 3)]), &t.service))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.reservation, again.reservation);
    let calls = (0..16).map(|_| {
        let mut c = h.client();
        let req = with(
            pb::ConfirmReservationRequest {
                order_id: order.to_string(),
            },
            &t.service,
        );
        async move { c.confirm_reservation(req).await }
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(
            r.unwrap().into_inner().reservation.unwrap().status,
            pb::ReservationStatus::Confirmed as i32
        );
    }
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM inv_movements WHERE kind = 5", vec![])
            .await,
        1
    );
    assert_eq!(h.scalar("SELECT on_hand FROM inv_stock", vec![]).await, 7);
    assert_eq!(h.scalar("SELECT reserved FROM inv_stock", vec![]).await, 0);
    // Releasing a paid order is refused; restocking it works once per refund.
    let err = h
        .client()
        .release_reservation(with(
            pb::ReleaseReservationRequest {
                order_id: order.to_string(),
                reason: String::new(),
            },
            &t.service,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "RESERVATION_CONFIRMED");
    let restock = pb::RestockReturnRequest {
        order_id: order.to_string(),
        refund_id: "r1".into(),
        lines: vec![pb::RestockLine {
            sku_id: sku.to_string(),
            quantity: 2,
            location_id: String::new(),
        }],
    };
    h.client()
        .restock_return(with(restock.clone(), &t.service))
        .await
        .unwrap();
    h.client()
        .restock_return(with(restock.clone(), &t.service))
        .await
        .unwrap();
    assert_eq!(h.scalar("SELECT on_hand FROM inv_stock", vec![]).await, 9);
    let mut too_many = restock;
    too_many.refund_id = "r2".into();
    let err = h
        .client()
        .restock_return(with(too_many, &t.service))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "RESTOCK_EXCEEDS_SOLD");
    assert_invariants(&h).await;
}

#[tokio::test]
async fn parallel_releases_give_units_back_once() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, sku) = (t.store(&h, 31.23).await, h.sku(t.id).await);
    t.receive(&h, store, sku, 4).await;
    let order = siyu_core::id::new();
    h.client()
        .reserve_stock(with(reserve_req(order, store, &[(sku, 4)]), &t.service))
        .await
        .unwrap();
    let calls = (0..16).map(|_| {
        let mut c = h.client();
        let req = with(
            pb::ReleaseReservationRequest {
                order_id: order.to_string(),
                reason: "ORDER_CANCELLED".into(),
            },
            &t.service,
        );
        async move { c.release_reservation(req).await }
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(
            r.unwrap().into_inner().reservation.unwrap().status,
            pb::ReservationStatus::Released as i32
        );
    }
    assert_eq!(h.scalar("SELECT reserved FROM inv_stock", vec![]).await, 0);
    let err = h
        .client()
        .confirm_reservation(with(
            pb::ConfirmReservationRequest {
                order_id: order.to_string(),
            },
            &t.service,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "RESERVATION_RELEASED");
    // An order without reservation releases to nothing.
    let none = h
        .client()
        .release_reservation(with(
            pb::ReleaseReservationRequest {
                order_id: siyu_core::id::new_string(),
                reason: String::new(),
            },
            &t.service,
        ))
        .await
        .unwrap();
    assert!(none.into_inner().reservation.is_none());
    assert_invariants(&h).await;
}

#[tokio::test]
async fn two_racing_expiry_runners_expire_a_reservation_once() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, sku) = (t.store(&h, 31.23).await, h.sku(t.id).await);
    t.receive(&h, store, sku, 5).await;
    let order = siyu_core::id::new();
    h.client()
        .reserve_stock(with(reserve_req(order, store, &[(sku, 5)]), &t.service))
        .await
        .unwrap();
    h.clock.advance(chrono::Duration::seconds(901));
    let (a, b) = (h.app_layer(), h.app_layer());
    let (ra, rb) = tokio::join!(a.expire_due(), b.expire_due());
    assert_eq!(ra.unwrap() + rb.unwrap(), 1);
    assert_eq!(h.scalar("SELECT reserved FROM inv_stock", vec![]).await, 0);
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM siyu_outbox WHERE event_type = 'catalog.reservation_expired'",
            vec![]
        )
        .await,
        1
    );
    let got = h
        .client()
        .get_reservation(with(
            pb::GetReservationRequest {
                order_id: order.to_string(),
            },
            &t.service,
        ))
        .await
        .unwrap();
    assert_eq!(
        got.into_inner().reservation.unwrap().status,
        pb::ReservationStatus::Expired as i32
    );
    let err = h
        .client()
        .confirm_reservation(with(
            pb::ConfirmReservationRequest {
                order_id: order.to_string(),
            },
            &t.service,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "RESERVATION_EXPIRED");
    // Late payment: revive takes the stock again.
    let mut revive = reserve_req(order, store, &[(sku, 5)]);
    revive.revive = true;
    let r = h
        .client()
        .reserve_stock(with(revive, &t.service))
        .await
        .unwrap()
        .into_inner()
        .reservation
        .unwrap();
    assert_eq!(r.status, pb::ReservationStatus::Held as i32);
    assert_eq!(h.scalar("SELECT reserved FROM inv_stock", vec![]).await, 5);
}

#[tokio::test]
async fn pickup_falls_back_to_a_warehouse_only_when_allowed() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let store = t.store(&h, 31.23).await;
    let sku = h.sku(t.id).await;
    let wh = h
        .client()
        .create_location(with(
            pb::CreateLocationRequest {
                location: Some(pb::Location {
                    kind: pb::LocationKind::Warehouse as i32,
                    name: "华东仓".into(),
                    org_path: t.root.to_string(),
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .location
        .unwrap()
        .location_id;
    t.receive(&h, wh.parse().unwrap(), sku, 3).await;
    let mut req = reserve_req(siyu_core::id::new(), store, &[(sku, 2)]);
    req.allocation = Some(pb::AllocationPolicy {
        target: Some(pb::allocation_policy::Target::PickupStoreId(
            store.to_string(),
        )),
        delivery_location: None,
        allow_warehouse: false,
    });
    let err = h
        .client()
        .reserve_stock(with(req.clone(), &t.service))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "INSUFFICIENT_STOCK");
    req.allocation.as_mut().unwrap().allow_warehouse = true;
    let r = h
        .client()
        .reserve_stock(with(req, &t.service))
        .await
        .unwrap()
        .into_inner()
        .reservation
        .unwrap();
    assert_eq!(r.lines[0].location_id, wh);
}

#[tokio::test]
async fn consumers_cannot_reserve_and_bad_lines_are_refused() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, sku) = (t.store(&h, 31.23).await, h.sku(t.id).await);
    let consumer = h.token(t.id, PrincipalKind::Consumer, &[], &[]);
    let err = h
        .client()
        .reserve_stock(with(
            reserve_req(siyu_core::id::new(), store, &[(sku, 1)]),
            &consumer,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    for (q, field) in [
        (0, "lines[0].quantity"),
        (-3, "lines[0].quantity"),
        (1_000_001, "lines[0].quantity"),
    ] {
        let err = h
            .client()
            .reserve_stock(with(
                reserve_req(siyu_core::id::new(), store, &[(sku, q)]),
                &t.service,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert!(err.message().contains(field), "{}", err.message());
    }
    let err = h
        .client()
        .reserve_stock(with(
            reserve_req(siyu_core::id::new(), store, &[(sku, 1), (sku, 1)]),
            &t.service,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = h
        .client()
        .reserve_stock(with(
            reserve_req(siyu_core::id::new(), store, &[(siyu_core::id::new(), 1)]),
            &t.service,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err).as_str()),
        (Code::NotFound, "SKU_NOT_FOUND")
    );
    let mut bad_ttl = reserve_req(siyu_core::id::new(), store, &[(sku, 1)]);
    bad_ttl.ttl_seconds = 5;
    assert_eq!(
        h.client()
            .reserve_stock(with(bad_ttl, &t.service))
            .await
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
}

#[tokio::test]
async fn sqlite_smoke_reserve_confirm() {
    let h = H::sqlite().await;
    let t = Tenant::new(&h).await;
    let (store, sku) = (t.store(&h, 31.23).await, h.sku(t.id).await);
    t.receive(&h, store, sku, 3).await;
    let calls = (0..8).map(|_| {
        let mut c = h.client();
        let req = with(
            reserve_req(siyu_core::id::new(), store, &[(sku, 1)]),
            &t.service,
        );
        async move { c.reserve_stock(req).await }
    });
    let ok: Vec<_> = futures::future::join_all(calls)
        .await
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    assert_eq!(ok.len(), 3);
    let order = ok[0]
        .get_ref()
        .reservation
        .as_ref()
        .unwrap()
        .order_id
        .clone();
    h.client()
        .confirm_reservation(with(
            pb::ConfirmReservationRequest { order_id: order },
            &t.service,
        ))
        .await
        .unwrap();
    assert_invariants(&h).await;
}
