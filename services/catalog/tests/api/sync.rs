//! SyncStock: absolute counts per line, STALE, REJECTED below reserved, `sync_id` replay,
//! concurrent repeats, tenant isolation, bad input.

use sea_orm::Value;
use siyu_core::{Clock, PrincipalKind};
use siyu_proto::catalog::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::harness::{H, Tenant, assert_invariants, field, reserve_req, with};

fn line(sku: Uuid, loc: Uuid, on_hand: i32, counted_ms: Option<i64>) -> pb::SyncStockLine {
    pb::SyncStockLine {
        sku_id: sku.to_string(),
        barcode: String::new(),
        location_id: loc.to_string(),
        on_hand,
        counted_at: counted_ms.map(|ms| prost_types::Timestamp {
            seconds: ms / 1000,
            nanos: i32::try_from(ms % 1000).unwrap() * 1_000_000,
        }),
    }
}

fn req(sync_id: &str, lines: Vec<pb::SyncStockLine>) -> pb::SyncStockRequest {
    pb::SyncStockRequest {
        sync_id: sync_id.into(),
        lines,
    }
}

fn partner(h: &H, t: &Tenant) -> String {
    h.token(t.id, PrincipalKind::Partner, &[], &["inventory.write"])
}

async fn sync(h: &H, token: &str, r: pb::SyncStockRequest) -> pb::SyncStockResponse {
    h.client()
        .sync_stock(with(r, token))
        .await
        .unwrap()
        .into_inner()
}

fn statuses(r: &pb::SyncStockResponse) -> Vec<(pb::SyncLineStatus, String)> {
    r.results
        .iter()
        .map(|l| (l.status(), l.reason.clone()))
        .collect()
}

async fn on_hand(h: &H, sku: Uuid, loc: Uuid) -> i64 {
    h.scalar(
        "SELECT on_hand FROM inv_stock WHERE sku_id = $1 AND location_id = $2",
        vec![Value::Uuid(Some(sku)), Value::Uuid(Some(loc))],
    )
    .await
}

async fn sync_movements(h: &H, sku: Uuid) -> i64 {
    h.scalar(
        "SELECT COUNT(*) FROM inv_movements WHERE sku_id = $1 AND kind = 7",
        vec![Value::Uuid(Some(sku))],
    )
    .await
}

#[tokio::test]
async fn applies_counts_by_id_and_barcode_with_sync_movements() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, a, b, c) = (
        t.store(&h, 31.2).await,
        h.sku(t.id).await,
        h.sku(t.id).await,
        h.sku(t.id).await,
    );
    h.exec(
        "UPDATE cat_skus SET barcode = '6901234567892' WHERE id = $1",
        vec![Value::Uuid(Some(b))],
    )
    .await;
    t.receive(&h, store, a, 10).await;
    t.receive(&h, store, c, 4).await;
    let mut by_barcode = line(Uuid::nil(), store, 7, None);
    by_barcode.sku_id = String::new();
    by_barcode.barcode = "6901234567892".into();
    let r = sync(
        &h,
        &partner(&h, &t),
        req(
            "batch-1",
            vec![line(a, store, 6, None), by_barcode, line(c, store, 4, None)],
        ),
    )
    .await;
    use pb::SyncLineStatus::{Applied, Unchanged};
    assert_eq!(
        statuses(&r),
        vec![
            (Applied, String::new()),
            (Applied, String::new()),
            (Unchanged, String::new())
        ]
    );
    assert_eq!((r.applied_count, r.rejected_count), (2, 0));
    assert_eq!(r.results[0].level.as_ref().unwrap().on_hand, 6);
    assert_eq!(r.results[1].level.as_ref().unwrap().sku_id, b.to_string());
    assert_eq!(
        (on_hand(&h, a, store).await, on_hand(&h, b, store).await),
        (6, 7)
    );
    let delta = h
        .scalar(
            "SELECT quantity FROM inv_movements WHERE sku_id = $1 AND kind = 7 AND sync_id = 'batch-1'",
            vec![Value::Uuid(Some(a))],
        )
        .await;
    assert_eq!(delta, -4);
    assert_eq!(sync_movements(&h, c).await, 0);
    // tenant_admin staff may sync too.
    let r = sync(&h, &t.admin, req("batch-2", vec![line(a, store, 9, None)])).await;
    assert_eq!(r.applied_count, 1);
    assert_invariants(&h).await;
}

