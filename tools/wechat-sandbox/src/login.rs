//! Mini-program login: `jscode2session`, access tokens and phone number by code.
//!
//! This module owns the login half of the emulator; `pay` will sit beside it with the same
//! shape (a state struct, protocol `routes()`, `control::routes()`).

pub mod control;

mod codes;
mod phone;
mod session;
mod token;
mod tokens;

use axum::Router;
use axum::routing::{get, post};

use self::codes::CodeStore;
use self::tokens::TokenStore;
use crate::state::AppState;

/// What a login code stands for: the user who "tapped login" in the test.
#[derive(Debug, Clone)]
pub(crate) struct LoginGrant {
    pub(crate) openid: String,
    pub(crate) unionid: Option<String>,
}

/// What a phone code stands for: the number the user agreed to share.
#[derive(Debug, Clone)]
pub(crate) struct PhoneGrant {
    pub(crate) pure_phone: String,
    pub(crate) country_code: String,
}

/// The login module's in-memory state.
#[derive(Debug, Default)]
pub(crate) struct LoginState {
    pub(crate) login_codes: CodeStore<LoginGrant>,
    pub(crate) phone_codes: CodeStore<PhoneGrant>,
    pub(crate) tokens: TokenStore,
}

/// The WeChat protocol routes of this module, at the paths `api.weixin.qq.com` serves them.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/sns/jscode2session", get(session::jscode2session))
        .route("/cgi-bin/token", get(token::token))
        .route("/cgi-bin/stable_token", post(token::stable_token))
        .route(
            "/wxa/business/getuserphonenumber",
            post(phone::get_user_phone_number),
        )
}
