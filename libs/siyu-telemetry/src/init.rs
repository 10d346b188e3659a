//! Process-wide telemetry setup: the `tracing` subscriber, the tracer provider and the
//! W3C propagator.

mod log_format;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use self::log_format::{DispatchSlot, TraceIdFormat};
use crate::error::TelemetryError;
use crate::metrics::Metrics;
use crate::settings::TelemetrySettings;

/// Set by the first `init`; the global subscriber and provider can be installed only once.
static INITIALIZED: AtomicBool = AtomicBool::new(false);

/// How long dropping the guard may block flushing spans to the collector.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Keeps telemetry running; dropping it flushes pending spans and shuts the exporter down.
/// Hold it in `main` for the life of the process.
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
    metrics: Metrics,
}

/// Installs logging, tracing and the W3C propagator for the whole process and creates the
/// service's metrics registry.
///
/// With `otlp_endpoint` set this must run inside a Tokio runtime (the exporter is a tonic
/// client). Spans get trace ids even without an exporter, so logs and propagated contexts
/// carry them either way. A second call returns [`TelemetryError::AlreadyInitialized`].
pub fn init(settings: &TelemetrySettings) -> Result<TelemetryGuard, TelemetryError> {
    if INITIALIZED.swap(true, Ordering::SeqCst) {
        return Err(TelemetryError::AlreadyInitialized);
    }
    let result = install(settings);
    if result.is_err() {
        // Nothing global was left half-installed except possibly the subscriber, which
        // `try_init` refuses to replace anyway; allow a corrected retry.
        INITIALIZED.store(false, Ordering::SeqCst);
    }
    result
}

fn install(settings: &TelemetrySettings) -> Result<TelemetryGuard, TelemetryError> {
    let filter = EnvFilter::try_new(&settings.log_filter)
        .map_err(|err| TelemetryError::Filter(err.to_string()))?;
    let metrics = Metrics::new(&settings.service_name)?;
    let provider = tracer_provider(settings)?;
    let tracer = provider.tracer(settings.service_name.clone());

    let dispatch = DispatchSlot::default();
    let json_logs = settings.json.then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .event_format(TraceIdFormat::json(dispatch.clone()))
    });
    let text_logs = (!settings.json).then(|| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .event_format(TraceIdFormat::text(dispatch.clone()))
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(tracing_opentelemetry::layer().with_tracer(tracer))
        .with(dispatch)
        .with(json_logs)
        .with(text_logs)
        .try_init()
        .map_err(|err| TelemetryError::Subscriber(err.to_string()))?;

    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(provider.clone());
    tracing::info!(
        service = %settings.service_name,
        otlp = settings.otlp_endpoint.is_some(),
        json = settings.json,
        "telemetry initialized"
    );
    Ok(TelemetryGuard { provider, metrics })
}

fn tracer_provider(settings: &TelemetrySettings) -> Result<SdkTracerProvider, TelemetryError> {
    let resource = Resource::builder()
        .with_service_name(settings.service_name.clone())
        .build();
    let builder = SdkTracerProvider::builder().with_resource(resource);
    let Some(endpoint) = &settings.otlp_endpoint else {
        return Ok(builder.build());
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint.clone())
        .build()
        .map_err(|err| TelemetryError::Exporter(err.to_string()))?;
    Ok(builder.with_batch_exporter(exporter).build())
}

impl TelemetryGuard {
    /// The service's metrics registry (RED metrics, business counters).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

impl fmt::Debug for TelemetryGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelemetryGuard").finish_non_exhaustive()
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(err) = self.provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT) {
            // The subscriber may still be installed; stderr is the last resort if it is not.
            tracing::warn!(error = %err, "tracer provider shutdown failed");
        }
    }
}
