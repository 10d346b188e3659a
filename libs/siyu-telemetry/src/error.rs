//! The one error type of this crate.

/// What can go wrong when setting telemetry up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// `init` already ran in this process; the first setup stays in force.
    #[error("telemetry is already initialized in this process")]
    AlreadyInitialized,
    /// The log filter directive does not parse.
    #[error("invalid log filter: {0}")]
    Filter(String),
    /// The OTLP exporter could not be built (bad endpoint, no Tokio runtime).
    #[error("OTLP exporter: {0}")]
    Exporter(String),
    /// Another global `tracing` subscriber was installed first.
    #[error("cannot install the tracing subscriber: {0}")]
    Subscriber(String),
    /// A metric could not be created or registered, or the registry not rendered.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The admin server could not bind its address.
    #[error("admin server: {0}")]
    Bind(#[from] std::io::Error),
}
