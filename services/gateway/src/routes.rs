//! The route table: which HTTP route calls which gRPC method, who may call it, how the request
//! message is assembled and how `Idempotency-Key` is treated — all derived from the contract.
//!
//! Every RPC states its REST bindings (`option (google.api.http)`) and its access
//! (`option (siyu.api.v1.access)`) in its proto; [`derive`] turns them into [`Route`]s and the
//! partner ingress's [`GrpcRoute`]s once per process. Adding an RPC with a REST route touches
//! its proto and its service, nothing here. [`table::RouteTable`] then checks every route
//! against the descriptors at start-up, so a bad binding stops the gateway instead of failing
//! one request later.

mod derive;
pub mod table;

use http::Method;

pub use derive::{Derived, derived};

/// Who may call a route; checked by the gateway from the verified token before forwarding.
/// The service checks the same declaration again, plus the fine-grained rules (org scope,
/// "self", platform tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token needed (rate limited per client IP).
    Public,
    /// No token needed, but one that is sent must verify and is forwarded (guests browsing a
    /// store, an OTP that is public for login and consumer-only for binding, a challenge
    /// token in the request: the service decides).
    Optional,
    /// A consumer token.
    Consumer,
    /// A staff token holding at least one of the roles (empty: any staff).
    Staff(&'static [&'static str]),
    /// A partner token holding the scope (`None`: any partner).
    Partner(Option<&'static str>),
}

/// How a POST treats `Idempotency-Key` (other methods are idempotent by HTTP semantics and
/// only forward the key when sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// The key is required; the first reply is stored and replayed for retries.
    Replay,
    /// The key is optional and only de-duplicates concurrent duplicates; the reply is never
    /// stored. For logins and token grants (a stored reply would be live tokens at rest in
    /// Redis, and a replay would hand the same tokens to whoever repeats the key) and for
    /// replies carrying one-time secrets.
    Dedupe,
    /// Read-only POSTs (introspection, batch gets): the key is ignored.
    Exempt,
}

/// Where the request message comes from besides the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body: fields not bound by the path come from the query string.
    None,
    /// The whole body is the request message (`body: "*"`); the query string must be empty.
    All,
    /// A PSP callback: the body, byte for byte, into one `bytes` field and named headers into
    /// string fields (see [`RawBinding`]); answered in the protocol's own form.
    Raw(RawBinding),
}

/// How a raw (non-JSON) route builds its request and answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawBinding {
    /// The `bytes` field receiving the body.
    pub body_field: &'static str,
    /// (header, string field) pairs.
    pub headers: &'static [(&'static str, &'static str)],
    /// The protocol the reply follows.
    pub reply: RawReply,
}

/// The reply protocols of raw routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawReply {
    /// WeChat Pay API v3 notifications: 200 with no body on success, otherwise the HTTP status
    /// of the error with `{"code":"FAIL","message":…}` so that WeChat retries.
    WechatPayV3,
}

/// One REST route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path template: literal segments and `{field}` segments bound to request fields
    /// (dotted for nested fields, e.g. `{org_unit.org_unit_id}`).
    pub path: &'static str,
    /// The gRPC method, `package.Service/Method`.
    pub rpc: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Body mapping.
    pub body: Body,
    /// `Idempotency-Key` handling (POST only).
    pub idempotency: Idempotency,
    /// Also accepts `application/x-www-form-urlencoded` bodies and HTTP Basic client
    /// authentication (RFC 6749 token endpoints), and answers errors in RFC 6749 §5.2 form.
    pub oauth: bool,
    /// One line for the OpenAPI document: the first sentence of the RPC's comment.
    pub summary: &'static str,
}

/// One method partners may call through the gRPC ingress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrpcRoute {
    /// The gRPC method, `package.Service/Method`.
    pub rpc: &'static str,
    /// The scope the partner token must hold (`None`: any partner).
    pub scope: Option<&'static str>,
}

/// Every REST route the contract declares (empty if the contract cannot be read, which
/// start-up reports through [`derived`]).
pub fn rest_routes() -> Vec<Route> {
    derived().map(|d| d.rest.clone()).unwrap_or_default()
}

/// Every method partners may call through the gRPC ingress: those whose access admits
/// partners.
pub fn grpc_routes() -> Vec<GrpcRoute> {
    derived().map(|d| d.grpc.clone()).unwrap_or_default()
}

/// The upstream (a key of `Settings::upstreams`) serving `rpc`: the service segment of
/// `siyu.<service>.v1`, except packages deployed inside another service.
pub fn upstream_of(rpc: &str) -> Option<&str> {
    let mut parts = rpc.split('.');
    let (Some("siyu"), Some(service), Some("v1")) = (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    // Payments live in the orders deployment (one database, one state machine).
    Some(if service == "payments" {
        "orders"
    } else {
        service
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_come_from_the_package() {
        assert_eq!(
            upstream_of("siyu.identity.v1.TokenService/GetJwks"),
            Some("identity")
        );
        assert_eq!(
            upstream_of("siyu.payments.v1.PaymentService/Pay"),
            Some("orders")
        );
        assert_eq!(upstream_of("grpc.health.v1.Health/Check"), None);
    }
}
