//! The REST listener: health, the OpenAPI document and docs page, and every routed request.

mod client_ip;
mod connections;
mod forward;
mod handler;
mod observe;
mod parse_errors;
mod payload;
mod raw;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};

use crate::state::AppState;

pub use self::connections::{ConnectionLimits, serve};
pub use self::observe::RequestId;
pub use self::parse_errors::{Peer, ProblemListener};

/// The router of the REST listener.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi))
        .merge(crate::openapi::docs::routes())
        .fallback(handler::handle)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

async fn openapi(State(state): State<AppState>) -> Response {
    let mut response = state.openapi.clone().into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
