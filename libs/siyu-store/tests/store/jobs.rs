//! Leased jobs: concurrent runners never share a row, expired leases are reclaimed, failures
//! retry with backoff, and a named lease has one holder at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use siyu_core::{Clock, ManualClock};
use siyu_store::jobs::{Backoff, JobStatus};
use siyu_store::{JobQueue, JobRunner, Lease, NewJob, StoreError};

use crate::per_backend;
use crate::support::{Kind, TestDb, clock, wait_until};

const JOBS: usize = 40;

#[derive(Default)]
struct Ledger {
    /// Handlers currently running per job id.
    active: HashMap<uuid::Uuid, usize>,
    /// Completed runs per job id.
    runs: HashMap<uuid::Uuid, usize>,
    overlaps: usize,
}

async fn runners_never_share_a_row(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let queue = JobQueue::new(tdb.db.clone(), clock());
    let mut ids = Vec::new();
    for i in 0..JOBS {
        ids.push(
            queue
                .enqueue(&tdb.db, NewJob::new("test.work", vec![i as u8]))
                .await
                .unwrap(),
        );
    }
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut stops = Vec::new();
    let mut tasks = Vec::new();
    for r in 0..3 {
        // Each runner has its own pool, like a separate replica.
        let pool = tdb.another_pool().await;
        let ledger = ledger.clone();
        let runner = JobRunner::new(JobQueue::new(pool, clock()), &format!("runner-{r}"))
            .with_batch(4)
            .with_poll_interval(Duration::from_millis(20))
            .handle("test.work", move |job| {
                let ledger = ledger.clone();
                async move {
                    {
                        let mut l = ledger.lock().unwrap();
                        let active = l.active.entry(job.id).or_default();
                        *active += 1;
                        if *active > 1 {
                            l.overlaps += 1;
                        }
                    }
                    // Hold the job for a while so overlapping claims would be caught.
                    tokio::time::sleep(Duration::from_millis(15)).await;
                    let mut l = ledger.lock().unwrap();
                    *l.active.entry(job.id).or_default() -= 1;
                    *l.runs.entry(job.id).or_default() += 1;
                    Ok(())
                }
            });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        stops.push(stop);
        tasks.push(tokio::spawn(runner.run(async move {
            let _ = stopped.await;
        })));
    }
    wait_until(Duration::from_secs(30), || async {
        let mut done = 0;
        for id in &ids {
            if queue.get(*id).await.unwrap().unwrap().status == JobStatus::Done {
                done += 1;
            }
        }
        done == JOBS
    })
    .await;
    for stop in stops {
        stop.send(()).unwrap();
    }
    for t in tasks {
        t.await.unwrap();
    }
    let l = ledger.lock().unwrap();
    assert_eq!(l.overlaps, 0, "two runners worked on one job at once");
    assert_eq!(l.runs.len(), JOBS);
    assert!(
        l.runs.values().all(|&n| n == 1),
        "a job ran more than once: {:?}",
        l.runs
    );
}
per_backend!(runners_never_share_a_row);

async fn expired_lease_is_reclaimed(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let manual = ManualClock::new(clock().now());
    let queue = JobQueue::new(tdb.db.clone(), Arc::new(manual.clone()));
    let kinds = vec!["test.work".to_owned()];
    let id = queue
        .enqueue(&tdb.db, NewJob::new("test.work", vec![]))
        .await
        .unwrap();
    let lease = Duration::from_secs(30);

    let a = queue.claim("a", &kinds, 10, lease).await.unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].attempts, 1);
    assert!(
        queue
            .claim("b", &kinds, 10, lease)
            .await
            .unwrap()
            .is_empty(),
        "claimed while leased"
    );

    // Runner "a" crashes: nobody extends the lease; after it runs out, "b" gets the job.
    manual.advance(chrono::Duration::seconds(31));
    let b = queue.claim("b", &kinds, 10, lease).await.unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].id, id);
    assert_eq!(b[0].attempts, 2);
    assert!(matches!(
        queue.complete(id, "a").await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        queue.extend(id, "a", lease).await,
        Err(StoreError::LeaseLost { .. })
    ));
    queue.complete(id, "b").await.unwrap();
    assert_eq!(
        queue.get(id).await.unwrap().unwrap().status,
        JobStatus::Done
    );
    manual.advance(chrono::Duration::seconds(3600));
    assert!(
        queue
            .claim("c", &kinds, 10, lease)
            .await
            .unwrap()
            .is_empty(),
        "a done job came back"
    );
}
per_backend!(expired_lease_is_reclaimed);

