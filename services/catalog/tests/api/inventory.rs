//! Locations, receive/adjust, permissions, tenant isolation, the stock property test.

use proptest::prelude::*;
use siyu_core::PrincipalKind;
use siyu_proto::catalog::v1 as pb;
use tonic::Code;

use crate::harness::{H, Tenant, assert_invariants, reason, reserve_req, with};

fn adjust(loc: uuid::Uuid, sku: uuid::Uuid, delta: i32) -> pb::AdjustStockRequest {
    pb::AdjustStockRequest {
        location_id: loc.to_string(),
        sku_id: sku.to_string(),
        change: Some(pb::adjust_stock_request::Change::Delta(delta)),
        reason: pb::AdjustReason::Damaged as i32,
        note: String::new(),
        expected_version: 0,
    }
}

#[tokio::test]
async fn staff_of_store_a_cannot_adjust_store_b_unless_a_grant_covers_both() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, b, sku) = (
        t.store(&h, 31.2).await,
        t.store(&h, 31.3).await,
        h.sku(t.id).await,
    );
    t.receive(&h, b, sku, 5).await;
    let manager_a = h.token(
        t.id,
        PrincipalKind::Staff,
        &[("store_manager", format!("{}/{a}", t.root))],
        &[],
    );
    let err = h
        .client()
        .adjust_stock(with(adjust(b, sku, -1), &manager_a))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    h.client()
        .adjust_stock(with(adjust(a, sku, 2), &manager_a))
        .await
        .unwrap();
    let regional = h.token(
        t.id,
        PrincipalKind::Staff,
        &[("store_manager", t.root.to_string())],
        &[],
    );
    h.client()
        .adjust_stock(with(adjust(b, sku, -1), &regional))
        .await
        .unwrap();
    assert_invariants(&h).await;
}

#[tokio::test]
async fn adjust_refuses_going_below_reserved_or_zero_and_stale_versions() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, sku) = (t.store(&h, 31.2).await, h.sku(t.id).await);
    t.receive(&h, store, sku, 5).await;
    h.client()
        .reserve_stock(with(
            reserve_req(siyu_core::id::new(), store, &[(sku, 3)]),
            &t.service,
        ))
        .await
        .unwrap();
    let err = h
        .client()
        .adjust_stock(with(adjust(store, sku, -3), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err).as_str()),
        (Code::FailedPrecondition, "STOCK_BELOW_RESERVED")
    );
    let err = h
        .client()
        .adjust_stock(with(adjust(store, sku, -9), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "INSUFFICIENT_STOCK");
    let mut stale = adjust(store, sku, 1);
    stale.expected_version = 99;
    assert_eq!(
        reason(
            &h.client()
                .adjust_stock(with(stale, &t.admin))
                .await
                .unwrap_err()
        ),
        "STOCK_VERSION_MISMATCH"
    );
    for bad in [adjust(store, sku, 0), adjust(store, sku, 2_000_000)] {
        assert_eq!(
            h.client()
                .adjust_stock(with(bad, &t.admin))
                .await
                .unwrap_err()
                .code(),
            Code::InvalidArgument
        );
    }
    let mut counted = adjust(store, sku, 1);
    counted.change = Some(pb::adjust_stock_request::Change::CountedOnHand(4));
    counted.reason = pb::AdjustReason::CountCorrection as i32;
    let out = h
        .client()
        .adjust_stock(with(counted, &t.admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out.movement.unwrap().quantity, -1);
    assert_eq!(out.level.unwrap().available, 1);
    let ms = h
        .client()
        .list_stock_movements(with(
            pb::ListStockMovementsRequest {
                location_id: store.to_string(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .movements;
    assert_eq!(
        ms.iter().map(|m| m.quantity).collect::<Vec<_>>(),
        vec![-1, 5]
    );
    assert_invariants(&h).await;
}

#[tokio::test]
async fn low_stock_is_published_once_per_crossing() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, sku) = (t.store(&h, 31.2).await, h.sku(t.id).await);
    t.receive(&h, store, sku, 10).await;
    h.client()
        .set_low_stock_thresholds(with(
            pb::SetLowStockThresholdsRequest {
                thresholds: vec![pb::LowStockThreshold {
                    sku_id: sku.to_string(),
                    location_id: store.to_string(),
                    threshold: 5,
                }],
            },
            &t.admin,
        ))
        .await
        .unwrap();
    for _ in 0..3 {
        h.client()
            .adjust_stock(with(adjust(store, sku, -2), &t.admin))
            .await
            .unwrap();
    }
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM siyu_outbox WHERE event_type = 'catalog.stock_low'",
            vec![]
        )
        .await,
        1
    );
    t.receive(&h, store, sku, 10).await;
    h.client()
        .adjust_stock(with(adjust(store, sku, -10), &t.admin))
        .await
        .unwrap();
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM siyu_outbox WHERE event_type = 'catalog.stock_low'",
            vec![]
        )
        .await,
        2
    );
}

