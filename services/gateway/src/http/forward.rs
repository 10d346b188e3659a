//! One unary call to a service over the bytes codec, with the metadata services rely on.

use std::time::Duration;

use bytes::Bytes;
use http::uri::PathAndQuery;
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Request, Status};

use crate::upstream::{BytesCodec, Upstreams};

/// Extra time the service gets beyond the gateway's deadline.
const DEADLINE_SLACK: Duration = Duration::from_millis(250);

/// What travels with a forwarded call as gRPC metadata.
#[derive(Debug, Default)]
pub struct CallMeta<'a> {
    /// The verified bearer token (services verify it again).
    pub token: Option<&'a str>,
    /// The client's `Idempotency-Key`, as `x-idempotency-key`.
    pub idempotency_key: Option<&'a str>,
    /// The request id, as `x-request-id`.
    pub request_id: &'a str,
    /// The client IP, as `x-client-ip` (the gateway overwrites any client-sent value).
    pub client_ip: String,
    /// The client's `User-Agent`.
    pub user_agent: Option<&'a str>,
    /// The mini-program app a guest (no token) names, as `x-siyu-app-id`.
    pub app_id: Option<&'a str>,
    /// The caller's `traceparent` and `tracestate`. Sent as received so the trace continues
    /// even where no tracer is installed; with one, the client trace layer replaces them with
    /// the gateway's own span as the parent.
    pub trace: [Option<&'a str>; 2],
}

/// Calls `path` on `upstream` with `message`. The deadline is enforced here; the service gets
/// it as `grpc-timeout` plus a little slack, so that the gateway's own timeout (504) fires
/// first rather than the service's cancellation racing it.
pub async fn unary(
    upstreams: &Upstreams,
    upstream: &str,
    path: PathAndQuery,
    message: Bytes,
    meta: &CallMeta<'_>,
    timeout: Duration,
) -> Result<Bytes, Status> {
    let mut client = upstreams
        .client(upstream)
        .ok_or_else(|| Status::unavailable(format!("upstream {upstream} is not configured")))?;
    let mut request = Request::new(message);
    request.set_timeout(timeout + DEADLINE_SLACK);
    fill(request.metadata_mut(), meta);
    let call = async {
        client
            .ready()
            .await
            .map_err(|err| Status::unavailable(format!("upstream {upstream}: {err}")))?;
        client.unary(request, path, BytesCodec).await
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(result) => result.map(tonic::Response::into_inner),
        Err(_) => Err(Status::deadline_exceeded("upstream deadline exceeded")),
    }
}

fn fill(metadata: &mut MetadataMap, meta: &CallMeta<'_>) {
    let mut put = |key: &'static str, value: &str| {
        if let Ok(value) = MetadataValue::try_from(value) {
            metadata.insert(key, value);
        }
    };
    if let Some(token) = meta.token {
        put("authorization", &format!("Bearer {token}"));
    }
    if let Some(key) = meta.idempotency_key {
        put("x-idempotency-key", key);
    }
    if let Some(app_id) = meta.app_id {
        put("x-siyu-app-id", app_id);
    }
    put("x-request-id", meta.request_id);
    put("x-client-ip", &meta.client_ip);
    if let Some(agent) = meta.user_agent {
        put("user-agent", agent);
    }
    for (key, value) in ["traceparent", "tracestate"].into_iter().zip(meta.trace) {
        if let Some(value) = value {
            put(key, value);
        }
    }
}
