//! The Prometheus registry of a service and its gRPC RED metrics.

mod layer;

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};

pub use self::layer::{GrpcMetricsLayer, GrpcMetricsService, MetricsBody};
use crate::error::TelemetryError;

/// At most this many distinct method labels are kept; calls to further (unknown, possibly
/// hostile) paths are counted under `other` so a scanner cannot blow up the series count.
const MAX_METHODS: usize = 512;

/// Latency buckets in seconds, from a cache hit to a slow checkout.
const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// gRPC status names by code, as Prometheus label values.
const CODE_NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// A service's metrics registry with the gRPC RED metrics already registered. Cheap to
/// clone; register business counters on [`Metrics::registry`].
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: IntCounterVec,
    errors: IntCounterVec,
    duration: HistogramVec,
    methods: RwLock<HashSet<String>>,
}

impl Metrics {
    /// A fresh registry whose every series carries `service="<service>"`.
    pub fn new(service: &str) -> Result<Self, TelemetryError> {
        let labels = [("service".to_owned(), service.to_owned())]
            .into_iter()
            .collect();
        let registry = Registry::new_custom(None, Some(labels))?;
        let requests = IntCounterVec::new(
            Opts::new(
                "grpc_server_requests_total",
                "gRPC requests received, by method",
            ),
            &["method"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new(
                "grpc_server_errors_total",
                "gRPC requests answered with a non-OK status",
            ),
            &["method", "code"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "grpc_server_request_duration_seconds",
                "gRPC request duration until the last byte",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &["method"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                registry,
                requests,
                errors,
                duration,
                methods: RwLock::default(),
            }),
        })
    }

    /// The registry, for services to add their business counters.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The Prometheus text exposition of everything registered.
    pub fn render(&self) -> Result<String, TelemetryError> {
        Ok(TextEncoder::new().encode_to_string(&self.inner.registry.gather())?)
    }

    /// A server layer recording requests, errors and durations per method.
    pub fn grpc_layer(&self) -> GrpcMetricsLayer {
        GrpcMetricsLayer::new(self.clone())
    }

    /// Counts a request as started; returns the method label to finish it with.
    fn started(&self, path: &str) -> String {
        let method = self.method_label(path);
        self.inner
            .requests
            .with_label_values(&[method.as_str()])
            .inc();
        method
    }

    /// Records how a request ended.
    fn finished(&self, method: &str, code: i32, seconds: f64) {
        self.inner
            .duration
            .with_label_values(&[method])
            .observe(seconds);
        if code != 0 {
            let code = usize::try_from(code)
                .ok()
                .and_then(|c| CODE_NAMES.get(c))
                .copied()
                .unwrap_or("UNKNOWN");
            self.inner.errors.with_label_values(&[method, code]).inc();
        }
    }

    fn method_label(&self, path: &str) -> String {
        let known = self
            .inner
            .methods
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(path);
        if known {
            return path.to_owned();
        }
        let mut methods = self
            .inner
            .methods
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if methods.len() < MAX_METHODS {
            methods.insert(path.to_owned());
            path.to_owned()
        } else {
            "other".to_owned()
        }
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_counted_by_code_name() {
        let metrics = Metrics::new("test").unwrap();
        let method = metrics.started("/a.B/C");
        metrics.finished(&method, 5, 0.01);
        metrics.finished(&method, 0, 0.01);
        let text = metrics.render().unwrap();
        assert!(
            text.contains(
                r#"grpc_server_errors_total{code="NOT_FOUND",method="/a.B/C",service="test"} 1"#
            ),
            "{text}"
        );
        assert!(!text.contains(r#"code="OK""#));
    }

    #[test]
    fn method_labels_are_bounded() {
        let metrics = Metrics::new("test").unwrap();
        for i in 0..MAX_METHODS {
            assert_eq!(
                metrics.method_label(&format!("/p.S/M{i}")),
                format!("/p.S/M{i}")
            );
        }
        assert_eq!(metrics.method_label("/p.S/Another"), "other");
        assert_eq!(metrics.method_label("/p.S/M0"), "/p.S/M0");
    }
}
