//! Transfers (调拨): create reserves at the source (all or none), ship moves stock out
//! (TRANSFER_OUT), receive moves it in (TRANSFER_IN, short receipts), cancel releases; each
//! state change applies once under concurrent retries; permissions, tenant isolation, bad input.

use sea_orm::Value;
use siyu_core::PrincipalKind;
use siyu_proto::catalog::v1 as pb;
use tonic::Code;
use tonic_types::StatusExt;
use uuid::Uuid;

use crate::harness::{H, Tenant, assert_invariants, field, reason, with};

fn create_req(from: Uuid, to: Uuid, lines: &[(Uuid, i32)]) -> pb::CreateTransferRequest {
    pb::CreateTransferRequest {
        from_location_id: from.to_string(),
        to_location_id: to.to_string(),
        lines: lines
            .iter()
            .map(|(s, q)| pb::SkuQuantity {
                sku_id: s.to_string(),
                quantity: *q,
            })
            .collect(),
        note: "补货".into(),
    }
}

fn ship_req(t: &pb::Transfer) -> pb::ShipTransferRequest {
    pb::ShipTransferRequest {
        transfer_id: t.transfer_id.clone(),
        tracking_reference: "SF123".into(),
    }
}

fn receive_req(t: &pb::Transfer, received: &[(Uuid, i32)]) -> pb::ReceiveTransferRequest {
    pb::ReceiveTransferRequest {
        transfer_id: t.transfer_id.clone(),
        received: received
            .iter()
            .map(|(s, q)| pb::SkuQuantity {
                sku_id: s.to_string(),
                quantity: *q,
            })
            .collect(),
        note: "箱子破损".into(),
    }
}

fn cancel_req(t: &pb::Transfer) -> pb::CancelTransferRequest {
    pb::CancelTransferRequest {
        transfer_id: t.transfer_id.clone(),
        reason: "不需要了".into(),
    }
}

fn manager(h: &H, t: &Tenant, store: Uuid) -> String {
    h.token(
        t.id,
        PrincipalKind::Staff,
        &[("store_manager", format!("{}/{store}", t.root))],
        &[],
    )
}

async fn create(h: &H, token: &str, r: pb::CreateTransferRequest) -> pb::Transfer {
    h.client()
        .create_transfer(with(r, token))
        .await
        .unwrap()
        .into_inner()
        .transfer
        .unwrap()
}

/// (on_hand, reserved, in_transit) of a pair; zeros when the row does not exist.
async fn level(h: &H, sku: Uuid, loc: Uuid) -> (i64, i64, i64) {
    let v = || vec![Value::Uuid(Some(sku)), Value::Uuid(Some(loc))];
    let q = |c: &str| {
        format!(
            "SELECT COALESCE(SUM({c}), 0) FROM inv_stock WHERE sku_id = $1 AND location_id = $2"
        )
    };
    (
        h.scalar(&q("on_hand"), v()).await,
        h.scalar(&q("reserved"), v()).await,
        h.scalar(&q("in_transit"), v()).await,
    )
}

/// Movements of a transfer of `kind` (3 = TRANSFER_OUT, 4 = TRANSFER_IN): (count, sum).
async fn movements(h: &H, t: &pb::Transfer, kind: i16) -> (i64, i64) {
    let v = || {
        vec![
            Value::String(Some(t.transfer_id.clone())),
            Value::SmallInt(Some(kind)),
        ]
    };
    (
        h.scalar(
            "SELECT COUNT(*) FROM inv_movements WHERE transfer_id = $1 AND kind = $2",
            v(),
        )
        .await,
        h.scalar(
            "SELECT COALESCE(SUM(quantity), 0) FROM inv_movements WHERE transfer_id = $1 AND kind = $2",
            v(),
        )
        .await,
    )
}

