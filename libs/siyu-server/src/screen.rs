//! [`ScreenLayer`]: every request message is screened by its RPC's descriptor before a
//! handler (or a database) sees it.
//!
//! - **Malformed messages** — a broken frame, bytes that are not a message of the method's
//!   input type — are `INVALID_ARGUMENT MALFORMED_MESSAGE` with the generic message
//!   "malformed request message". Without the layer tonic's prost codec answers `INTERNAL`
//!   with the decoder's text (`GetProductRequest.product_id: invalid string value`), which
//!   names internal types and blames the server for the client's bytes. Whatever the walk lets
//!   through and the generated decoder still refuses is rewritten the same way on its way out.
//! - **Refused characters** in any string field, nested, repeated or in maps: U+0000 (which
//!   PostgreSQL `text` refuses while SQLite stores it, so the backends would disagree), the
//!   other C0/C1 control characters (tab, line feed and carriage return are allowed in free
//!   text, not in identifiers, codes, keys and tokens) and Unicode noncharacters are
//!   `INVALID_ARGUMENT` with reason `INVALID_ARGUMENT` and a `BadRequest` violation naming the
//!   field (`product.skus[1].sku_code`), like every other bad field of the suite.
//! - **Over-size messages** (over tonic's 4 MiB decoding limit) are `RESOURCE_EXHAUSTED
//!   MESSAGE_TOO_LARGE`, as the gRPC spec asks of a server, rather than tonic's `OUT_OF_RANGE`.
//!
//! Every service gets it from [`crate::GrpcServer`], so a service added later inherits the
//! rules without a line of its own.
//!
//! Cost: the layer walks the wire bytes with per-type plans prepared at start-up (`wire.rs`)
//! instead of decoding a `DynamicMessage`: no allocation unless something is refused, and
//! only the few lead bytes that can start a refused character are decoded. Measured by
//! `examples/screen_cost.rs` (release build, on the shared 2-core development machine while
//! other builds ran, so noisy) on a 964-byte product create request with a 600-byte Chinese
//! description and 2 SKUs: walk 5.1–6.4 µs, `DynamicMessage::decode` 5.4–7.7 µs, the generated
//! prost decode every handler does anyway 2.8–3.2 µs. The screen about doubles the decoding
//! cost of a request, a few microseconds against the hundreds a gRPC round trip costs.

mod text;
mod wire;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use siyu_proto::contract::Contract;
use tonic::body::Body;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};
use tower::{Layer, Service};

use self::wire::{Finding, Plans};

/// The largest request message accepted: tonic's default decoding limit.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// The gRPC frame header: a compression flag and a 4-byte length.
const FRAME_HEADER: usize = 5;

/// The status message of every malformed request.
pub const MALFORMED: &str = "malformed request message";

/// What tonic's server side answers `INTERNAL` for when the client's bytes are at fault
/// (the prost decoder, the frame decoder, a body without a message).
const DECODER_FAULTS: [&str; 3] = [
    "failed to decode Protobuf message",
    "Missing request message",
    "protocol error:",
];

/// One RPC's screen: its input type and the `ErrorInfo.domain` of its refusals.
#[derive(Debug)]
struct Entry {
    /// The input type's plan in [`ScreenLayer`]'s plans.
    input: usize,
    domain: String,
}

/// Screens each Siyu RPC's request message (see the module documentation); other paths
/// (health, reflection, unknown methods) pass untouched.
#[derive(Debug, Clone)]
pub struct ScreenLayer {
    entries: Arc<HashMap<String, Entry>>,
    plans: Arc<Plans>,
}

impl ScreenLayer {
    /// A layer over every RPC of `contract`.
    pub fn new(contract: &'static Contract) -> Self {
        let mut plans = Plans::default();
        let entries = contract
            .methods()
            .map(|method| {
                let service = method.rpc.split('.').nth(1).unwrap_or("siyu");
                let entry = Entry {
                    input: plans.plan(&method.descriptor.input()),
                    domain: format!("{service}.siyu"),
                };
                (method.path.clone(), entry)
            })
            .collect();
        Self {
            entries: Arc::new(entries),
            plans: Arc::new(plans),
        }
    }
}

/// The service of a gRPC path: `siyu.catalog.v1.CatalogService` for
/// `/siyu.catalog.v1.CatalogService/GetProduct`.
pub fn service_of(path: &str) -> &str {
    path.trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
}

