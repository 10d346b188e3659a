//! Telemetry settings, part of every service's configuration.

use std::net::{Ipv4Addr, SocketAddr};

use serde::Deserialize;

/// How a service logs, traces and exposes metrics.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// The `service.name` of traces and the `service` label of metrics, e.g. `orders`.
    pub service_name: String,
    /// An `EnvFilter` directive, e.g. `info,siyu_orders=debug`.
    #[serde(default = "default_log_filter")]
    pub log_filter: String,
    /// JSON log lines (production) or human-readable text (local runs).
    #[serde(default = "default_json")]
    pub json: bool,
    /// The OTLP/gRPC collector, e.g. `http://otel-collector:4317`; no export when absent.
    #[serde(default)]
    pub otlp_endpoint: Option<String>,
    /// Where the admin HTTP server listens (`/metrics`, `/healthz`, `/readyz`).
    #[serde(default = "default_admin_addr")]
    pub admin_addr: SocketAddr,
}

impl TelemetrySettings {
    /// Settings with the defaults for `service_name`.
    pub fn new(service_name: impl Into<String>) -> Self {
        Self {
            service_name: service_name.into(),
            log_filter: default_log_filter(),
            json: default_json(),
            otlp_endpoint: None,
            admin_addr: default_admin_addr(),
        }
    }
}

fn default_log_filter() -> String {
    "info".into()
}

fn default_json() -> bool {
    true
}

fn default_admin_addr() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::UNSPECIFIED, 9090))
}