async fn happy_path(h: &H) {
    let t = Tenant::new(h).await;
    let (a, b) = (t.store(h, 31.2).await, t.store(h, 31.21).await);
    let (x, y) = (h.sku(t.id).await, h.sku(t.id).await);
    t.receive(h, a, x, 10).await;
    t.receive(h, a, y, 5).await;
    let (ma, mb) = (manager(h, &t, a), manager(h, &t, b));
    // The destination's manager may request it.
    let tr = create(h, &mb, create_req(a, b, &[(y, 5), (x, 4)])).await;
    assert_eq!(tr.status(), pb::TransferStatus::Created);
    assert!(tr.transfer_no.starts_with("TR"), "{}", tr.transfer_no);
    assert_eq!(tr.lines.len(), 2);
    assert_eq!(level(h, x, a).await, (10, 4, 0));
    assert_eq!(level(h, y, a).await, (5, 5, 0));
    // Reserved units are not available to orders.
    let e = h
        .client()
        .reserve_stock(with(
            crate::harness::reserve_req(siyu_core::id::new(), a, &[(y, 1)]),
            &t.service,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "INSUFFICIENT_STOCK");

    // Only the source ships.
    let e = h
        .client()
        .ship_transfer(with(ship_req(&tr), &mb))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let shipped = h
        .client()
        .ship_transfer(with(ship_req(&tr), &ma))
        .await
        .unwrap()
        .into_inner()
        .transfer
        .unwrap();
    assert_eq!(shipped.status(), pb::TransferStatus::Shipped);
    assert_eq!(shipped.tracking_reference, "SF123");
    assert!(shipped.shipped_at.is_some());
    assert_eq!(level(h, x, a).await, (6, 0, 0));
    assert_eq!(level(h, y, a).await, (0, 0, 0));
    assert_eq!(level(h, x, b).await, (0, 0, 4));
    assert_eq!(level(h, y, b).await, (0, 0, 5));
    assert_eq!(movements(h, &tr, 3).await, (2, -9));

    // Only the destination receives; y arrives 2 short.
    let e = h
        .client()
        .receive_transfer(with(receive_req(&tr, &[]), &ma))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let received = h
        .client()
        .receive_transfer(with(receive_req(&tr, &[(y, 3)]), &mb))
        .await
        .unwrap()
        .into_inner()
        .transfer
        .unwrap();
    assert_eq!(received.status(), pb::TransferStatus::Received);
    assert!(received.closed_at.is_some());
    let got: Vec<(String, i32, i32)> = received
        .lines
        .iter()
        .map(|l| (l.sku_id.clone(), l.quantity, l.received_quantity))
        .collect();
    assert!(got.contains(&(x.to_string(), 4, 4)));
    assert!(got.contains(&(y.to_string(), 5, 3)));
    assert!(
        received.note.contains("TRANSFER_DISCREPANCY"),
        "{}",
        received.note
    );
    assert_eq!(level(h, x, b).await, (4, 0, 0));
    assert_eq!(level(h, y, b).await, (3, 0, 0));
    assert_eq!(movements(h, &tr, 4).await, (2, 7));
    let short_reason = h
        .scalar(
            "SELECT CAST(reason AS INTEGER) FROM inv_movements WHERE transfer_id = $1 AND kind = 4 AND sku_id = $2",
            vec![
                Value::String(Some(tr.transfer_id.clone())),
                Value::Uuid(Some(y)),
            ],
        )
        .await;
    assert_eq!(short_reason, pb::AdjustReason::TransferDiscrepancy as i64);

    // The journal through the API.
    let journal = h
        .client()
        .list_stock_movements(with(
            pb::ListStockMovementsRequest {
                transfer_id: tr.transfer_id.clone(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .movements;
    assert_eq!(journal.len(), 4);
    assert!(
        journal
            .iter()
            .all(|m| m.transfer_id == tr.transfer_id && m.reference == "SF123")
    );

    // Get and list.
    let g = h
        .client()
        .get_transfer(with(
            pb::GetTransferRequest {
                transfer_id: tr.transfer_id.clone(),
            },
            &ma,
        ))
        .await
        .unwrap()
        .into_inner()
        .transfer
        .unwrap();
    assert_eq!(g, received);
    let listed = h
        .client()
        .list_transfers(with(
            pb::ListTransfersRequest {
                location_id: b.to_string(),
                statuses: vec![pb::TransferStatus::Received as i32],
                page: None,
            },
            &mb,
        ))
        .await
        .unwrap()
        .into_inner()
        .transfers;
    assert_eq!(listed, vec![received]);
    assert_invariants(h).await;
}

#[tokio::test]
async fn create_ship_receive_moves_stock_with_journal() {
    happy_path(&H::pg().await).await;
}

#[tokio::test]
async fn create_ship_receive_on_sqlite() {
    happy_path(&H::sqlite().await).await;
}

#[tokio::test]
async fn insufficient_stock_takes_nothing() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, b) = (t.store(&h, 31.2).await, t.store(&h, 31.21).await);
    let (x, y) = (h.sku(t.id).await, h.sku(t.id).await);
    t.receive(&h, a, x, 10).await;
    t.receive(&h, a, y, 1).await;
    let (lo, hi) = if x < y { (x, y) } else { (y, x) };
    // Whichever SKU is applied first, the short one fails the whole transfer.
    let short = if lo == y { lo } else { hi };
    let e = h
        .client()
        .create_transfer(with(create_req(a, b, &[(x, 4), (y, 2)]), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert_eq!(reason(&e), "INSUFFICIENT_STOCK");
    let info = e.get_details_error_info().unwrap();
    assert_eq!(info.metadata.get("sku_id"), Some(&short.to_string()));
    assert_eq!(info.metadata.get("available"), Some(&"1".to_string()));
    assert_eq!(level(&h, x, a).await, (10, 0, 0));
    assert_eq!(level(&h, y, a).await, (1, 0, 0));
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM inv_transfers", vec![]).await,
        0
    );
    // Never stocked at the source: available 0.
    let z = h.sku(t.id).await;
    let e = h
        .client()
        .create_transfer(with(create_req(a, b, &[(z, 1)]), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "INSUFFICIENT_STOCK");
}

#[tokio::test]
async fn cancel_releases_and_states_are_enforced() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, b) = (t.store(&h, 31.2).await, t.store(&h, 31.21).await);
    let x = h.sku(t.id).await;
    t.receive(&h, a, x, 10).await;
    let tr = create(&h, &t.admin, create_req(a, b, &[(x, 6)])).await;
    assert_eq!(level(&h, x, a).await, (10, 6, 0));
    let e = h
        .client()
        .receive_transfer(with(receive_req(&tr, &[]), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), reason(&e)),
        (Code::FailedPrecondition, "TRANSFER_NOT_SHIPPED".into())
    );
    let c = h
        .client()
        .cancel_transfer(with(cancel_req(&tr), &t.admin))
        .await
        .unwrap()
        .into_inner()
        .transfer
        .unwrap();
    assert_eq!(c.status(), pb::TransferStatus::Cancelled);
    assert!(c.closed_at.is_some());
    assert_eq!(level(&h, x, a).await, (10, 0, 0));
    let e = h
        .client()
        .ship_transfer(with(ship_req(&tr), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), reason(&e)),
        (Code::FailedPrecondition, "TRANSFER_NOT_CREATED".into())
    );
    // A shipped transfer can no longer be cancelled.
    let tr2 = create(&h, &t.admin, create_req(a, b, &[(x, 2)])).await;
    h.client()
        .ship_transfer(with(ship_req(&tr2), &t.admin))
        .await
        .unwrap();
    let e = h
        .client()
        .cancel_transfer(with(cancel_req(&tr2), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), reason(&e)),
        (Code::FailedPrecondition, "TRANSFER_ALREADY_SHIPPED".into())
    );
    assert_eq!(movements(&h, &tr, 3).await, (0, 0));
    assert_invariants(&h).await;
}

