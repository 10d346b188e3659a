//! The test-control API under `/sandbox`: plain JSON with HTTP status codes (it is ours, not
//! WeChat's). Shared endpoints live here; each module adds its own (`login::control`).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::SandboxError;
use crate::request_log::RecordedRequest;
use crate::state::AppState;

/// Body of `POST /sandbox/apps`; omitted fields are generated, so a test can ask for a fresh,
/// isolated app with `{}`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RegisterApp {
    /// The appid to register; a random `wx…` id when absent.
    pub appid: Option<String>,
    /// The secret; a random 32-hex secret when absent.
    pub secret: Option<String>,
}

/// Answer of `POST /sandbox/apps`: the credentials the suite should be configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisteredApp {
    /// The app's id.
    pub appid: String,
    /// The app's secret, in clear: it is a test credential the caller needs.
    pub secret: String,
}

/// Body of `POST /sandbox/clock/advance`.
#[derive(Debug, Serialize, Deserialize)]
pub struct AdvanceClock {
    /// Seconds to move the sandbox clock forward (not negative).
    pub seconds: i64,
}

/// Answer of `POST /sandbox/clock/advance`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClockNow {
    /// The sandbox's time after the move.
    pub now: DateTime<Utc>,
}

/// Query of `GET /sandbox/requests`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RequestFilter {
    /// Only calls to this path, e.g. `/sns/jscode2session`.
    pub path: Option<String>,
}

/// Answer of `GET /sandbox/requests`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RecordedRequests {
    /// Calls in arrival order.
    pub requests: Vec<RecordedRequest>,
}

/// A control error rendered as `{"error": "…"}` with a fitting status.
#[derive(Debug)]
pub(crate) struct ControlError(pub(crate) SandboxError);

impl From<SandboxError> for ControlError {
    fn from(error: SandboxError) -> Self {
        Self(error)
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            SandboxError::UnknownApp(_) | SandboxError::NotFound(_) => StatusCode::NOT_FOUND,
            SandboxError::Conflict(_) => StatusCode::CONFLICT,
            SandboxError::InvalidControlRequest(_) => StatusCode::BAD_REQUEST,
            SandboxError::Bind { .. }
            | SandboxError::InvalidSettings(_)
            | SandboxError::Serve(_)
            | SandboxError::Client(_)
            | SandboxError::ControlRefused { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({ "error": self.0.to_string() }))).into_response()
    }
}

/// Every control route, to be nested under `/sandbox`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/apps", post(register_app))
        .route("/clock/advance", post(advance_clock))
        .route("/requests", get(list_requests).delete(clear_requests))
        .merge(crate::login::control::routes())
        .nest("/pay", crate::pay::control::routes())
}

async fn register_app(
    State(state): State<AppState>,
    Json(request): Json<RegisterApp>,
) -> Json<RegisteredApp> {
    let appid = request
        .appid
        .unwrap_or_else(|| format!("wx{}", state.random.hex(16)));
    let secret = request.secret.unwrap_or_else(|| state.random.hex(32));
    state
        .apps
        .register(appid.clone(), SecretString::from(secret.clone()));
    tracing::info!(%appid, "app registered");
    Json(RegisteredApp { appid, secret })
}

async fn advance_clock(
    State(state): State<AppState>,
    Json(request): Json<AdvanceClock>,
) -> Result<Json<ClockNow>, ControlError> {
    // Time only moves forward: codes and tokens already judged expired must stay expired.
    if request.seconds < 0 {
        return Err(
            SandboxError::InvalidControlRequest("seconds must not be negative".into()).into(),
        );
    }
    let now = state.clock.advance(Duration::seconds(request.seconds));
    Ok(Json(ClockNow { now }))
}

async fn list_requests(
    State(state): State<AppState>,
    Query(filter): Query<RequestFilter>,
) -> Json<RecordedRequests> {
    Json(RecordedRequests {
        requests: state.log.list(filter.path.as_deref()),
    })
}

async fn clear_requests(State(state): State<AppState>) -> StatusCode {
    state.log.clear();
    StatusCode::NO_CONTENT
}
