//! Around every REST request: the request id (`x-request-id`, UUIDv7 when absent or unusable),
//! a server span continuing the caller's W3C trace context, load shedding, and one JSON
//! access-log line (never tokens, phones or bodies).

use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::problem::Problem;
use crate::state::AppState;

/// The request id of the current request, in request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The route template that served a request, in response extensions (for the access log).
#[derive(Debug, Clone, Copy)]
pub struct RouteTemplate(pub &'static str);

/// The header carrying the request id both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// A client's id is kept if it is short and printable; anything else could forge log lines.
fn usable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The middleware.
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| usable(id))
        .map_or_else(siyu_core::id::new_string, str::to_owned);
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    let method = request.method().clone();
    let span = tracing::info_span!(
        "http.request",
        otel.name = %method,
        otel.kind = "server",
        http.method = %method,
        request_id = %request_id,
    );
    if let Err(err) = span.set_parent(siyu_telemetry::extract_headers(request.headers())) {
        tracing::debug!(error = %err, "cannot attach the caller's trace context");
    }

    // Probes are answered outside the request limit: a gateway at capacity is still alive,
    // and restarting it for being busy would only make things worse.
    let probe = matches!(request.uri().path(), "/healthz" | "/readyz");
    let permit = if probe {
        Ok(None)
    } else {
        state.in_flight.clone().try_acquire_owned().map(Some)
    };
    let mut response = match permit {
        Ok(permit) => {
            let response = next.run(request).instrument(span.clone()).await;
            drop(permit);
            response
        }
        Err(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "OVERLOADED",
            "the gateway is at capacity; retry shortly",
        )
        .with_retry_after(1)
        .with_instance(&request_id)
        .into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let route = response
        .extensions()
        .get::<RouteTemplate>()
        .map_or("-", |r| r.0);
    let _entered = span.enter();
    tracing::info!(
        target: "access",
        method = %method,
        route,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        request_id = %request_id,
        "request"
    );
    response
}