#[tokio::test]
async fn concurrent_retries_apply_each_state_change_once() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, b) = (t.store(&h, 31.2).await, t.store(&h, 31.21).await);
    let (x, y) = (h.sku(t.id).await, h.sku(t.id).await);
    t.receive(&h, a, x, 20).await;
    t.receive(&h, a, y, 20).await;
    let tr = create(&h, &t.admin, create_req(a, b, &[(x, 5), (y, 3)])).await;

    let ships = (0..8).map(|_| {
        let mut c = h.client();
        let r = with(ship_req(&tr), &t.admin);
        async move { c.ship_transfer(r).await }
    });
    for r in futures::future::join_all(ships).await {
        assert_eq!(
            r.unwrap().into_inner().transfer.unwrap().status(),
            pb::TransferStatus::Shipped
        );
    }
    assert_eq!(movements(&h, &tr, 3).await, (2, -8));
    assert_eq!(level(&h, x, a).await, (15, 0, 0));
    assert_eq!(level(&h, x, b).await, (0, 0, 5));

    let receives = (0..8).map(|_| {
        let mut c = h.client();
        let r = with(receive_req(&tr, &[(x, 4)]), &t.admin);
        async move { c.receive_transfer(r).await }
    });
    for r in futures::future::join_all(receives).await {
        assert_eq!(
            r.unwrap().into_inner().transfer.unwrap().status(),
            pb::TransferStatus::Received
        );
    }
    assert_eq!(movements(&h, &tr, 4).await, (2, 7));
    assert_eq!(level(&h, x, b).await, (4, 0, 0));
    assert_eq!(level(&h, y, b).await, (3, 0, 0));

    let tr2 = create(&h, &t.admin, create_req(a, b, &[(x, 7)])).await;
    assert_eq!(level(&h, x, a).await, (15, 7, 0));
    let cancels = (0..8).map(|_| {
        let mut c = h.client();
        let r = with(cancel_req(&tr2), &t.admin);
        async move { c.cancel_transfer(r).await }
    });
    for r in futures::future::join_all(cancels).await {
        assert_eq!(
            r.unwrap().into_inner().transfer.unwrap().status(),
            pb::TransferStatus::Cancelled
        );
    }
    assert_eq!(level(&h, x, a).await, (15, 0, 0));
    assert_invariants(&h).await;
}