async fn failures_retry_with_backoff_then_fail(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let manual = ManualClock::new(clock().now());
    let queue = JobQueue::new(tdb.db.clone(), Arc::new(manual.clone())).with_backoff(Backoff {
        base: Duration::from_secs(10),
        max: Duration::from_secs(60),
    });
    let kinds = vec!["test.flaky".to_owned()];
    let mut job = NewJob::new("test.flaky", vec![]);
    job.max_attempts = 2;
    let id = queue.enqueue(&tdb.db, job).await.unwrap();
    let lease = Duration::from_secs(30);

    assert_eq!(queue.claim("a", &kinds, 1, lease).await.unwrap().len(), 1);
    assert_eq!(
        queue.fail(id, "a", "boom").await.unwrap(),
        JobStatus::Pending
    );
    assert!(
        queue.claim("a", &kinds, 1, lease).await.unwrap().is_empty(),
        "retried before the backoff"
    );
    manual.advance(chrono::Duration::seconds(11));
    assert_eq!(queue.claim("a", &kinds, 1, lease).await.unwrap().len(), 1);
    assert_eq!(
        queue.fail(id, "a", "boom again").await.unwrap(),
        JobStatus::Failed
    );
    let stored = queue.get(id).await.unwrap().unwrap();
    assert_eq!(stored.status, JobStatus::Failed);
    assert_eq!(stored.last_error.as_deref(), Some("boom again"));
    manual.advance(chrono::Duration::seconds(3600));
    assert!(queue.claim("a", &kinds, 1, lease).await.unwrap().is_empty());
}
per_backend!(failures_retry_with_backoff_then_fail);

async fn named_lease_has_one_holder(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let manual = ManualClock::new(clock().now());
    let c: Arc<dyn Clock> = Arc::new(manual.clone());
    let ttl = Duration::from_secs(10);
    let a = Lease::new(
        tdb.db.clone(),
        c.clone(),
        "expire-reservations",
        "replica-a",
        ttl,
    );
    let b = Lease::new(
        tdb.another_pool().await,
        c.clone(),
        "expire-reservations",
        "replica-b",
        ttl,
    );

    assert!(a.try_acquire().await.unwrap());
    assert!(!b.try_acquire().await.unwrap());
    manual.advance(chrono::Duration::seconds(5));
    assert!(a.try_acquire().await.unwrap(), "the holder renews");
    manual.advance(chrono::Duration::seconds(9));
    assert!(
        !b.try_acquire().await.unwrap(),
        "the renewal must have extended the lease"
    );
    manual.advance(chrono::Duration::seconds(2));
    assert!(
        b.try_acquire().await.unwrap(),
        "expired lease is taken over"
    );
    assert!(!a.try_acquire().await.unwrap());
    b.release().await.unwrap();
    assert!(a.try_acquire().await.unwrap(), "released lease is free");

    // Many replicas racing for a free lease: exactly one wins.
    a.release().await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let lease = Lease::new(
                tdb.db.clone(),
                c.clone(),
                "expire-reservations",
                &format!("r{i}"),
                ttl,
            );
            tokio::spawn(async move { lease.try_acquire().await.unwrap() })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        winners += usize::from(t.await.unwrap());
    }
    assert_eq!(winners, 1);
}
per_backend!(named_lease_has_one_holder);