impl ScreenLayer {
    /// Keeps the RPCs of `services` only (see [`crate::AccessLayer::serving`]).
    pub fn serving(mut self, services: &[&str]) -> Self {
        if let Some(entries) = Arc::get_mut(&mut self.entries) {
            entries.retain(|path, _| services.contains(&service_of(path)));
        }
        self
    }

    /// Screens the encoded request message (without its gRPC frame) of the RPC at `path`;
    /// paths that are not Siyu RPCs pass.
    pub fn check(&self, path: &str, message: &[u8]) -> Result<(), Status> {
        let Some(entry) = self.entries.get(path) else {
            return Ok(());
        };
        screen_message(&self.plans, entry, message)
    }
}

impl<S> Layer<S> for ScreenLayer {
    type Service = ScreenService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ScreenService {
            inner,
            entries: Arc::clone(&self.entries),
            plans: Arc::clone(&self.plans),
        }
    }
}

/// The service produced by [`ScreenLayer`].
#[derive(Debug, Clone)]
pub struct ScreenService<S> {
    inner: S,
    entries: Arc<HashMap<String, Entry>>,
    plans: Arc<Plans>,
}

impl<S, RB> Service<Request<Body>> for ScreenService<S>
where
    S: Service<Request<Body>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The clone that was polled ready is the one that must serve the call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if !self.entries.contains_key(request.uri().path()) {
            return Box::pin(inner.call(request));
        }
        let entries = Arc::clone(&self.entries);
        let plans = Arc::clone(&self.plans);
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let Some(entry) = entries.get(parts.uri.path()) else {
                return inner.call(Request::from_parts(parts, body)).await;
            };
            let compressed = parts.headers.contains_key("grpc-encoding");
            let bytes = match read(body)
                .await
                .and_then(|b| screen(&plans, entry, &b, compressed).map(|()| b))
            {
                Ok(bytes) => bytes,
                Err(status) => {
                    tracing::info!(method = %parts.uri.path(), code = ?status.code(), "request refused by the screen");
                    return Ok(status.into_http());
                }
            };
            let request = Request::from_parts(parts, Body::new(axum::body::Body::from(bytes)));
            let response = inner.call(request).await?;
            Ok(unmask_decoder_fault(response, &entry.domain))
        })
    }
}

/// The whole request body, within one message of the limit.
async fn read(body: Body) -> Result<Bytes, Status> {
    let limit = FRAME_HEADER + MAX_MESSAGE_BYTES;
    axum::body::to_bytes(axum::body::Body::new(body), limit)
        .await
        .map_err(|err| {
            if err.to_string().contains("length limit") {
                too_large()
            } else {
                // The client reset the stream mid-body: nobody is left to answer.
                Status::cancelled("the request body was not received")
            }
        })
}

/// Checks the one frame of a unary request and the message in it.
fn screen(plans: &Plans, entry: &Entry, body: &[u8], encoding_named: bool) -> Result<(), Status> {
    let malformed = || malformed(&entry.domain);
    let Some((header, message)) = body.split_at_checked(FRAME_HEADER) else {
        return Err(malformed());
    };
    let declared = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if declared > MAX_MESSAGE_BYTES {
        return Err(too_large());
    }
    match header[0] {
        0 => {}
        // A compressed message under a named encoding: tonic answers for the encoding.
        1 if encoding_named => return Ok(()),
        _ => return Err(malformed()),
    }
    // Unary calls carry exactly one message: a short frame or a second one is broken framing.
    if declared != message.len() {
        return Err(malformed());
    }
    screen_message(plans, entry, message)
}

/// Checks one request message (without its frame).
fn screen_message(plans: &Plans, entry: &Entry, message: &[u8]) -> Result<(), Status> {
    match plans.walk(entry.input, message) {
        Ok(()) => Ok(()),
        Err(Finding::Malformed) => Err(malformed(&entry.domain)),
        Err(Finding::Forbidden { path, character }) => {
            Err(forbidden(&entry.domain, &path, character))
        }
    }
}

/// A decoder fault tonic reported as `INTERNAL`, answered as the client's mistake it is.
fn unmask_decoder_fault<RB: Default>(response: Response<RB>, domain: &str) -> Response<RB> {
    match Status::from_header_map(response.headers()) {
        Some(status)
            if status.code() == Code::Internal
                && DECODER_FAULTS
                    .iter()
                    .any(|f| status.message().starts_with(f)) =>
        {
            tracing::info!(cause = status.message(), "undecodable request refused");
            malformed(domain).into_http()
        }
        _ => response,
    }
}

