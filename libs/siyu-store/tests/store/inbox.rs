//! The inbox: the same event delivered twice (or concurrently) has one effect.

use sea_orm::TransactionTrait;
use siyu_store::inbox;
use uuid::Uuid;

use crate::per_backend;
use crate::support::{Kind, TestDb, clock, record_effect};

/// Applies `event_id` as a consumer would: inbox + effect in one transaction.
async fn apply(db: &sea_orm::DatabaseConnection, event_id: Uuid, tag: &str) -> bool {
    let txn = siyu_store::db::begin_write(db).await.unwrap();
    let first = inbox::record_once(&txn, "points-earner", event_id, clock().now())
        .await
        .unwrap();
    if first {
        record_effect(&txn, tag).await.unwrap();
    }
    txn.commit().await.unwrap();
    first
}

async fn redelivered_event_has_one_effect(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let event_id = siyu_core::id::new();
    assert!(apply(&tdb.db, event_id, "earn").await);
    assert!(!apply(&tdb.db, event_id, "earn").await);
    assert_eq!(tdb.effects("earn").await, 1);

    // Another consumer may apply the same event once too.
    let txn = tdb.db.begin().await.unwrap();
    assert!(
        inbox::record_once(&txn, "notifier", event_id, clock().now())
            .await
            .unwrap()
    );
    txn.commit().await.unwrap();

    // A rolled-back attempt does not count as applied.
    let other = siyu_core::id::new();
    let txn = tdb.db.begin().await.unwrap();
    assert!(
        inbox::record_once(&txn, "points-earner", other, clock().now())
            .await
            .unwrap()
    );
    txn.rollback().await.unwrap();
    assert!(apply(&tdb.db, other, "earn-2").await);
    assert_eq!(tdb.effects("earn-2").await, 1);
}
per_backend!(redelivered_event_has_one_effect);

async fn concurrent_deliveries_have_one_effect(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let event_id = siyu_core::id::new();
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let db = tdb.db.clone();
            tokio::spawn(async move { apply(&db, event_id, "concurrent").await })
        })
        .collect();
    let mut firsts = 0;
    for t in tasks {
        firsts += usize::from(t.await.unwrap());
    }
    assert_eq!(firsts, 1);
    assert_eq!(tdb.effects("concurrent").await, 1);
}
per_backend!(concurrent_deliveries_have_one_effect);
