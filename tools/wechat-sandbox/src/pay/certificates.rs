//! `GET /v3/certificates`: the platform certificates, each encrypted with the APIv3 key.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::authenticate;
use super::crypto;
use super::wire::signed;
use crate::state::AppState;

/// Lists the live certificates (none once withdrawn in favour of the public key).
pub(crate) async fn list(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match authenticate(&state, &method, &uri, &headers, &body) {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    let certificates: Vec<(String, &'static str)> = state
        .pay
        .world()
        .platform
        .listed()
        .iter()
        .map(|c| (c.serial_no.clone(), c.pem))
        .collect();
    let data: Vec<Value> = certificates
        .into_iter()
        .map(|(serial_no, pem)| {
            let nonce = state.random.alphanumeric(12);
            let ciphertext = crypto::seal(
                caller.merchant.apiv3_key.as_bytes(),
                &nonce,
                "certificate",
                pem.as_bytes(),
            )
            .unwrap_or_default();
            json!({
                "serial_no": serial_no,
                "effective_time": "2026-01-01T00:00:00+08:00",
                "expire_time": "2126-01-01T00:00:00+08:00",
                "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM",
                    "nonce": nonce,
                    "associated_data": "certificate",
                    "ciphertext": ciphertext,
                },
            })
        })
        .collect();
    let signing = state
        .pay
        .answer_signing(&caller, &state.clock, &state.random);
    signed(&signing, StatusCode::OK, Some(json!({ "data": data })))
}
