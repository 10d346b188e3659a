//! The responses of one operation: what the gateway itself answers on that route (from its
//! access, body and idempotency) and what the RPC's comment lists (`Errors: …`), each status
//! with its reasons and headers.

use std::collections::BTreeMap;

use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::errors::ListedError;
use crate::problem::grpc::http_status;
use crate::routes::table::CompiledRoute;
use crate::routes::{Access, Body, Idempotency};

/// The reasons of one status and why it is answered.
#[derive(Debug, Default)]
struct Status {
    why: Vec<&'static str>,
    reasons: Vec<String>,
}

/// The error responses (every status but 200) of `route`, given what its RPC's comment lists.
pub fn errors(route: &CompiledRoute, listed: &[ListedError]) -> Map<String, Value> {
    let mut statuses: BTreeMap<u16, Status> = BTreeMap::new();
    let mut add = |status: u16, why: &'static str, reasons: &[&str]| {
        let entry = statuses.entry(status).or_default();
        if !why.is_empty() {
            entry.why.push(why);
        }
        for reason in reasons {
            if !entry.reasons.iter().any(|r| r == reason) {
                entry.reasons.push((*reason).to_owned());
            }
        }
    };
    let r = &route.route;
    add(
        400,
        "The request does not fit the contract.",
        &["INVALID_ARGUMENT", "INVALID_FIELD_VALUE", "UNKNOWN_FIELD"],
    );
    if r.body == Body::All {
        add(400, "", &["MALFORMED_JSON", "PATH_BODY_MISMATCH"]);
        add(
            413,
            "The body is larger than the gateway accepts.",
            &["BODY_TOO_LARGE"],
        );
        add(415, "The body is not JSON.", &["UNSUPPORTED_MEDIA_TYPE"]);
    } else {
        add(400, "", &["MALFORMED_QUERY"]);
    }
    if r.access != Access::Public {
        add(
            401,
            "No valid token (a missing one where the route requires it, or an expired or invalid one).",
            &["TOKEN_MISSING", "TOKEN_INVALID", "TOKEN_EXPIRED"],
        );
        add(
            403,
            "The token does not admit this route (kind, role or scope).",
            &["PERMISSION_DENIED", "SCOPE_MISSING"],
        );
    }
    if route.path_params().next().is_some() {
        add(
            404,
            "Nothing with this id in the caller's tenant.",
            &["NOT_FOUND"],
        );
    }
    if r.method == Method::POST && r.idempotency != Idempotency::Exempt {
        if r.idempotency == Idempotency::Replay {
            add(
                400,
                "",
                &["IDEMPOTENCY_KEY_MISSING", "IDEMPOTENCY_KEY_INVALID"],
            );
        }
        add(
            409,
            "The Idempotency-Key was used for another request, or its first request is still in flight.",
            &["IDEMPOTENCY_KEY_REUSED", "IDEMPOTENCY_IN_PROGRESS"],
        );
    }
    for error in listed {
        let status = http_status(error.code).as_u16();
        let reasons: Vec<&str> = error.reason.iter().map(String::as_str).collect();
        add(status, "", &reasons);
    }
    add(
        429,
        "Too many requests from this client; retry after `Retry-After` seconds.",
        &["RATE_LIMITED"],
    );
    add(
        503,
        "The gateway is at capacity or the service is unavailable; retry after `Retry-After` seconds.",
        &["OVERLOADED", "UNAVAILABLE"],
    );
    statuses
        .into_iter()
        .map(|(status, entry)| (status.to_string(), response(status, entry)))
        .collect()
}

fn response(status: u16, entry: Status) -> Value {
    let title = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let mut description = title.to_owned();
    for why in &entry.why {
        description.push_str(". ");
        description.push_str(why.trim_end_matches('.'));
    }
    if !entry.reasons.is_empty() {
        description.push_str(". Reasons: ");
        description.push_str(
            &entry
                .reasons
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    description.push('.');
    let mut value = json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "x-siyu-reasons": entry.reasons,
    });
    let mut headers = Map::new();
    match status {
        401 => {
            headers.insert(
                "WWW-Authenticate".into(),
                json!({
                    "description": "`Bearer`: send an access token.",
                    "schema": {"type": "string"},
                }),
            );
        }
        429 | 503 => {
            headers.insert(
                "Retry-After".into(),
                json!({
                    "description": "Seconds to wait before retrying.",
                    "schema": {"type": "integer", "minimum": 1},
                }),
            );
        }
        _ => {}
    }
    if !headers.is_empty() {
        value["headers"] = Value::Object(headers);
    }
    value
}

/// Headers of a successful reply on `route`: `Idempotent-Replayed` where the gateway replays.
pub fn success_headers(route: &CompiledRoute) -> Option<Value> {
    let r = &route.route;
    (r.method == Method::POST && r.idempotency == Idempotency::Replay).then(|| {
        json!({"Idempotent-Replayed": {
            "description": "`true` when this is the stored reply to an earlier request with the same Idempotency-Key.",
            "schema": {"type": "string", "enum": ["true"]},
        }})
    })
}