#[tokio::test]
async fn another_tenant_gets_not_found_for_every_implemented_rpc() {
    let h = H::pg().await;
    let a = Tenant::new(&h).await;
    let b = Tenant::new(&h).await;
    let (store, sku) = (a.store(&h, 31.2).await, h.sku(a.id).await);
    a.receive(&h, store, sku, 5).await;
    let order = siyu_core::id::new();
    h.client()
        .reserve_stock(with(reserve_req(order, store, &[(sku, 1)]), &a.service))
        .await
        .unwrap();
    // B's admin covers B's root only; B's service has no locations at all.
    let (ba, bs) = (b.admin.clone(), b.service.clone());
    let mut c = h.client();
    let results: Vec<(&str, tonic::Status)> = vec![
        (
            "GetLocation",
            c.get_location(with(
                pb::GetLocationRequest {
                    location_id: store.to_string(),
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "GetStockLevels",
            c.get_stock_levels(with(
                pb::GetStockLevelsRequest {
                    sku_ids: vec![sku.to_string()],
                    location_ids: vec![],
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "ListStockLevels",
            c.list_stock_levels(with(
                pb::ListStockLevelsRequest {
                    location_id: store.to_string(),
                    ..Default::default()
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "ListStockMovements",
            c.list_stock_movements(with(
                pb::ListStockMovementsRequest {
                    location_id: store.to_string(),
                    ..Default::default()
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "ReceiveStock",
            c.receive_stock(with(
                pb::ReceiveStockRequest {
                    location_id: store.to_string(),
                    lines: vec![pb::SkuQuantity {
                        sku_id: sku.to_string(),
                        quantity: 1,
                    }],
                    ..Default::default()
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "AdjustStock",
            c.adjust_stock(with(adjust(store, sku, 1), &ba))
                .await
                .unwrap_err(),
        ),
        (
            "SetLowStockThresholds",
            c.set_low_stock_thresholds(with(
                pb::SetLowStockThresholdsRequest {
                    thresholds: vec![pb::LowStockThreshold {
                        sku_id: sku.to_string(),
                        location_id: store.to_string(),
                        threshold: 1,
                    }],
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "ReserveStock",
            c.reserve_stock(with(
                reserve_req(siyu_core::id::new(), store, &[(sku, 1)]),
                &bs,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "ConfirmReservation",
            c.confirm_reservation(with(
                pb::ConfirmReservationRequest {
                    order_id: order.to_string(),
                },
                &bs,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "GetReservation",
            c.get_reservation(with(
                pb::GetReservationRequest {
                    order_id: order.to_string(),
                },
                &bs,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "RestockReturn",
            c.restock_return(with(
                pb::RestockReturnRequest {
                    order_id: order.to_string(),
                    refund_id: "r".into(),
                    lines: vec![pb::RestockLine {
                        sku_id: sku.to_string(),
                        quantity: 1,
                        location_id: String::new(),
                    }],
                },
                &bs,
            ))
            .await
            .unwrap_err(),
        ),
    ];
    let mut results = results;
    results.extend(crate::catalog::isolation_rows(&h, &a, &b, &store.to_string()).await);
    for (rpc, status) in results {
        assert_eq!(status.code(), Code::NotFound, "{rpc}: {status:?}");
    }
    // Release of an unknown order is "no reservation", not someone else's.
    let r = c
        .release_reservation(with(
            pb::ReleaseReservationRequest {
                order_id: order.to_string(),
                reason: String::new(),
            },
            &bs,
        ))
        .await
        .unwrap();
    assert!(r.into_inner().reservation.is_none());
    assert_eq!(h.scalar("SELECT reserved FROM inv_stock", vec![]).await, 1);
}

#[tokio::test]
async fn bad_locations_and_coordinates_are_refused() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let id = siyu_core::id::new();
    let mut loc = pb::Location {
        location_id: id.to_string(),
        kind: pb::LocationKind::Store as i32,
        name: "店".into(),
        org_path: format!("{}/{id}", t.root),
        address: Some(siyu_proto::common::v1::Address {
            location: Some(siyu_proto::common::v1::GeoPoint {
                latitude: 91.0,
                longitude: 0.0,
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let err = h
        .client()
        .create_location(with(
            pb::CreateLocationRequest {
                location: Some(loc.clone()),
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    loc.address = None;
    let err = h
        .client()
        .create_location(with(
            pb::CreateLocationRequest {
                location: Some(loc.clone()),
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let store = t.store(&h, 31.2).await;
    let err = h
        .client()
        .get_location(with(
            pb::GetLocationRequest {
                location_id: "nope".into(),
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = h
        .client()
        .receive_stock(with(
            pb::ReceiveStockRequest {
                location_id: store.to_string(),
                lines: vec![],
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = h
        .client()
        .sync_stock(with(pb::SyncStockRequest::default(), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = h
        .client()
        .get_transfer(with(pb::GetTransferRequest::default(), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), crate::harness::field(&err)),
        (Code::InvalidArgument, "transfer_id".into())
    );
}

#[derive(Debug, Clone)]
enum Op {
    Receive(i32),
    Adjust(i32),
    Reserve(i32),
    Confirm(usize),
    Release(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1..20i32).prop_map(Op::Receive),
        (-15..15i32).prop_map(Op::Adjust),
        (1..8i32).prop_map(Op::Reserve),
        (0..8usize).prop_map(Op::Confirm),
        (0..8usize).prop_map(Op::Release),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]
    #[test]
    fn any_sequence_keeps_available_nonnegative_and_the_journal_equal_to_on_hand(ops in proptest::collection::vec(op(), 1..25)) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let h = H::sqlite().await;
            let t = Tenant::new(&h).await;
            let (store, sku) = (t.store(&h, 31.2).await, h.sku(t.id).await);
            let mut orders = Vec::new();
            let mut c = h.client();
            for op in ops {
                match op {
                    Op::Receive(q) => { t.receive(&h, store, sku, q).await; }
                    Op::Adjust(d) => { let _ = c.adjust_stock(with(adjust(store, sku, d), &t.admin)).await; }
                    Op::Reserve(q) => {
                        let o = siyu_core::id::new();
                        if c.reserve_stock(with(reserve_req(o, store, &[(sku, q)]), &t.service)).await.is_ok() { orders.push(o); }
                    }
                    Op::Confirm(i) => if let Some(o) = orders.get(i) {
                        let _ = c.confirm_reservation(with(pb::ConfirmReservationRequest { order_id: o.to_string() }, &t.service)).await;
                    },
                    Op::Release(i) => if let Some(o) = orders.get(i) {
                        let _ = c.release_reservation(with(pb::ReleaseReservationRequest { order_id: o.to_string(), reason: String::new() }, &t.service)).await;
                    },
                }
            }
            assert_invariants(&h).await;
        });
    }
}
