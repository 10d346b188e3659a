//! `POST /wxa/business/getuserphonenumber`: the phone number behind a `getPhoneNumber` code.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::AppState;
use crate::wire::{self, WxCode, WxJson};

/// The request body; `code` is optional so its absence maps to WeChat's errcode.
#[derive(Debug, Deserialize)]
struct PhoneNumberRequest {
    code: Option<String>,
}

/// Answers `{"errcode":0,"errmsg":"ok","phone_info":{…}}` or a WeChat error.
///
/// The access token is checked before the body, as WeChat does: a caller with a bad token
/// learns nothing about the code.
#[tracing::instrument(skip_all, fields(appid))]
pub(crate) async fn get_user_phone_number(
    State(state): State<AppState>,
    uri: Uri,
    body: Bytes,
) -> WxJson {
    match lookup(&state, &uri, &body) {
        Ok(body) => WxJson(body),
        Err(code) => {
            tracing::info!(errcode = code.errcode(), "getuserphonenumber refused");
            state.wx_error(code)
        }
    }
}

fn lookup(state: &AppState, uri: &Uri, body: &[u8]) -> Result<Value, WxCode> {
    let params = wire::query_params(uri);
    let token = wire::param(&params, "access_token").ok_or(WxCode::AccessTokenMissing)?;
    let now = state.clock.now();
    let appid = state.login.tokens.validate(token, now)?;
    tracing::Span::current().record("appid", appid.as_str());

    let request: PhoneNumberRequest =
        serde_json::from_slice(body).map_err(|_| WxCode::DataFormatError)?;
    let code = request.code.ok_or(WxCode::DataFormatError)?;
    let redeemed = state.login.phone_codes.redeem(&appid, &code, now)?;
    let grant = redeemed.grant;

    // WeChat prefixes the country code only for numbers outside mainland China.
    let phone_number = if grant.country_code == "86" {
        grant.pure_phone.clone()
    } else {
        format!("+{}{}", grant.country_code, grant.pure_phone)
    };
    Ok(json!({
        "errcode": 0,
        "errmsg": "ok",
        "phone_info": {
            "phoneNumber": phone_number,
            "purePhoneNumber": grant.pure_phone,
            "countryCode": grant.country_code,
            // The watermark dates the user's consent (when the code was minted), not this call.
            "watermark": { "timestamp": redeemed.minted_at.timestamp(), "appid": appid },
        },
    }))
}
