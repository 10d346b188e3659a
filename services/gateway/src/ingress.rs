//! The partner gRPC ingress: `/siyu.<pkg>.v1.<Service>/<Method>` calls from partners are
//! authenticated, checked against the method's required scope and forwarded as raw frames
//! (bytes codec) to the owning service; its messages, status and details stream back.
//!
//! Only methods whose contract admits partners (`GrpcRoute`) are reachable; anything else is
//! PERMISSION_DENIED, so adding an RPC to a service never exposes it to partners by accident.

mod listener;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use bytes::Bytes;
use siyu_core::PrincipalKind;
use siyu_telemetry::ServerTraceLayer;
use tokio_stream::StreamExt as _;
use tonic::codec::Streaming;
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

use crate::guard::rate_limit;
use crate::state::AppState;
use crate::upstream::BytesCodec;

pub use self::listener::{MAX_FRAME_BYTES, MAX_HEADER_LIST_BYTES, serve};

/// `ErrorInfo.domain` of refusals by the gateway itself.
const DOMAIN: &str = "gateway.siyu";

/// The largest message a partner may send: tonic's decoding limit, the services' too.
const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// Metadata passed on to the service; everything else the partner sent stays here.
const FORWARDED: [&str; 3] = ["authorization", "x-idempotency-key", "x-request-id"];

/// The router of the ingress listener (HTTP/2, any path).
pub fn router(state: AppState) -> Router {
    Router::new()
        .fallback(ingress)
        .layer(ServerTraceLayer)
        .with_state(state)
}

async fn ingress(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let path = request.uri().path().to_owned();
    let forward = Forward { state, path, peer };
    let response = tonic::server::Grpc::new(BytesCodec)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .streaming(forward, request)
        .await;
    response.map(axum::body::Body::new)
}

/// One forwarded call.
#[derive(Clone)]
struct Forward {
    state: AppState,
    path: String,
    peer: SocketAddr,
}

type ForwardFuture =
    Pin<Box<dyn Future<Output = Result<tonic::Response<Streaming<Bytes>>, Status>> + Send>>;

impl tower::Service<tonic::Request<Streaming<Bytes>>> for Forward {
    type Response = tonic::Response<Streaming<Bytes>>;
    type Error = Status;
    type Future = ForwardFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: tonic::Request<Streaming<Bytes>>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.forward(request).await })
    }
}

impl Forward {
    async fn forward(
        self,
        request: tonic::Request<Streaming<Bytes>>,
    ) -> Result<tonic::Response<Streaming<Bytes>>, Status> {
        let state = &self.state;
        let token = bearer(request.metadata())
            .ok_or_else(|| Status::from(siyu_auth::AuthError::MissingToken))?;
        let claims = state.verifier.verify(&token).await.map_err(Status::from)?;
        let ctx = claims.to_ctx().map_err(Status::from)?;
        if ctx.principal.kind != PrincipalKind::Partner {
            return Err(refused(
                Code::PermissionDenied,
                "PERMISSION_DENIED",
                "partner tokens only",
            ));
        }
        let route = state.table.grpc_route(&self.path).ok_or_else(|| {
            refused(
                Code::PermissionDenied,
                "METHOD_NOT_EXPOSED",
                "this method is not open to partners",
            )
        })?;
        if let Some(scope) = route.scope
            && !ctx.principal.has_scope(scope)
        {
            return Err(refused(
                Code::PermissionDenied,
                "SCOPE_MISSING",
                &format!("needs the scope {scope}"),
            ));
        }
        let caller = crate::guard::auth::Caller {
            tenant: ctx.tenant,
            subject: claims.sub.clone(),
            kind: claims.kind,
            client_id: claims.client_id.clone(),
            token: token.clone(),
        };
        if let Err(problem) = rate_limit::check_caller(state.limiter(), &caller).await {
            let mut details =
                ErrorDetails::with_error_info(problem.reason.clone(), DOMAIN, HashMap::new());
            if let Some(seconds) = problem.retry_after {
                details.set_retry_info(Some(std::time::Duration::from_secs(seconds)));
            }
            return Err(Status::with_error_details(
                Code::ResourceExhausted,
                problem.detail.clone(),
                details,
            ));
        }

        let mut client = state
            .upstreams
            .client(&route.upstream)
            .ok_or_else(|| Status::unavailable("the service is not configured"))?;
        let path = self
            .path
            .parse()
            .map_err(|_| Status::invalid_argument("malformed method path"))?;
        let (incoming_meta, extensions, stream) = request.into_parts();
        let mut metadata = MetadataMap::new();
        for key in FORWARDED {
            if let Some(value) = incoming_meta.get(key) {
                metadata.insert(key, value.clone());
            }
        }
        if !metadata.contains_key("x-request-id")
            && let Ok(id) = MetadataValue::try_from(siyu_core::id::new_string())
        {
            metadata.insert("x-request-id", id);
        }
        if let Ok(ip) = MetadataValue::try_from(self.peer.ip().to_string()) {
            metadata.insert("x-client-ip", ip);
        }
        // A frame the ingress cannot read (over the size limit, a bad compression flag) ends
        // the outgoing stream; the service then sees no message and its answer would hide
        // why, so the partner gets the reason the frame was refused instead.
        let refused_frame = Arc::new(Mutex::new(None::<Status>));
        let slot = Arc::clone(&refused_frame);
        let outgoing = stream.map_while(move |frame| match frame {
            Ok(bytes) => Some(bytes),
            Err(status) => {
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(status);
                }
                None
            }
        });
        let mut outgoing = tonic::Request::from_parts(metadata, extensions, outgoing);
        outgoing.set_timeout(state.limits.request_timeout());
        client
            .ready()
            .await
            .map_err(|err| Status::unavailable(format!("service unavailable: {err}")))?;
        let reply = client.streaming(outgoing, path, BytesCodec).await;
        let refused = refused_frame.lock().ok().and_then(|mut slot| slot.take());
        match refused {
            Some(status) => Err(frame_refusal(&status)),
            None => reply,
        }
    }
}

/// The answer for an incoming frame the ingress's decoder refused: `RESOURCE_EXHAUSTED
/// MESSAGE_TOO_LARGE` over the size limit (as the gRPC spec asks of a server), otherwise
/// `INVALID_ARGUMENT MALFORMED_MESSAGE`. The decoder's own text stays in the log.
fn frame_refusal(status: &Status) -> Status {
    tracing::info!(code = ?status.code(), cause = status.message(), "partner frame refused");
    if status.code() == Code::OutOfRange || status.message().contains("too large") {
        refused(
            Code::ResourceExhausted,
            "MESSAGE_TOO_LARGE",
            &format!("the request message exceeds {MAX_MESSAGE_BYTES} bytes"),
        )
    } else {
        refused(
            Code::InvalidArgument,
            "MALFORMED_MESSAGE",
            "malformed request message",
        )
    }
}

fn bearer(metadata: &MetadataMap) -> Option<String> {
    let value = metadata.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|token| !token.is_empty())
}

fn refused(code: Code, reason: &str, message: &str) -> Status {
    let details = ErrorDetails::with_error_info(reason, DOMAIN, HashMap::new());
    Status::with_error_details(code, message, details)
}
