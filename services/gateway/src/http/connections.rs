//! The REST listener's connections: accepted within a per-IP cap, served by hyper with a
//! header-read timeout, closed when idle, drained on shutdown.
//!
//! `axum::serve` sets no timer, so hyper's header timeout never ran: a client trickling its
//! headers, or opening connections and sending nothing, held them forever, and a few hundred
//! of them exhausted file descriptors. Here:
//! - **header read** (`limits.header_read_timeout_ms`): from the moment an HTTP/1 connection
//!   waits for a request head (a new connection, or a kept-alive one between requests) until
//!   the head is complete; hyper closes the connection when it passes;
//! - **idle** (`limits.idle_timeout_ms`): a connection with no request in flight for this long
//!   is shut down gracefully (HTTP/2 gets a GOAWAY);
//! - **body read** (`limits.body_read_timeout_ms`) is the handler's: 408 `BODY_TIMEOUT`;
//! - **per-IP cap** (`limits.max_connections_per_ip`): connections over it are closed at once.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Instant;
use tower::ServiceExt as _;

use super::parse_errors::{Peer, ProblemIo};
use crate::settings::LimitSettings;

/// How a connection is bounded in time and number.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Until a request head is complete.
    pub header_read: Duration,
    /// Without a request in flight.
    pub idle: Duration,
    /// Open connections per client IP.
    pub per_ip: usize,
}

impl From<&LimitSettings> for ConnectionLimits {
    fn from(limits: &LimitSettings) -> Self {
        Self {
            header_read: Duration::from_millis(limits.header_read_timeout_ms),
            idle: Duration::from_millis(limits.idle_timeout_ms),
            per_ip: limits.max_connections_per_ip,
        }
    }
}

/// Open connections per client IP.
#[derive(Debug, Default)]
struct PerIp(Mutex<HashMap<IpAddr, usize>>);

/// One counted connection; uncounted when dropped.
struct Slot {
    table: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    fn acquire(table: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<Slot> {
        let mut open = table.0.lock().ok()?;
        let count = open.entry(ip).or_default();
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(Slot {
            table: Arc::clone(table),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.table.0.lock()
            && let Some(count) = open.get_mut(&self.ip)
        {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Requests in flight on one connection and when the last one ended.
#[derive(Debug)]
struct Activity {
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
}

/// Counts a request in flight; ends it when dropped (the handler answered or was dropped).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(activity))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut last) = self.0.last.lock() {
            *last = Instant::now();
        }
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Activity {
    /// When the connection becomes idle-expired, if no request is in flight.
    fn idle_deadline(&self, idle: Duration) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        self.last.lock().ok().map(|last| *last + idle)
    }
}

/// Serves `router` on `listener` until `stop` resolves, then shuts every connection down
/// gracefully and waits for them.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()> + Send,
) {
    let per_ip = Arc::new(PerIp::default());
    let (closing_tx, closing_rx) = watch::channel(false);
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors or a connection reset before accept: keep serving.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let Some(slot) = PerIp::acquire(&per_ip, peer.ip(), limits.per_ip) else {
            tracing::info!(ip = %peer.ip(), "connection refused: per-IP connection cap");
            drop(stream);
            continue;
        };
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
        let connection = Connection {
            builder: Arc::clone(&builder),
            router: router.clone(),
            peer,
            idle: limits.idle,
            closing: closing_rx.clone(),
        };
        tokio::spawn(connection.run(ProblemIo::new(stream), slot));
    }
    let _ = closing_tx.send(true);
    // Every connection holds a receiver; they are all gone once every connection ended.
    closing_tx.closed().await;
}

/// One accepted connection and what it needs to serve itself.
struct Connection {
    builder: Arc<Builder<TokioExecutor>>,
    router: Router,
    peer: SocketAddr,
    idle: Duration,
    closing: watch::Receiver<bool>,
}

impl Connection {
    async fn run(mut self, io: ProblemIo<tokio::net::TcpStream>, _slot: Slot) {
        let activity = Arc::new(Activity {
            in_flight: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
        });
        let peer = self.peer;
        let counted = Arc::clone(&activity);
        let service = self.router.clone().map_request(
            move |request: http::Request<hyper::body::Incoming>| {
                let mut request = request.map(axum::body::Body::new);
                request.extensions_mut().insert(ConnectInfo(Peer(peer)));
                request
                    .extensions_mut()
                    .insert(RequestSlot(Arc::new(InFlight::start(&counted))));
                request
            },
        );
        let connection = self
            .builder
            .serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service));
        tokio::pin!(connection);
        let mut shutting_down = false;
        loop {
            let idle_at = activity
                .idle_deadline(self.idle)
                .unwrap_or_else(|| Instant::now() + self.idle);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(err) = result {
                        tracing::debug!(error = %err, "connection ended with an error");
                    }
                    break;
                }
                changed = self.closing.changed(), if !shutting_down => {
                    if changed.is_err() || *self.closing.borrow() {
                        shutting_down = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
                () = tokio::time::sleep_until(idle_at), if !shutting_down => {
                    if activity.idle_deadline(self.idle).is_some_and(|at| at <= Instant::now()) {
                        tracing::debug!(peer = %peer, "idle connection closed");
                        shutting_down = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
        }
    }
}

/// Keeps a request counted as in flight for as long as the request (and so its handler)
/// lives.
#[derive(Clone)]
struct RequestSlot(#[allow(dead_code, reason = "held for its Drop")] Arc<InFlight>);
