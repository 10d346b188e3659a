//! [`GrpcServer`]: one service's gRPC endpoint with the suite's standard layers.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use siyu_auth::Authenticate;
use siyu_proto::contract::Contract;
use siyu_telemetry::{Metrics, ServerTraceLayer};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::{Routes, RoutesBuilder};
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::access::{AccessLayer, GuestTenants};
use crate::screen::ScreenLayer;

/// The largest request metadata (HTTP/2 header list) one call may carry. Over it, h2 refuses
/// that call only (431 / `REFUSED_STREAM`). h2 treats a list over four times the limit, or one
/// needing more CONTINUATION frames than the limit allows, as abuse and sends `GOAWAY`, failing
/// every call on the connection: with hyper's defaults (16 KiB, 16 KiB frames) 100 KB of
/// metadata already did. With these, anything up to 128 KiB fails its call only.
pub const MAX_HEADER_LIST_BYTES: u32 = 32 * 1024;

/// The largest HTTP/2 frame accepted: large enough that an over-size header list fits the
/// CONTINUATION frames h2 allows for it (at least 5), and is refused per call.
pub const MAX_FRAME_BYTES: u32 = 64 * 1024;

/// What can stop a server from starting or serving.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The reflection service could not read the embedded descriptor set.
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The listener's address could not be read.
    #[error("listener: {0}")]
    Listener(#[from] std::io::Error),
    /// The transport failed while serving.
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The contract's declarations could not be read.
    #[error("contract: {0}")]
    Contract(#[from] siyu_proto::contract::ContractError),
}

/// A service's gRPC server: its handlers plus health, reflection, trace context, RED metrics,
/// access by contract and the screen of request messages, in that order of layers (outermost
/// first).
pub struct GrpcServer {
    routes: RoutesBuilder,
    authenticator: Arc<dyn Authenticate>,
    guests: Option<Arc<dyn GuestTenants>>,
    metrics: Metrics,
    /// The full names of the services added, whose RPCs the layers admit and screen.
    served: Vec<&'static str>,
}

impl GrpcServer {
    /// A server whose calls are admitted by their contract, with tokens verified by
    /// `authenticator`, and measured into `metrics`.
    pub fn new(authenticator: Arc<dyn Authenticate>, metrics: Metrics) -> Self {
        Self {
            routes: RoutesBuilder::default(),
            authenticator,
            guests: None,
            metrics,
            served: Vec::new(),
        }
    }

    /// Resolves the tenant of guest calls (no token, an app id) with `guests`.
    pub fn guests(mut self, guests: Arc<dyn GuestTenants>) -> Self {
        self.guests = Some(guests);
        self
    }

    /// Adds a generated tonic service.
    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: tower::Service<http::Request<Body>, Error = std::convert::Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.served.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Starts serving on `listener` in the background; the handle reports the address, flips
    /// readiness and stops the server (draining in-flight calls).
    pub async fn spawn(self, listener: TcpListener) -> Result<ServingHandle, ServerError> {
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (reporter, health) = tonic_health::server::health_reporter();
        // Not ready until the service says so: probes must not route traffic to a replica
        // that is still warming its caches.
        reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(siyu_proto::FILE_DESCRIPTOR_SET)
            .build_v1()?;

        let mut routes = self.routes;
        routes.add_service(health).add_service(reflection);
        let routes: Routes = routes.routes();

        let contract = Contract::global()?;
        let access =
            AccessLayer::new(contract, self.authenticator, self.guests).serving(&self.served);
        let screen = ScreenLayer::new(contract).serving(&self.served);

        // Without TCP_NODELAY, Nagle holds the small trailers frame that follows a reply's
        // data until the client's delayed ACK (40 ms) — every unary reply paid it.
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        let task = tokio::spawn(async move {
            let result = tonic::transport::Server::builder()
                .http2_max_header_list_size(MAX_HEADER_LIST_BYTES)
                .max_frame_size(MAX_FRAME_BYTES)
                .layer(ServerTraceLayer)
                .layer(self.metrics.grpc_layer())
                .layer(access)
                .layer(screen)
                .add_routes(routes)
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stop_rx.await;
                })
                .await;
            if let Err(err) = &result {
                tracing::error!(error = %err, "gRPC server stopped with an error");
            }
            result.map_err(ServerError::from)
        });
        Ok(ServingHandle {
            addr,
            reporter,
            stop: Some(stop_tx),
            task,
        })
    }

    /// Serves until `shutdown` completes, then drains in-flight calls and returns.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), ServerError> {
        let handle = self.spawn(listener).await?;
        handle.set_ready(true).await;
        shutdown.await;
        handle.stop().await
    }
}

/// A running server.
pub struct ServingHandle {
    addr: SocketAddr,
    reporter: HealthReporter,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServerError>>,
}

impl ServingHandle {
    /// The address the server listens on (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sets the `grpc.health.v1` status of the whole server (the readiness probe).
    pub async fn set_ready(&self, ready: bool) {
        let status = if ready {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        self.reporter.set_service_status("", status).await;
    }

    /// Stops accepting calls, drains the ones in flight and waits for the server to end.
    pub async fn stop(mut self) -> Result<(), ServerError> {
        self.set_ready(false).await;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(join) => {
                tracing::error!(error = %join, "gRPC server task failed");
                Ok(())
            }
        }
    }
}
