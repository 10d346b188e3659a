//! The generic REST handler: route → rate limit → token and access policy → body →
//! request message → idempotency → service → JSON or problem.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body as HttpBody;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, USER_AGENT};
use http::request::Parts;
use http::{HeaderValue, Method, StatusCode};

use super::client_ip::client_ip;
use super::forward::{CallMeta, unary};
use super::observe::{RequestId, RouteTemplate};
use super::parse_errors::Peer;
use super::payload::{classify, read_body};
use crate::guard::auth::{Caller, authorize};
use crate::guard::idempotency::{self, Begin, KeyClaim, StoredReply};
use crate::guard::rate_limit;
use crate::problem::{PROBLEM_JSON, Problem, oauth_response};
use crate::routes::table::{CompiledRoute, Lookup};
use crate::routes::{Access, Body, Idempotency};
use crate::state::AppState;
use crate::transcode::{encode_request, response_json};

/// The client's idempotency header.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The header naming a guest's mini-program app.
const APP_ID: &str = "x-siyu-app-id";

/// Marks a replayed reply.
const REPLAYED: &str = "idempotent-replayed";

/// A reply from the service, before it becomes a `Response` (and maybe a stored reply).
enum Reply {
    /// 200 with the response message as JSON.
    Json(Vec<u8>),
    /// The service's error.
    Problem(Problem),
}

/// Serves every request the router has no fixed route for.
pub async fn handle(
    State(state): State<AppState>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    request: Request,
) -> Response {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
    // HEAD is GET without the body (RFC 9110 §9.3.2); hyper leaves the body out.
    let method = if parts.method == Method::HEAD {
        &Method::GET
    } else {
        &parts.method
    };
    let route = match state.table.lookup(method, parts.uri.path()) {
        Lookup::Found(route, params) => (route, params),
        Lookup::MethodNotAllowed(mut allow) => {
            if allow.contains(&Method::GET) {
                allow.push(Method::HEAD);
            }
            let mut problem = Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                format!("{} is not allowed here", parts.method),
            );
            problem.allow = allow;
            return problem.with_instance(&request_id).into_response();
        }
        Lookup::NotFound => {
            return Problem::new(StatusCode::NOT_FOUND, "ROUTE_NOT_FOUND", "no such route")
                .with_instance(&request_id)
                .into_response();
        }
    };
    let (route, params) = route;
    if let Body::Raw(raw) = route.route.body {
        let call = super::raw::RawCall {
            route,
            raw: &raw,
            params: &params,
        };
        let mut response = super::raw::serve(&state, call, peer, &parts, body, &request_id).await;
        response
            .extensions_mut()
            .insert(RouteTemplate(route.route.path));
        return response;
    }
    let outcome = serve(&state, route, &params, peer, &parts, body, &request_id).await;
    let mut response = match outcome {
        Ok(response) => response,
        Err(problem) if route.route.oauth => oauth_response(problem.with_instance(&request_id)),
        Err(problem) => problem.with_instance(&request_id).into_response(),
    };
    // Tokens and one-time secrets must not be kept by any cache on the way (RFC 6749 §5.1):
    // token grants and introspection, logins and refreshes, and every reply of a route that
    // is never replayed for carrying secrets.
    if route.route.oauth || route.route.idempotency == Idempotency::Dedupe {
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    }
    response
        .extensions_mut()
        .insert(RouteTemplate(route.route.path));
    response
}