#[tokio::test]
async fn a_third_stores_manager_is_refused() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, b, c) = (
        t.store(&h, 31.2).await,
        t.store(&h, 31.21).await,
        t.store(&h, 31.22).await,
    );
    let x = h.sku(t.id).await;
    t.receive(&h, a, x, 10).await;
    let mc = manager(&h, &t, c);
    let e = h
        .client()
        .create_transfer(with(create_req(a, b, &[(x, 1)]), &mc))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let tr = create(&h, &manager(&h, &t, a), create_req(a, b, &[(x, 1)])).await;
    let mut client = h.client();
    let denied = [
        client
            .ship_transfer(with(ship_req(&tr), &mc))
            .await
            .unwrap_err(),
        client
            .cancel_transfer(with(cancel_req(&tr), &mc))
            .await
            .unwrap_err(),
        client
            .get_transfer(with(
                pb::GetTransferRequest {
                    transfer_id: tr.transfer_id.clone(),
                },
                &mc,
            ))
            .await
            .unwrap_err(),
        client
            .list_transfers(with(
                pb::ListTransfersRequest {
                    location_id: a.to_string(),
                    ..Default::default()
                },
                &mc,
            ))
            .await
            .unwrap_err(),
        client
            .list_transfers(with(pb::ListTransfersRequest::default(), &mc))
            .await
            .unwrap_err(),
    ];
    for e in denied {
        assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    }
    // Partners need inventory.write; consumers and services are refused.
    let reader = h.token(t.id, PrincipalKind::Partner, &[], &["inventory.read"]);
    let e = client
        .cancel_transfer(with(cancel_req(&tr), &reader))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = client
        .create_transfer(with(create_req(a, b, &[(x, 1)]), &t.service))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let writer = h.token(t.id, PrincipalKind::Partner, &[], &["inventory.write"]);
    client
        .cancel_transfer(with(cancel_req(&tr), &writer))
        .await
        .unwrap();
    assert_eq!(level(&h, x, a).await, (10, 0, 0));
}

