//! `GET /cgi-bin/token` and `POST /cgi-bin/stable_token`: the app's access token.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use serde::Deserialize;
use serde_json::json;

use super::tokens::{Family, Grant};
use crate::state::AppState;
use crate::wire::{self, WxCode, WxJson};

/// The one `grant_type` both token APIs take.
const GRANT_TYPE: &str = "client_credential";

/// The `stable_token` body. Fields are optional so a missing one maps to WeChat's errcode
/// rather than to a deserialization failure.
#[derive(Debug, Deserialize)]
struct StableTokenRequest {
    grant_type: Option<String>,
    appid: Option<String>,
    secret: Option<String>,
    #[serde(default)]
    force_refresh: bool,
}

/// Issues a fresh token on every call, as WeChat's `getAccessToken` does.
#[tracing::instrument(skip_all)]
pub(crate) async fn token(State(state): State<AppState>, uri: Uri) -> WxJson {
    let params = wire::query_params(&uri);
    let result = authenticate(
        &state,
        wire::param(&params, "grant_type"),
        wire::param(&params, "appid"),
        wire::param(&params, "secret"),
    )
    .map(|appid| {
        let lifetimes = state.lifetimes;
        state.login.tokens.issue(
            new_token(&state),
            &appid,
            Family::Plain,
            state.clock.now(),
            lifetimes.access_token,
            lifetimes.access_token_grace,
        )
    });
    answer(&state, result)
}

/// Returns the current stable token, or replaces it when `force_refresh` is true.
#[tracing::instrument(skip_all)]
pub(crate) async fn stable_token(State(state): State<AppState>, body: Bytes) -> WxJson {
    // WeChat reads the body as JSON whatever the Content-Type says, so we do too.
    let Ok(request) = serde_json::from_slice::<StableTokenRequest>(&body) else {
        return state.wx_error(WxCode::DataFormatError);
    };
    let result = authenticate(
        &state,
        request.grant_type.as_deref().filter(|v| !v.is_empty()),
        request.appid.as_deref().filter(|v| !v.is_empty()),
        request.secret.as_deref().filter(|v| !v.is_empty()),
    )
    .map(|appid| {
        let now = state.clock.now();
        let tokens = &state.login.tokens;
        match tokens.current(&appid, Family::Stable, now) {
            Some(current) if !request.force_refresh => current,
            // Force refresh retires the previous stable token at once (no grace period).
            _ => tokens.issue(
                new_token(&state),
                &appid,
                Family::Stable,
                now,
                state.lifetimes.access_token,
                chrono::Duration::zero(),
            ),
        }
    });
    answer(&state, result)
}

fn authenticate(
    state: &AppState,
    grant_type: Option<&str>,
    appid: Option<&str>,
    secret: Option<&str>,
) -> Result<String, WxCode> {
    if grant_type != Some(GRANT_TYPE) {
        return Err(WxCode::InvalidGrantType);
    }
    state.apps.authenticate(appid, secret)
}

fn answer(state: &AppState, result: Result<Grant, WxCode>) -> WxJson {
    match result {
        Ok(grant) => {
            WxJson(json!({ "access_token": grant.access_token, "expires_in": grant.expires_in }))
        }
        Err(code) => {
            tracing::info!(errcode = code.errcode(), "access token refused");
            state.wx_error(code)
        }
    }
}

/// A token shaped like WeChat's: a numeric prefix, an underscore, then a long opaque tail.
fn new_token(state: &AppState) -> String {
    format!("90_{}", state.random.alphanumeric(120))
}
