//! Telemetry for Siyu services: JSON logs carrying trace ids, optional OTLP trace export,
//! Prometheus RED metrics for gRPC, an admin HTTP server (`/metrics`, `/healthz`, `/readyz`)
//! and W3C trace-context propagation through gRPC metadata and event envelopes.
//!
//! A service wires it as:
//! ```ignore
//! let telemetry = siyu_telemetry::init(&settings.telemetry)?;          // keep the guard alive
//! let readiness = Readiness::default();
//! let admin = AdminServer::start(settings.telemetry.admin_addr, telemetry.metrics().clone(), readiness.clone()).await?;
//! Server::builder()
//!     .layer(ServerTraceLayer::default())                               // remote parent first
//!     .layer(telemetry.metrics().grpc_layer())                          // then RED metrics
//!     .add_service(svc);
//! readiness.set_ready(true);
//! // outgoing calls: ServiceBuilder::new().layer(ClientTraceLayer::default()).service(channel)
//! ```

mod admin;
mod error;
mod init;
mod metrics;
mod propagation;
mod settings;

pub use admin::{AdminServer, Readiness};
pub use error::TelemetryError;
pub use init::{TelemetryGuard, init};
pub use metrics::{GrpcMetricsLayer, GrpcMetricsService, Metrics, MetricsBody};
pub use propagation::{
    ClientTraceLayer, ClientTraceService, ServerTraceLayer, ServerTraceService, extract_from,
    extract_headers, inject_context, inject_into,
};
pub use settings::TelemetrySettings;

/// The OpenTelemetry context type returned by [`extract_from`], re-exported so callers need
/// not depend on `opentelemetry` to hold one.
pub use opentelemetry::Context as OtelContext;