#[tokio::test]
async fn tenants_are_isolated() {
    let h = H::pg().await;
    let (t1, t2) = (Tenant::new(&h).await, Tenant::new(&h).await);
    let (a, b) = (t1.store(&h, 31.2).await, t1.store(&h, 31.21).await);
    let (c, d) = (t2.store(&h, 31.2).await, t2.store(&h, 31.21).await);
    let x = h.sku(t1.id).await;
    t1.receive(&h, a, x, 10).await;
    let tr = create(&h, &t1.admin, create_req(a, b, &[(x, 2)])).await;
    let mut client = h.client();
    let other = &t2.admin;
    let not_found = [
        client
            .ship_transfer(with(ship_req(&tr), other))
            .await
            .unwrap_err(),
        client
            .receive_transfer(with(receive_req(&tr, &[]), other))
            .await
            .unwrap_err(),
        client
            .cancel_transfer(with(cancel_req(&tr), other))
            .await
            .unwrap_err(),
        client
            .get_transfer(with(
                pb::GetTransferRequest {
                    transfer_id: tr.transfer_id.clone(),
                },
                other,
            ))
            .await
            .unwrap_err(),
    ];
    for e in not_found {
        assert_eq!(
            (e.code(), reason(&e)),
            (Code::NotFound, "TRANSFER_NOT_FOUND".into())
        );
    }
    let e = client
        .create_transfer(with(create_req(a, b, &[(x, 1)]), other))
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "LOCATION_NOT_FOUND");
    let e = client
        .create_transfer(with(create_req(c, d, &[(x, 1)]), other))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), reason(&e)),
        (Code::NotFound, "SKU_NOT_FOUND".into())
    );
    let e = client
        .list_transfers(with(
            pb::ListTransfersRequest {
                location_id: a.to_string(),
                ..Default::default()
            },
            other,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "LOCATION_NOT_FOUND");
    let all = client
        .list_transfers(with(pb::ListTransfersRequest::default(), other))
        .await
        .unwrap()
        .into_inner()
        .transfers;
    assert!(all.is_empty());
    assert_eq!(level(&h, x, a).await, (10, 2, 0));
}

