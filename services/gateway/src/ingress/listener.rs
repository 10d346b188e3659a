//! The ingress listener: HTTP/2 connections with header limits that fail one call, not the
//! connection.
//!
//! h2 refuses a stream whose decoded header list exceeds `SETTINGS_MAX_HEADER_LIST_SIZE`
//! (431 + `REFUSED_STREAM`: that call only), but treats a list over four times that, or a
//! header block needing more CONTINUATION frames than the size allows, as abuse and sends
//! `GOAWAY` — failing every other call multiplexed on the partner's connection. With hyper's
//! defaults (16 KiB, 16 KiB frames) 100 KB of metadata is already "abuse"; these limits keep
//! a per-call cap of 32 KiB while anything up to 128 KiB decoded (and 384 KiB on the wire)
//! is refused per call.

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;

/// The largest header list (metadata) one call may carry; the services allow the same
/// (`siyu_server`'s limits).
pub const MAX_HEADER_LIST_BYTES: u32 = 32 * 1024;

/// The largest frame accepted. Larger than h2's 16 KiB default so that an over-size header
/// list fits the CONTINUATION frames h2 allows for it (5 at least), and is refused per call.
pub const MAX_FRAME_BYTES: u32 = 64 * 1024;

/// Serves `router` over HTTP/2 on `listener` until `stop` resolves, then shuts every
/// connection down gracefully (GOAWAY after the calls in flight) and waits for them.
pub async fn serve(listener: TcpListener, router: Router, stop: impl Future<Output = ()> + Send) {
    let mut builder = Builder::new(TokioExecutor::new()).http2_only();
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(MAX_HEADER_LIST_BYTES)
        .max_frame_size(MAX_FRAME_BYTES);
    let (closing_tx, closing_rx) = watch::channel(false);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(error = %err, "ingress accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        // Nagle would hold a reply's trailers until the client's delayed ACK.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
        let service =
            router
                .clone()
                .map_request(move |request: http::Request<hyper::body::Incoming>| {
                    let mut request = request.map(axum::body::Body::new);
                    request
                        .extensions_mut()
                        .insert(ConnectInfo::<SocketAddr>(peer));
                    request
                });
        let builder = builder.clone();
        let mut closing = closing_rx.clone();
        tokio::spawn(async move {
            let connection =
                builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            tokio::pin!(connection);
            let mut shutting_down = false;
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(err) = result {
                            tracing::debug!(error = %err, "ingress connection ended with an error");
                        }
                        break;
                    }
                    changed = closing.changed(), if !shutting_down => {
                        if changed.is_err() || *closing.borrow() {
                            shutting_down = true;
                            connection.as_mut().graceful_shutdown();
                        }
                    }
                }
            }
            drop(closing);
        });
    }
    let _ = closing_tx.send(true);
    // Every connection holds a receiver; they are all gone once every connection ended.
    closing_tx.closed().await;
}