/// `INVALID_ARGUMENT MALFORMED_MESSAGE`, naming nothing of the server's types.
fn malformed(domain: &str) -> Status {
    let details = ErrorDetails::with_error_info("MALFORMED_MESSAGE", domain, HashMap::new());
    Status::with_error_details(Code::InvalidArgument, MALFORMED, details)
}

/// `RESOURCE_EXHAUSTED MESSAGE_TOO_LARGE`.
fn too_large() -> Status {
    let details = ErrorDetails::with_error_info("MESSAGE_TOO_LARGE", "siyu", HashMap::new());
    Status::with_error_details(
        Code::ResourceExhausted,
        format!("the request message exceeds {MAX_MESSAGE_BYTES} bytes"),
        details,
    )
}

/// `INVALID_ARGUMENT` naming the field that holds `character`.
fn forbidden(domain: &str, path: &str, character: char) -> Status {
    let mut details = ErrorDetails::with_error_info("INVALID_ARGUMENT", domain, HashMap::new());
    details.add_bad_request_violation(path, text::describe(character));
    Status::with_error_details(
        Code::InvalidArgument,
        format!("invalid argument: {path}"),
        details,
    )
}

#[cfg(test)]
mod tests {
    use prost::Message as _;
    use siyu_proto::identity::v1 as identity;

    use super::*;

    fn entry(plans: &mut Plans, path: &str) -> Entry {
        let method = Contract::global().unwrap().method(path).unwrap();
        Entry {
            input: plans.plan(&method.descriptor.input()),
            domain: "identity.siyu".into(),
        }
    }

    fn frame(message: &[u8]) -> Vec<u8> {
        let mut out = vec![0];
        out.extend_from_slice(&(message.len() as u32).to_be_bytes());
        out.extend_from_slice(message);
        out
    }

    fn login() -> (Plans, Entry) {
        let mut plans = Plans::default();
        let entry = entry(&mut plans, "/siyu.identity.v1.StaffAuthService/LoginStaff");
        (plans, entry)
    }

    fn reason(status: &Status) -> String {
        status.get_details_error_info().unwrap().reason
    }

    #[test]
    fn a_nul_in_a_login_is_refused_naming_the_field() {
        let request = identity::LoginStaffRequest {
            tenant_code: "de\u{0}mo".into(),
            identifier: Some(identity::login_staff_request::Identifier::LoginName(
                "admin".into(),
            )),
            ..Default::default()
        };
        let (plans, login) = login();
        let status = screen(&plans, &login, &frame(&request.encode_to_vec()), false).unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "invalid argument: tenant_code");
        assert_eq!(reason(&status), "INVALID_ARGUMENT");
        let violations = status.get_details_bad_request().unwrap().field_violations;
        assert_eq!(violations[0].field, "tenant_code");
        assert_eq!(
            violations[0].description,
            "must not contain the control character U+0000"
        );
    }

    #[test]
    fn broken_frames_are_malformed_and_big_ones_too_large() {
        let (plans, login) = login();
        let good = identity::LoginStaffRequest {
            tenant_code: "demo".into(),
            ..Default::default()
        }
        .encode_to_vec();
        assert!(screen(&plans, &login, &frame(&good), false).is_ok());
        let mut two = frame(&good);
        two.extend(frame(&good));
        let mut short = frame(&good);
        short.pop();
        let mut flagged = frame(&good);
        flagged[0] = 2;
        for body in [vec![], vec![0, 0, 0], two, short, flagged] {
            let status = screen(&plans, &login, &body, false).unwrap_err();
            assert_eq!(status.code(), Code::InvalidArgument, "{body:?}");
            assert_eq!(status.message(), MALFORMED);
            assert_eq!(reason(&status), "MALFORMED_MESSAGE");
        }
        let huge = [0, 0x7f, 0xff, 0xff, 0xff];
        let status = screen(&plans, &login, &huge, false).unwrap_err();
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(reason(&status), "MESSAGE_TOO_LARGE");
    }

    #[test]
    fn decoder_faults_leave_as_invalid_argument() {
        let fault = Status::internal(
            "failed to decode Protobuf message: GetProductRequest.product_id: invalid string value",
        )
        .into_http::<Body>();
        let status =
            Status::from_header_map(unmask_decoder_fault(fault, "catalog.siyu").headers()).unwrap();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), MALFORMED);
        // A handler's own internal error is not the client's fault and stays as it is.
        let own = Status::internal("internal error").into_http::<Body>();
        let status =
            Status::from_header_map(unmask_decoder_fault(own, "catalog.siyu").headers()).unwrap();
        assert_eq!(status.code(), Code::Internal);
    }
}
