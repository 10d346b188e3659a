//! Control endpoints of the login module: the test plays the user who taps "log in" or
//! "share my phone number", and the operator who revokes tokens.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{LoginGrant, PhoneGrant};
use crate::control::ControlError;
use crate::error::SandboxError;
use crate::state::AppState;

/// Body of `POST /sandbox/login-codes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MintLoginCode {
    /// The app the code is for; it is rejected (40029) by any other app.
    pub appid: String,
    /// The user's openid in that app; a random 28-character one when absent.
    pub openid: Option<String>,
    /// The user's unionid; `jscode2session` returns `unionid` only when this is set.
    pub unionid: Option<String>,
}

/// Answer of `POST /sandbox/login-codes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginCode {
    /// The single-use `js_code`.
    pub code: String,
    /// The openid the code maps to.
    pub openid: String,
    /// The unionid the code maps to, if any.
    pub unionid: Option<String>,
}

/// Body of `POST /sandbox/phone-codes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MintPhoneCode {
    /// The app the code is for.
    pub appid: String,
    /// The number without country code, digits only, e.g. `13800138000`.
    pub phone: String,
    /// Country calling code without `+`; `86` when absent.
    pub country_code: Option<String>,
}

/// Answer of `POST /sandbox/phone-codes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhoneCode {
    /// The single-use phone-number code.
    pub code: String,
}

/// Body of `POST /sandbox/access-tokens/expire`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpireAccessTokens {
    /// The app whose tokens should expire now.
    pub appid: String,
}

/// Answer of `POST /sandbox/access-tokens/expire`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpiredAccessTokens {
    /// How many live tokens were expired.
    pub expired: usize,
}

/// The login control routes, relative to `/sandbox`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login-codes", post(mint_login_code))
        .route("/phone-codes", post(mint_phone_code))
        .route("/access-tokens/expire", post(expire_access_tokens))
}

async fn mint_login_code(
    State(state): State<AppState>,
    Json(request): Json<MintLoginCode>,
) -> Result<Json<LoginCode>, ControlError> {
    known_app(&state, &request.appid)?;
    // Real openids are 28 characters starting with "o"; keep the shape so length checks hold.
    let openid = request
        .openid
        .unwrap_or_else(|| format!("o{}", state.random.alphanumeric(27)));
    let code = state.random.alphanumeric(32);
    let grant = LoginGrant {
        openid: openid.clone(),
        unionid: request.unionid.clone(),
    };
    let now = state.clock.now();
    state.login.login_codes.mint(
        code.clone(),
        &request.appid,
        grant,
        now,
        state.lifetimes.code,
    );
    Ok(Json(LoginCode {
        code,
        openid,
        unionid: request.unionid,
    }))
}

async fn mint_phone_code(
    State(state): State<AppState>,
    Json(request): Json<MintPhoneCode>,
) -> Result<Json<PhoneCode>, ControlError> {
    known_app(&state, &request.appid)?;
    let country_code = request.country_code.unwrap_or_else(|| "86".to_owned());
    if !is_digits(&request.phone) || !is_digits(&country_code) {
        return Err(SandboxError::InvalidControlRequest(
            "phone and country_code must be non-empty digits".into(),
        )
        .into());
    }
    // Phone codes are 64 hex characters in WeChat's own examples.
    let code = state.random.hex(64);
    let grant = PhoneGrant {
        pure_phone: request.phone,
        country_code,
    };
    let now = state.clock.now();
    state.login.phone_codes.mint(
        code.clone(),
        &request.appid,
        grant,
        now,
        state.lifetimes.code,
    );
    Ok(Json(PhoneCode { code }))
}

async fn expire_access_tokens(
    State(state): State<AppState>,
    Json(request): Json<ExpireAccessTokens>,
) -> Result<Json<ExpiredAccessTokens>, ControlError> {
    known_app(&state, &request.appid)?;
    let expired = state
        .login
        .tokens
        .expire_all(&request.appid, state.clock.now());
    Ok(Json(ExpiredAccessTokens { expired }))
}

fn known_app(state: &AppState, appid: &str) -> Result<(), SandboxError> {
    if state.apps.contains(appid) {
        Ok(())
    } else {
        Err(SandboxError::UnknownApp(appid.to_owned()))
    }
}

fn is_digits(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
}
