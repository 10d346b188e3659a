//! W3C trace context (`traceparent`, `tracestate`) in gRPC metadata and event envelopes.
//!
//! The W3C propagator is used directly rather than the global one, so propagation works
//! the same whether or not [`crate::init`] ran (tests, tools).

mod layers;

use std::collections::HashMap;

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

pub use self::layers::{
    ClientTraceLayer, ClientTraceService, ServerTraceLayer, ServerTraceService,
};

/// Writes the current span's trace context into `carrier` (an event envelope's headers).
pub fn inject_into(carrier: &mut HashMap<String, String>) {
    TraceContextPropagator::new().inject_context(&tracing::Span::current().context(), carrier);
}

/// Reads a trace context from `carrier`; make it a span's parent with
/// `OpenTelemetrySpanExt::set_parent`. Empty (a new trace) when the carrier has none.
pub fn extract_from(carrier: &HashMap<String, String>) -> Context {
    TraceContextPropagator::new().extract(carrier)
}

/// Writes `cx` into HTTP/gRPC headers.
pub fn inject_context(cx: &Context, headers: &mut HeaderMap) {
    TraceContextPropagator::new().inject_context(cx, &mut HeaderInjector(headers));
}

/// Reads a trace context from HTTP/gRPC headers.
pub fn extract_headers(headers: &HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        // The propagator only emits valid header names and values; anything else is dropped
        // rather than failing the call it rides on.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::TraceContextExt as _;

    use super::*;

    const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn headers_and_maps_round_trip_a_context() {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", HeaderValue::from_static(TRACEPARENT));
        headers.insert("tracestate", HeaderValue::from_static("siyu=1"));
        let cx = extract_headers(&headers);
        assert_eq!(
            cx.span().span_context().trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );

        let mut out = HeaderMap::new();
        inject_context(&cx, &mut out);
        assert_eq!(out.get("traceparent").unwrap(), TRACEPARENT);
        assert_eq!(out.get("tracestate").unwrap(), "siyu=1");

        let map: HashMap<String, String> =
            [("traceparent".to_owned(), TRACEPARENT.to_owned())].into();
        assert!(extract_from(&map).span().span_context().is_remote());
    }

    #[test]
    fn garbage_yields_an_empty_context() {
        let map: HashMap<String, String> =
            [("traceparent".to_owned(), "00-zz-yy-01".to_owned())].into();
        assert!(!extract_from(&map).span().span_context().is_valid());
    }
}
