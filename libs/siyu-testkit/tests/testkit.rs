//! siyu-testkit against the local servers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] fns: a panic is a failed assertion"
)]

use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use siyu_testkit::{
    TestDb, spawn_on_port_0, unique_bus_config, unique_key_prefix, wait_for, wait_until,
};
use tokio::net::TcpStream;

struct StoreTables;

impl MigratorTrait for StoreTables {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        siyu_store::migrations::all()
    }
}

async fn table_count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

async fn database_exists(name: &str) -> bool {
    let admin = siyu_store::db::connect(&siyu_testkit::env::database_url(), &Default::default())
        .await
        .unwrap();
    let row = admin
        .query_one_raw(Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT COUNT(*) AS n FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap() == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_databases_are_fresh_migrated_and_dropped() {
    // Several at once from one process: the template is built once, each clone is separate.
    let (a, b, c) = tokio::join!(
        TestDb::postgres::<StoreTables>(),
        TestDb::postgres::<StoreTables>(),
        TestDb::postgres::<StoreTables>()
    );
    let (a, b, _c) = (a.unwrap(), b.unwrap(), c.unwrap());
    assert_ne!(a.url(), b.url());
    let sql = "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name LIKE 'siyu_%'";
    assert_eq!(
        table_count(&a.db, sql).await,
        5,
        "outbox, inbox, idempotency, jobs, leases"
    );

    a.db.execute_unprepared("INSERT INTO siyu_leases (name, owner, until_ms) VALUES ('x', 'y', 0)")
        .await
        .unwrap();
    assert_eq!(
        table_count(&b.db, "SELECT COUNT(*) AS n FROM siyu_leases").await,
        0,
        "databases share rows"
    );

    let name = a.url().rsplit('/').next().unwrap().to_owned();
    assert!(database_exists(&name).await);
    drop(a);
    assert!(!database_exists(&name).await, "database not dropped");
}

#[tokio::test]
async fn postgres_databases_from_a_provisioner_are_migrated_and_dropped() {
    // As the suite's harness does: the migrator behind a function, not a type parameter.
    let provision = |url: String| async move {
        siyu_store::provision::TempDatabase::postgres::<StoreTables>(&url).await
    };
    let t = TestDb::postgres_with(provision).await.unwrap();
    let sql = "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name LIKE 'siyu_%'";
    assert_eq!(table_count(&t.db, sql).await, 5);
    let name = t.url().rsplit('/').next().unwrap().to_owned();
    drop(t);
    assert!(!database_exists(&name).await, "database not dropped");
}

#[tokio::test]
async fn sqlite_databases_are_migrated_files_removed_on_drop() {
    let t = TestDb::sqlite::<StoreTables>().await.unwrap();
    let sql = "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name LIKE 'siyu_%'";
    assert_eq!(table_count(&t.db, sql).await, 5);
    let path = t
        .url()
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert!(std::path::Path::new(&path).exists());
    drop(t);
    assert!(
        !std::path::Path::new(&path).exists(),
        "sqlite file left behind"
    );
}

#[tokio::test]
async fn prefixes_are_unique_and_usable() {
    assert_ne!(unique_key_prefix(), unique_key_prefix());
    let (a, b) = (unique_bus_config(), unique_bus_config());
    assert_ne!(a.subject_prefix, b.subject_prefix);
    assert!(!a.stream.contains('.') && !a.stream.contains(' '));

    let cache = siyu_testkit::test_cache().await.unwrap();
    cache
        .set("k", b"v", Some(Duration::from_secs(30)))
        .await
        .unwrap();
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"v"[..]));
    let (bus, _config) = siyu_testkit::test_bus().await.unwrap();
    let msg = siyu_store::BusMessage {
        id: "1".into(),
        subject: "x".into(),
        headers: Default::default(),
        payload: vec![],
    };
    bus.publish(msg).await.unwrap();
    bus.delete_stream().await.unwrap();
}

/// Reads whatever the server sends first.
async fn read_greeting(addr: std::net::SocketAddr) -> Vec<u8> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut buf = vec![0u8; 64];
    loop {
        stream.readable().await.unwrap();
        match stream.try_read(&mut buf) {
            Ok(n) => return buf[..n].to_vec(),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

#[tokio::test]
async fn server_on_port_0_serves_until_stopped() {
    let server = spawn_on_port_0(|listener, shutdown| async move {
        let stop = shutdown.requested();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return Ok(()),
                accepted = listener.accept() => {
                    let (stream, _) = accepted?;
                    stream.writable().await?;
                    stream.try_write(b"hello")?;
                }
            }
        }
    })
    .await
    .unwrap();
    assert_ne!(server.addr.port(), 0);
    assert!(server.http_url().starts_with("http://127.0.0.1:"));
    assert_eq!(read_greeting(server.addr).await, b"hello");
    let addr = server.addr;
    server.stop().await.unwrap();
    // The listener is closed once the server returned.
    wait_until(Duration::from_secs(5), || async move {
        TcpStream::connect(addr).await.is_err()
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn waiting_succeeds_when_the_condition_holds_and_fails_at_the_deadline() {
    let mut calls = 0;
    let value = wait_for(Duration::from_secs(5), || {
        calls += 1;
        let n = calls;
        async move { (n >= 3).then_some(n) }
    })
    .await
    .unwrap();
    assert_eq!(value, 3);
    let started = tokio::time::Instant::now();
    let err = wait_until(Duration::from_millis(100), || async { false })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not met"));
    assert!(started.elapsed() >= Duration::from_millis(100));
}
