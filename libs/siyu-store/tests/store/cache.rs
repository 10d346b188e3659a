//! The cache on Redis and in memory: TTL, set-if-absent, a counter that never goes below
//! zero under contention, and the rate limiter.

use std::time::Duration;

use siyu_store::RateLimit;

use crate::per_backend;
use crate::support::{Kind, cache, wait_until};

async fn values_expire_after_their_ttl(kind: Kind) {
    let c = cache(kind).await;
    c.set("short", b"v", Some(Duration::from_millis(300)))
        .await
        .unwrap();
    c.set("forever", b"w", None).await.unwrap();
    assert_eq!(c.get("short").await.unwrap().as_deref(), Some(&b"v"[..]));
    let ttl = c.ttl("short").await.unwrap().expect("has a ttl");
    assert!(ttl <= Duration::from_millis(300) && ttl > Duration::ZERO);
    assert_eq!(c.ttl("forever").await.unwrap(), None);
    wait_until(Duration::from_secs(5), || async {
        c.get("short").await.unwrap().is_none()
    })
    .await;
    assert_eq!(c.get("forever").await.unwrap().as_deref(), Some(&b"w"[..]));
    assert!(c.delete("forever").await.unwrap());
    assert!(!c.delete("forever").await.unwrap());
    assert_eq!(c.get("forever").await.unwrap(), None);
}
per_backend!(values_expire_after_their_ttl);

async fn set_if_absent_sets_once(kind: Kind) {
    let c = cache(kind).await;
    assert!(
        c.set_if_absent("lock", b"a", Some(Duration::from_secs(30)))
            .await
            .unwrap()
    );
    assert!(
        !c.set_if_absent("lock", b"b", Some(Duration::from_secs(30)))
            .await
            .unwrap()
    );
    assert_eq!(c.get("lock").await.unwrap().as_deref(), Some(&b"a"[..]));
    // Concurrent: exactly one of many wins.
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                c.set_if_absent("race", format!("{i}").as_bytes(), None)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1);
}
per_backend!(set_if_absent_sets_once);

async fn counters_never_go_below_zero(kind: Kind) {
    let c = cache(kind).await;
    assert_eq!(c.incr("stock", 50, None).await.unwrap(), 50);
    assert_eq!(c.decr_if_enough("missing", 1).await.unwrap(), None);
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.decr_if_enough("stock", 1).await.unwrap() })
        })
        .collect();
    let mut sold = 0;
    for t in tasks {
        if let Some(left) = t.await.unwrap() {
            assert!(left >= 0);
            sold += 1;
        }
    }
    assert_eq!(sold, 50, "sold more or less than the stock");
    assert_eq!(c.get("stock").await.unwrap().as_deref(), Some(&b"0"[..]));
    assert_eq!(c.incr("stock", 3, None).await.unwrap(), 3);
    assert_eq!(
        c.decr_if_enough("stock", 5).await.unwrap(),
        None,
        "took more than there was"
    );
    assert_eq!(c.decr_if_enough("stock", 3).await.unwrap(), Some(0));
    assert!(c.decr_if_enough("stock", 0).await.is_err());

    // incr gives a new key its ttl once (a fixed window).
    c.incr("window", 1, Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(c.ttl("window").await.unwrap().is_some());
}
per_backend!(counters_never_go_below_zero);

async fn rate_limit_allows_the_burst_then_refuses(kind: Kind) {
    let c = cache(kind).await;
    let limit = RateLimit {
        rate: 1,
        per: Duration::from_secs(10),
        burst: 5,
    };
    for i in 0..5 {
        let d = c.rate_limit("client-1", limit).await.unwrap();
        assert!(d.allowed, "request {i} of the burst was refused");
    }
    let refused = c.rate_limit("client-1", limit).await.unwrap();
    assert!(!refused.allowed);
    assert!(refused.retry_after > Duration::ZERO && refused.retry_after <= Duration::from_secs(10));
    assert_eq!(refused.remaining, 0);
    // Another key has its own budget.
    assert!(c.rate_limit("client-2", limit).await.unwrap().allowed);
}
per_backend!(rate_limit_allows_the_burst_then_refuses);

/// Batched admissions never exceed the burst, however many callers race for them.
async fn rate_limit_many_never_admits_more_than_the_burst(kind: Kind) {
    let c = cache(kind).await;
    let limit = RateLimit {
        rate: 1,
        per: Duration::from_secs(3600),
        burst: 50,
    };
    let calls = (0..40).map(|_| {
        let c = c.clone();
        async move { c.rate_limit_many("batched", limit, 3).await.unwrap() }
    });
    let decisions = futures::future::join_all(calls).await;
    let granted: u32 = decisions.iter().map(|d| d.granted).sum();
    assert_eq!(granted, 50, "{decisions:?}");
    assert!(decisions.iter().all(|d| d.granted <= 3));
    assert!(decisions.iter().all(|d| d.allowed == (d.granted > 0)));
    let after = c.rate_limit("batched", limit).await.unwrap();
    assert!(!after.allowed);
    assert_eq!(after.granted, 0);
}
per_backend!(rate_limit_many_never_admits_more_than_the_burst);