#[tokio::test]
async fn older_count_is_stale_and_below_reserved_is_rejected() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, sku) = (t.store(&h, 31.2).await, h.sku(t.id).await);
    let p = partner(&h, &t);
    let now = h.clock.now().timestamp_millis();
    let r = sync(&h, &p, req("s1", vec![line(sku, store, 10, Some(now))])).await;
    assert_eq!(r.applied_count, 1);
    let r = sync(
        &h,
        &p,
        req("s2", vec![line(sku, store, 3, Some(now - 60_000))]),
    )
    .await;
    assert_eq!(
        statuses(&r),
        vec![(pb::SyncLineStatus::Stale, String::new())]
    );
    assert_eq!(r.results[0].level.as_ref().unwrap().on_hand, 10);
    assert_eq!(on_hand(&h, sku, store).await, 10);

    h.client()
        .reserve_stock(with(
            reserve_req(siyu_core::id::new(), store, &[(sku, 4)]),
            &t.service,
        ))
        .await
        .unwrap();
    let r = sync(&h, &p, req("s3", vec![line(sku, store, 3, None)])).await;
    assert_eq!(
        statuses(&r),
        vec![(
            pb::SyncLineStatus::Rejected,
            "STOCK_BELOW_RESERVED".to_owned()
        )]
    );
    assert_eq!(r.rejected_count, 1);
    assert_eq!(on_hand(&h, sku, store).await, 10);
    let r = sync(&h, &p, req("s4", vec![line(sku, store, 4, None)])).await;
    assert_eq!(r.applied_count, 1);
    assert_eq!(sync_movements(&h, sku).await, 2);
    assert_invariants(&h).await;
}

#[tokio::test]
async fn a_repeated_sync_id_returns_the_first_result_without_a_second_movement() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, sku) = (t.store(&h, 31.2).await, h.sku(t.id).await);
    let p = partner(&h, &t);
    let first = sync(&h, &p, req("dup", vec![line(sku, store, 8, None)])).await;
    // Even with other lines, the id answers the first batch.
    let again = sync(&h, &p, req("dup", vec![line(sku, store, 2, None)])).await;
    assert_eq!(first, again);
    assert_eq!(on_hand(&h, sku, store).await, 8);
    assert_eq!(sync_movements(&h, sku).await, 1);
}

#[tokio::test]
async fn sixteen_concurrent_identical_syncs_apply_once() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, sku) = (t.store(&h, 31.2).await, h.sku(t.id).await);
    t.receive(&h, store, sku, 5).await;
    let p = partner(&h, &t);
    let calls = (0..16).map(|_| {
        let mut c = h.client();
        let r = with(req("race", vec![line(sku, store, 12, None)]), &p);
        async move { c.sync_stock(r).await.map(tonic::Response::into_inner) }
    });
    let results: Vec<_> = futures::future::join_all(calls).await;
    let first = results[0].as_ref().unwrap();
    for r in &results {
        assert_eq!(r.as_ref().unwrap(), first);
    }
    assert_eq!(first.applied_count, 1);
    assert_eq!(on_hand(&h, sku, store).await, 12);
    assert_eq!(sync_movements(&h, sku).await, 1);
    assert_invariants(&h).await;
}

