//! Idempotency records: one effect per key under concurrency, the same reply for every
//! caller, and a refused reuse of a key with another request.

use siyu_core::TenantId;
use siyu_store::StoreError;
use siyu_store::idempotency::{Idempotency, Outcome, request_hash};

use crate::per_backend;
use crate::support::{Kind, TestDb, clock, record_effect};

/// Runs the "earn points" effect under `key`; each fresh run produces a different reply.
async fn earn(
    idem: &Idempotency,
    tenant: TenantId,
    key: &str,
    body: &[u8],
) -> Result<Outcome, StoreError> {
    let hash = request_hash("Earn", body);
    idem.run(tenant, key, "Earn", &hash, |txn| {
        Box::pin(async move {
            record_effect(txn, "earn").await?;
            Ok(format!("reply-{}", siyu_core::id::new()).into_bytes())
        })
    })
    .await
}

async fn parallel_callers_get_one_effect_and_one_reply(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let idem = Idempotency::new(tdb.db.clone(), clock());
    let tenant = TenantId(siyu_core::id::new());
    let tasks: Vec<_> = (0..24)
        .map(|_| {
            let idem = idem.clone();
            tokio::spawn(async move { earn(&idem, tenant, "key-1", b"100 points").await })
        })
        .collect();
    let mut replies = Vec::new();
    let mut fresh = 0;
    for t in tasks {
        let outcome = t.await.unwrap().unwrap();
        fresh += usize::from(!outcome.is_replayed());
        replies.push(outcome.into_bytes());
    }
    assert_eq!(
        tdb.effects("earn").await,
        1,
        "the effect ran more than once"
    );
    assert_eq!(fresh, 1);
    assert!(
        replies.iter().all(|r| r == &replies[0]),
        "callers got different replies"
    );

    // The same key in another tenant is a different record.
    let other = earn(
        &idem,
        TenantId(siyu_core::id::new()),
        "key-1",
        b"100 points",
    )
    .await
    .unwrap();
    assert!(!other.is_replayed());
    assert_eq!(tdb.effects("earn").await, 2);
}
per_backend!(parallel_callers_get_one_effect_and_one_reply);

async fn same_key_with_another_request_is_refused(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let idem = Idempotency::new(tdb.db.clone(), clock());
    let tenant = TenantId(siyu_core::id::new());
    earn(&idem, tenant, "key-2", b"100 points").await.unwrap();
    let err = earn(&idem, tenant, "key-2", b"999 points")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::KeyReused), "got {err:?}");
    assert_eq!(tdb.effects("earn").await, 1);
}
per_backend!(same_key_with_another_request_is_refused);

async fn failed_effect_stores_nothing(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let idem = Idempotency::new(tdb.db.clone(), clock());
    let tenant = TenantId(siyu_core::id::new());
    let hash = request_hash("Earn", b"x");
    let err = idem
        .run(tenant, "key-3", "Earn", &hash, |txn| {
            Box::pin(async move {
                record_effect(txn, "earn").await?;
                Err::<Vec<u8>, _>(StoreError::Bus("downstream refused".into()))
            })
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Bus(_)));
    assert_eq!(
        tdb.effects("earn").await,
        0,
        "the failed effect was committed"
    );
    // A retry runs the effect for real.
    assert!(
        !earn(&idem, tenant, "key-3", b"x")
            .await
            .unwrap()
            .is_replayed()
    );
    assert_eq!(tdb.effects("earn").await, 1);
}
per_backend!(failed_effect_stores_nothing);
