//! Slow and idle clients are bounded in time and number, and never take the probes down.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::support::{Backend, TestApp};

/// Short limits, so that a test sees them pass.
async fn app() -> TestApp {
    TestApp::spawn_with(Backend::Memory, |limits| {
        limits.header_read_timeout_ms = 600;
        limits.body_read_timeout_ms = 600;
        limits.idle_timeout_ms = 800;
        limits.max_concurrency = 2;
        limits.max_connections_per_ip = 8;
    })
    .await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection; what it sent and when it closed.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let read = tokio::time::timeout(within, stream.read(&mut buf))
            .await
            .expect("the server kept the connection open");
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buf[..n]),
        }
    }
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

async fn probes_answer(app: &TestApp) {
    for probe in ["/healthz", "/readyz"] {
        let response = app.get(probe, None).await;
        assert_eq!(response.status(), 200, "{probe}");
    }
}

#[tokio::test]
async fn a_header_trickle_is_closed_within_the_header_timeout() {
    let app = app().await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let trickle = async {
        for i in 0..40 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let line = format!("x-trickle-{i}: 1\r\n");
            if stream.write_all(line.as_bytes()).await.is_err() {
                break;
            }
        }
    };
    let started = Instant::now();
    tokio::join!(trickle, probes_answer(&app));
    let (_, _) = until_closed(&mut stream, Duration::from_secs(3)).await;
    // The trickle stopped writing because the server closed it, well before its 4 s.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_slow_body_gets_408_and_leaves_the_probes_answering() {
    let app = app().await;
    // Two slow bodies fill the whole request limit (2).
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut stream = connect(&app).await;
        stream
            .write_all(
                b"POST /admin/v1/auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"tenant",
            )
            .await
            .unwrap();
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    probes_answer(&app).await;
    for mut stream in slow {
        let (reply, after) = until_closed(&mut stream, Duration::from_secs(3)).await;
        assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
        assert!(reply.contains("\"reason\":\"BODY_TIMEOUT\""), "{reply}");
        assert!(after < Duration::from_secs(2), "{after:?}");
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = app().await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let (reply, after) = until_closed(&mut stream, Duration::from_secs(3)).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(after < Duration::from_secs(2), "{after:?}");
}

#[tokio::test]
async fn connections_over_the_per_ip_cap_are_closed_at_once() {
    let app = app().await;
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(connect(&app).await);
    }
    // Let the server count them.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut over = connect(&app).await;
    let (reply, after) = until_closed(&mut over, Duration::from_secs(1)).await;
    assert!(reply.is_empty(), "{reply}");
    assert!(after < Duration::from_millis(500), "{after:?}");
    drop(held);
    // Once they are gone, the same client connects again.
    tokio::time::sleep(Duration::from_millis(100)).await;
    probes_answer(&app).await;
}