#[tokio::test]
async fn other_tenants_skus_locations_and_sync_ids_are_invisible() {
    let h = H::pg().await;
    let (t, u) = (Tenant::new(&h).await, Tenant::new(&h).await);
    let (store, sku) = (t.store(&h, 31.2).await, h.sku(t.id).await);
    let (u_store, u_sku) = (u.store(&h, 31.2).await, h.sku(u.id).await);
    let pt = partner(&h, &t);
    let r = sync(
        &h,
        &pt,
        req(
            "same-id",
            vec![line(u_sku, store, 5, None), line(sku, u_store, 5, None)],
        ),
    )
    .await;
    use pb::SyncLineStatus::Rejected;
    assert_eq!(
        statuses(&r),
        vec![
            (Rejected, "SKU_NOT_FOUND".to_owned()),
            (Rejected, "LOCATION_NOT_FOUND".to_owned())
        ]
    );
    // Tenant B's batch with the same sync_id is its own.
    let r = sync(
        &h,
        &partner(&h, &u),
        req("same-id", vec![line(u_sku, u_store, 5, None)]),
    )
    .await;
    assert_eq!(r.applied_count, 1);
    assert_eq!(on_hand(&h, u_sku, u_store).await, 5);
    // Callers without the scope or the role.
    for token in [
        h.token(t.id, PrincipalKind::Partner, &[], &["inventory.read"]),
        h.token(
            t.id,
            PrincipalKind::Staff,
            &[("hq_operator", t.root.to_string())],
            &[],
        ),
        t.service.clone(),
    ] {
        let e = h
            .client()
            .sync_stock(with(req("x", vec![line(sku, store, 1, None)]), &token))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    }
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_and_unknown_skus_are_rejected_lines() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store, sku) = (t.store(&h, 31.2).await, h.sku(t.id).await);
    let p = partner(&h, &t);
    let ok = line(sku, store, 1, None);
    let mut no_sku = ok.clone();
    no_sku.sku_id = String::new();
    let mut bad_id = ok.clone();
    bad_id.sku_id = "nope".into();
    let mut bad_loc = ok.clone();
    bad_loc.location_id = "nope".into();
    let cases: Vec<(pb::SyncStockRequest, &str)> = vec![
        (req("", vec![ok.clone()]), "sync_id"),
        (req(&"x".repeat(129), vec![ok.clone()]), "sync_id"),
        (req("b", vec![]), "lines"),
        (req("b", vec![ok.clone(); 1_001]), "lines"),
        (
            req("b", vec![line(sku, store, -1, None)]),
            "lines[0].on_hand",
        ),
        (req("b", vec![ok.clone(), no_sku]), "lines[1].sku_id"),
        (req("b", vec![bad_id]), "lines[0].sku_id"),
        (req("b", vec![bad_loc]), "lines[0].location_id"),
    ];
    for (r, want) in cases {
        let e = h.client().sync_stock(with(r, &p)).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{want}");
        assert_eq!(field(&e), want);
    }
    assert_eq!(sync_movements(&h, sku).await, 0);
    // Unknown SKUs (by id or barcode) are per-line REJECTED results; the other lines apply.
    let mut unknown_barcode = line(Uuid::nil(), store, 1, None);
    unknown_barcode.sku_id = String::new();
    unknown_barcode.barcode = "0000".into();
    let r = sync(
        &h,
        &p,
        req(
            "b",
            vec![
                line(siyu_core::id::new(), store, 1, None),
                unknown_barcode,
                line(sku, store, 3, None),
            ],
        ),
    )
    .await;
    assert_eq!(
        statuses(&r),
        vec![
            (pb::SyncLineStatus::Rejected, "SKU_NOT_FOUND".to_owned()),
            (pb::SyncLineStatus::Rejected, "SKU_NOT_FOUND".to_owned()),
            (pb::SyncLineStatus::Applied, String::new()),
        ]
    );
    assert_eq!((r.applied_count, r.rejected_count), (1, 2));
    assert_eq!(on_hand(&h, sku, store).await, 3);
}

#[tokio::test]
async fn smoke_on_sqlite() {
    let h = H::sqlite().await;
    let t = Tenant::new(&h).await;
    let (store, sku) = (t.store(&h, 31.2).await, h.sku(t.id).await);
    let p = partner(&h, &t);
    let first = sync(&h, &p, req("lite", vec![line(sku, store, 4, None)])).await;
    assert_eq!(first.applied_count, 1);
    let again = sync(&h, &p, req("lite", vec![line(sku, store, 9, None)])).await;
    assert_eq!(first, again);
    assert_eq!(on_hand(&h, sku, store).await, 4);
}