#[tokio::test]
async fn lists_newest_first_with_paging() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, b, c) = (
        t.store(&h, 31.2).await,
        t.store(&h, 31.21).await,
        t.store(&h, 31.22).await,
    );
    let x = h.sku(t.id).await;
    t.receive(&h, a, x, 10).await;
    t.receive(&h, c, x, 10).await;
    let mut made = Vec::new();
    for (from, to) in [(a, b), (c, b), (a, c)] {
        made.push(create(&h, &t.admin, create_req(from, to, &[(x, 1)])).await);
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let r = h
            .client()
            .list_transfers(with(
                pb::ListTransfersRequest {
                    location_id: a.to_string(),
                    statuses: vec![],
                    page: Some(siyu_proto::common::v1::PageRequest {
                        page_size: 1,
                        page_token: token.clone(),
                    }),
                },
                &t.admin,
            ))
            .await
            .unwrap()
            .into_inner();
        seen.extend(r.transfers.into_iter().map(|t| t.transfer_id));
        token = r.page.unwrap().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(
        seen,
        vec![made[2].transfer_id.clone(), made[0].transfer_id.clone()]
    );
    let created = h
        .client()
        .list_transfers(with(
            pb::ListTransfersRequest {
                statuses: vec![pb::TransferStatus::Created as i32],
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .transfers;
    assert_eq!(created.len(), 3);
    assert_eq!(created[0].transfer_id, made[2].transfer_id);
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, b) = (t.store(&h, 31.2).await, t.store(&h, 31.21).await);
    let x = h.sku(t.id).await;
    t.receive(&h, a, x, 10).await;
    let mut client = h.client();
    let mut cases: Vec<(pb::CreateTransferRequest, Code, &str, &str)> = vec![
        (
            create_req(a, a, &[(x, 1)]),
            Code::InvalidArgument,
            "to_location_id",
            "SAME_LOCATION",
        ),
        (
            create_req(a, b, &[(x, 0)]),
            Code::InvalidArgument,
            "lines[0].quantity",
            "INVALID_ARGUMENT",
        ),
        (
            create_req(a, b, &[(x, -3)]),
            Code::InvalidArgument,
            "lines[0].quantity",
            "INVALID_ARGUMENT",
        ),
        (
            create_req(a, b, &[]),
            Code::InvalidArgument,
            "lines",
            "INVALID_ARGUMENT",
        ),
        (
            create_req(a, b, &[(x, 1), (x, 2)]),
            Code::InvalidArgument,
            "lines[1].sku_id",
            "INVALID_ARGUMENT",
        ),
        (
            create_req(a, b, &[(siyu_core::id::new(), 1)]),
            Code::NotFound,
            "",
            "SKU_NOT_FOUND",
        ),
        (
            create_req(a, siyu_core::id::new(), &[(x, 1)]),
            Code::NotFound,
            "",
            "LOCATION_NOT_FOUND",
        ),
        (
            create_req(siyu_core::id::new(), b, &[(x, 1)]),
            Code::NotFound,
            "",
            "LOCATION_NOT_FOUND",
        ),
    ];
    let mut bad_id = create_req(a, b, &[(x, 1)]);
    bad_id.from_location_id = "nope".into();
    cases.push((
        bad_id,
        Code::InvalidArgument,
        "from_location_id",
        "INVALID_ARGUMENT",
    ));
    let mut bad_sku = create_req(a, b, &[(x, 1)]);
    bad_sku.lines[0].sku_id = "nope".into();
    cases.push((
        bad_sku,
        Code::InvalidArgument,
        "lines[0].sku_id",
        "INVALID_ARGUMENT",
    ));
    for (req, code, f, r) in cases {
        let e = client
            .create_transfer(with(req.clone(), &t.admin))
            .await
            .unwrap_err();
        assert_eq!(
            (e.code(), field(&e).as_str(), reason(&e).as_str()),
            (code, f, r),
            "{req:?}"
        );
    }
    assert_eq!(level(&h, x, a).await, (10, 0, 0));

    let tr = create(&h, &t.admin, create_req(a, b, &[(x, 3)])).await;
    client
        .ship_transfer(with(ship_req(&tr), &t.admin))
        .await
        .unwrap();
    let receives = [
        (receive_req(&tr, &[(x, 4)]), "received[0].quantity"),
        (receive_req(&tr, &[(x, -1)]), "received[0].quantity"),
        (
            receive_req(&tr, &[(siyu_core::id::new(), 1)]),
            "received[0].sku_id",
        ),
        (receive_req(&tr, &[(x, 1), (x, 1)]), "received[1].sku_id"),
    ];
    for (req, f) in receives {
        let e = client
            .receive_transfer(with(req.clone(), &t.admin))
            .await
            .unwrap_err();
        assert_eq!(
            (e.code(), field(&e)),
            (Code::InvalidArgument, f.into()),
            "{req:?}"
        );
    }
    let e = client
        .get_transfer(with(
            pb::GetTransferRequest {
                transfer_id: "nope".into(),
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(field(&e), "transfer_id");
    let e = client
        .get_transfer(with(
            pb::GetTransferRequest {
                transfer_id: siyu_core::id::new_string(),
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), reason(&e)),
        (Code::NotFound, "TRANSFER_NOT_FOUND".into())
    );
    let e = client
        .list_transfers(with(
            pb::ListTransfersRequest {
                statuses: vec![9],
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(field(&e), "statuses[0]");
    // Receiving everything after the refusals still works: nothing was half-applied.
    client
        .receive_transfer(with(receive_req(&tr, &[(x, 0)]), &t.admin))
        .await
        .unwrap();
    assert_eq!(level(&h, x, b).await, (0, 0, 0));
    assert_invariants(&h).await;
}

#[tokio::test]
async fn opposite_transfers_ship_concurrently_without_deadlock() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, b) = (t.store(&h, 31.2).await, t.store(&h, 31.21).await);
    let (x, y) = (h.sku(t.id).await, h.sku(t.id).await);
    for loc in [a, b] {
        t.receive(&h, loc, x, 50).await;
        t.receive(&h, loc, y, 50).await;
    }
    for _ in 0..5 {
        let ab = create(&h, &t.admin, create_req(a, b, &[(x, 1), (y, 1)])).await;
        let ba = create(&h, &t.admin, create_req(b, a, &[(x, 1), (y, 1)])).await;
        let (mut c1, mut c2) = (h.client(), h.client());
        let (r1, r2) = tokio::join!(
            c1.ship_transfer(with(ship_req(&ab), &t.admin)),
            c2.ship_transfer(with(ship_req(&ba), &t.admin)),
        );
        r1.unwrap();
        r2.unwrap();
    }
    assert_eq!(level(&h, x, a).await, (45, 0, 5));
    assert_eq!(level(&h, y, b).await, (45, 0, 5));
    assert_invariants(&h).await;
}
