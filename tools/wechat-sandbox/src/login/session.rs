//! `GET /sns/jscode2session`: exchanging a `wx.login()` code for the user's openid.

use axum::extract::State;
use axum::http::Uri;
use serde_json::{Map, Value};

use crate::state::AppState;
use crate::wire::{self, WxCode, WxJson};

/// The one `grant_type` this API takes.
const GRANT_TYPE: &str = "authorization_code";

/// Answers `{"openid","session_key"[,"unionid"]}` or a WeChat error.
///
/// Checks run in the order WeChat reports them: grant type, app credentials, then the code.
#[tracing::instrument(skip_all, fields(appid))]
pub(crate) async fn jscode2session(State(state): State<AppState>, uri: Uri) -> WxJson {
    match exchange(&state, &uri) {
        Ok(body) => WxJson(body),
        Err(code) => {
            tracing::info!(errcode = code.errcode(), "jscode2session refused");
            state.wx_error(code)
        }
    }
}

fn exchange(state: &AppState, uri: &Uri) -> Result<Value, WxCode> {
    let params = wire::query_params(uri);
    if wire::param(&params, "grant_type") != Some(GRANT_TYPE) {
        return Err(WxCode::InvalidGrantType);
    }
    let appid = state.apps.authenticate(
        wire::param(&params, "appid"),
        wire::param(&params, "secret"),
    )?;
    tracing::Span::current().record("appid", appid.as_str());
    let js_code = wire::param(&params, "js_code").ok_or(WxCode::CodeMissing)?;
    let redeemed = state
        .login
        .login_codes
        .redeem(&appid, js_code, state.clock.now())?;

    // WeChat omits `unionid` entirely (not null) when the app has no open-platform binding.
    let mut body = Map::new();
    body.insert("openid".into(), Value::String(redeemed.grant.openid));
    body.insert(
        "session_key".into(),
        Value::String(state.random.session_key()),
    );
    if let Some(unionid) = redeemed.grant.unionid {
        body.insert("unionid".into(), Value::String(unionid));
    }
    Ok(Value::Object(body))
}