async fn serve(
    state: &AppState,
    route: &CompiledRoute,
    params: &[(&'static str, String)],
    peer: SocketAddr,
    parts: &Parts,
    body: HttpBody,
    request_id: &str,
) -> Result<Response, Problem> {
    let headers = &parts.headers;
    let ip = client_ip(peer, headers, state.limits.forwarded_hops);
    rate_limit::check_ip(state.limiter(), ip).await?;
    let caller = authorize(&state.verifier, headers, route.route.access).await?;
    if let Some(caller) = &caller {
        rate_limit::check_caller(state.limiter(), caller).await?;
    }

    let bytes = read_body(
        body,
        headers,
        state.limits.max_body_bytes,
        state.limits.body_read_timeout(),
    )
    .await?;
    let extra = if route.route.oauth && route.route.access == Access::Public {
        basic_client_auth(headers)?
    } else {
        Vec::new()
    };
    let payload = classify(headers, &bytes, route.route.oauth)?;
    let message = encode_request(route, params, parts.uri.query(), payload, &extra)?;

    let key = headers
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().unwrap_or_default());
    if let Some(key) = key {
        idempotency::validate_key(key)?;
    }
    let scope = idempotency_scope(caller.as_ref(), &ip.to_string());
    let lock_ttl = state.limits.request_timeout() + Duration::from_secs(5);
    let claim: Option<KeyClaim> = match (&parts.method, route.route.idempotency, key) {
        (&Method::POST, Idempotency::Replay, None) => {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "IDEMPOTENCY_KEY_MISSING",
                "this route needs an Idempotency-Key header",
            ));
        }
        (&Method::POST, Idempotency::Replay, Some(key)) => {
            let path = parts.uri.path_and_query().map_or("", |p| p.as_str());
            let hash = idempotency::request_hash(parts.method.as_str(), path, &bytes);
            let wait = state.limits.idempotency_wait();
            match idempotency::begin_replay(&state.cache, &scope, key, hash, lock_ttl, wait).await?
            {
                Begin::Replay(stored) => return Ok(replayed(stored)),
                Begin::Proceed(claim) => Some(claim),
            }
        }
        (&Method::POST, Idempotency::Dedupe, Some(key)) => {
            Some(idempotency::begin_dedupe(&state.cache, &scope, key, lock_ttl).await?)
        }
        _ => None,
    };

    let meta = CallMeta {
        token: caller.as_ref().map(|c| c.token.as_str()),
        // Guests browse a store before they log in: the service takes their tenant from the
        // app they name.
        app_id: match (route.route.access, &caller) {
            (Access::Optional, None) => guest_app(headers),
            _ => None,
        },
        idempotency_key: key,
        request_id,
        client_ip: ip.to_string(),
        user_agent: headers.get(USER_AGENT).and_then(|v| v.to_str().ok()),
        trace: ["traceparent", "tracestate"].map(|h| headers.get(h).and_then(|v| v.to_str().ok())),
    };
    let result = unary(
        &state.upstreams,
        &route.upstream,
        route.grpc_path.clone(),
        message,
        &meta,
        state.limits.request_timeout(),
    )
    .await;
    let reply = match result {
        Ok(bytes) => {
            response_json(route.method.output(), &bytes, route.route.oauth).map(Reply::Json)
        }
        Err(status) => {
            if matches!(
                status.code(),
                tonic::Code::Internal
                    | tonic::Code::Unknown
                    | tonic::Code::DataLoss
                    | tonic::Code::Unavailable
            ) {
                tracing::warn!(code = ?status.code(), message = status.message(), rpc = route.route.rpc, "service failed");
            }
            Err(Problem::from_status(&status))
        }
    };

    let Some(claim) = claim else {
        return reply.map(Reply::into_response);
    };
    // Replayable routes never render OAuth errors (checked when the table is compiled), so
    // a problem is stored as its problem+json rendering.
    let reply = reply.unwrap_or_else(|problem| Reply::Problem(problem.with_instance(request_id)));
    let stored = (route.route.idempotency == Idempotency::Replay
        && idempotency::storable(reply.status()))
    .then(|| reply.to_stored(claim.hash()));
    claim
        .finish(
            &state.cache,
            stored.as_ref(),
            state.limits.idempotency_ttl(),
        )
        .await;
    match reply {
        // A de-duplicated OAuth request still answers errors in RFC 6749 form.
        Reply::Problem(problem) if route.route.oauth => Ok(oauth_response(problem)),
        reply => Ok(reply.into_response()),
    }
}

