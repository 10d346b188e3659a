//! Raw routes: PSP callbacks (WeChat Pay API v3 notifications) that are not JSON requests of
//! ours. The body travels to the service byte for byte (the PSP's signature covers it), the
//! protocol's headers go into their fields, no bearer token or `Idempotency-Key` is expected
//! (the service de-duplicates by the PSP's own ids), and the reply follows the PSP's protocol.

use std::net::SocketAddr;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use tonic::Code;

use super::client_ip::client_ip;
use super::forward::{CallMeta, unary};
use crate::guard::rate_limit;
use crate::problem::Problem;
use crate::routes::table::CompiledRoute;
use crate::routes::{RawBinding, RawReply};
use crate::state::AppState;
use crate::transcode::encode_raw;

/// The largest callback body accepted (WeChat Pay notifications are a few KiB).
const MAX_BODY: usize = 64 * 1024;

/// The matched raw route of a request.
#[derive(Debug, Clone, Copy)]
pub struct RawCall<'a> {
    /// The route.
    pub route: &'a CompiledRoute,
    /// Its raw binding.
    pub raw: &'a RawBinding,
    /// Its path parameters.
    pub params: &'a [(&'static str, String)],
}

/// Serves one raw route.
pub async fn serve(
    state: &AppState,
    call: RawCall<'_>,
    peer: SocketAddr,
    parts: &Parts,
    body: Body,
    request_id: &str,
) -> Response {
    match forward(state, call, peer, parts, body, request_id).await {
        Ok(()) => reply_ok(call.raw.reply),
        Err((status, reason)) => reply_fail(call.raw.reply, status, &reason),
    }
}

async fn forward(
    state: &AppState,
    RawCall { route, raw, params }: RawCall<'_>,
    peer: SocketAddr,
    parts: &Parts,
    body: Body,
    request_id: &str,
) -> Result<(), (StatusCode, String)> {
    let ip = client_ip(peer, &parts.headers, state.limits.forwarded_hops);
    rate_limit::check_ip(state.limiter(), ip)
        .await
        .map_err(|p| (p.status, p.reason.clone()))?;
    let limit = MAX_BODY.min(state.limits.max_body_bytes.max(MAX_BODY));
    let bytes = tokio::time::timeout(
        state.limits.body_read_timeout(),
        axum::body::to_bytes(body, limit),
    )
    .await
    .map_err(|_| (StatusCode::REQUEST_TIMEOUT, "BODY_TIMEOUT".to_owned()))?
    .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE".to_owned()))?;
    let message = encode_raw(route, raw, params, &parts.headers, bytes)
        .map_err(|p| (p.status, p.reason.clone()))?;
    let timeout = state.limits.request_timeout();
    let token = state
        .service_tokens
        .get(&state.upstreams, timeout)
        .await
        .map_err(|status| {
            tracing::warn!(code = ?status.code(), message = status.message(), "no service token for a PSP callback");
            (StatusCode::SERVICE_UNAVAILABLE, "GATEWAY_CREDENTIAL_UNAVAILABLE".to_owned())
        })?;
    let meta = CallMeta {
        token: Some(&token),
        request_id,
        client_ip: ip.to_string(),
        user_agent: parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
        ..CallMeta::default()
    };
    unary(
        &state.upstreams,
        &route.upstream,
        route.grpc_path.clone(),
        message,
        &meta,
        timeout,
    )
    .await
    .map(|_| ())
    .map_err(|status| {
        if matches!(
            status.code(),
            Code::Internal | Code::Unknown | Code::Unavailable
        ) {
            tracing::warn!(code = ?status.code(), rpc = route.route.rpc, "PSP callback failed");
        }
        // The same status and (masked) reason a REST caller would get.
        let problem = Problem::from_status(&status);
        (problem.status, problem.reason.clone())
    })
}

fn reply_ok(protocol: RawReply) -> Response {
    match protocol {
        // WeChat Pay: 200 (or 204) with no body acknowledges the notification.
        RawReply::WechatPayV3 => StatusCode::OK.into_response(),
    }
}

fn reply_fail(protocol: RawReply, status: StatusCode, reason: &str) -> Response {
    match protocol {
        // WeChat Pay: any 4xx/5xx with {"code":"FAIL","message":…} makes it retry.
        RawReply::WechatPayV3 => {
            let body = serde_json::json!({"code": "FAIL", "message": reason}).to_string();
            let mut response = (status, body).into_response();
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
    }
}