impl Reply {
    fn status(&self) -> StatusCode {
        match self {
            Self::Json(_) => StatusCode::OK,
            Self::Problem(problem) => problem.status,
        }
    }

    fn to_stored(&self, request_hash: &str) -> StoredReply {
        let (content_type, body) = match self {
            Self::Json(json) => ("application/json", json.clone()),
            Self::Problem(problem) => (PROBLEM_JSON, problem.body()),
        };
        StoredReply {
            status: self.status().as_u16(),
            content_type: content_type.to_owned(),
            body: String::from_utf8_lossy(&body).into_owned(),
            request_hash: request_hash.to_owned(),
        }
    }

    fn into_response(self) -> Response {
        match self {
            Self::Json(json) => {
                let mut response = (StatusCode::OK, json).into_response();
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                response
            }
            Self::Problem(problem) => problem.into_response(),
        }
    }
}

fn replayed(stored: StoredReply) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&stored.content_type) {
        headers.insert(CONTENT_TYPE, value);
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// Whose keys these are: a caller's keys never collide with another caller's. Keys of one
/// tenant share a Redis Cluster slot (`{tenant}` hash tag).
fn idempotency_scope(caller: Option<&Caller>, ip: &str) -> String {
    match caller {
        Some(caller) => format!("{{{}}}:{:?}:{}", caller.tenant, caller.kind, caller.subject),
        None => format!("ip:{ip}"),
    }
}

/// The mini-program app a guest request names: the `X-Siyu-App-Id` header, else the app id
/// in the `Referer` WeChat sets on every mini-program request
/// (`https://servicewechat.com/{appid}/{version}/page-frame.html`).
fn guest_app(headers: &http::HeaderMap) -> Option<&str> {
    let plausible = |v: &&str| {
        (1..=64).contains(&v.len())
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if let Some(app) = headers.get(APP_ID).and_then(|v| v.to_str().ok()) {
        return Some(app).filter(plausible);
    }
    headers
        .get(http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("https://servicewechat.com/"))
        .and_then(|rest| rest.split('/').next())
        .filter(plausible)
}

/// RFC 6749 §2.3.1: client credentials in HTTP Basic become `client_id` and `client_secret`.
fn basic_client_auth(headers: &http::HeaderMap) -> Result<Vec<(&'static str, String)>, Problem> {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Ok(Vec::new());
    };
    let Some(encoded) = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, rest)| rest.trim())
    else {
        return Ok(Vec::new());
    };
    let invalid = || {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_CLIENT",
            "malformed Basic client authentication",
        )
    };
    let decoded = STANDARD.decode(encoded).map_err(|_| invalid())?;
    let text = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (id, secret) = text.split_once(':').ok_or_else(invalid)?;
    Ok(vec![
        ("client_id", id.to_owned()),
        ("client_secret", secret.to_owned()),
    ])
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn guests_name_their_app_by_header_or_by_the_wechat_referer() {
        assert_eq!(
            guest_app(&headers(&[("x-siyu-app-id", "wx7ea4bf71758e0fc7")])),
            Some("wx7ea4bf71758e0fc7")
        );
        let referer = "https://servicewechat.com/wx7ea4bf71758e0fc7/3/page-frame.html";
        assert_eq!(
            guest_app(&headers(&[("referer", referer)])),
            Some("wx7ea4bf71758e0fc7")
        );
        // The header wins; hostile values name no app.
        assert_eq!(
            guest_app(&headers(&[("x-siyu-app-id", "a b"), ("referer", referer)])),
            None
        );
        assert_eq!(
            guest_app(&headers(&[("referer", "https://evil.example/wx1/")])),
            None
        );
        assert_eq!(guest_app(&HeaderMap::new()), None);
    }
}
