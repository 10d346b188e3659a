//! The hand-kept route tables the gateway used before routes were derived from the contract,
//! kept for one purpose: the test that proves the derivation reproduces them (with the
//! corrections listed there).

#![allow(dead_code, missing_docs)]

use http::Method;

pub mod catalog;
pub mod identity;

/// Who may call a route; checked by the gateway from the verified token before forwarding.
/// The service still checks fine-grained rules (org scope, "self", platform tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token needed (rate limited per client IP).
    Public,
    /// No token needed, but one that is sent must verify and is forwarded (e.g. an OTP that is
    /// public for login and consumer-only for binding: the service decides by purpose).
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
    /// One line for the OpenAPI document.
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

impl Route {
    fn new(method: Method, path: &'static str, rpc: &'static str, access: Access) -> Self {
        let body = if method == Method::GET || method == Method::DELETE {
            Body::None
        } else {
            Body::All
        };
        let idempotency = if method == Method::POST {
            Idempotency::Replay
        } else {
            Idempotency::Exempt
        };
        Self {
            method,
            path,
            rpc,
            access,
            body,
            idempotency,
            oauth: false,
            summary: "",
        }
    }

    /// A GET route (fields from path and query).
    pub fn get(path: &'static str, rpc: &'static str, access: Access) -> Self {
        Self::new(Method::GET, path, rpc, access)
    }

    /// A POST route (whole body, `Idempotency-Key` required and replayed).
    pub fn post(path: &'static str, rpc: &'static str, access: Access) -> Self {
        Self::new(Method::POST, path, rpc, access)
    }

    /// A PATCH route (whole body, typically with an `update_mask`).
    pub fn patch(path: &'static str, rpc: &'static str, access: Access) -> Self {
        Self::new(Method::PATCH, path, rpc, access)
    }

    /// A DELETE route (fields from path and query).
    pub fn delete(path: &'static str, rpc: &'static str, access: Access) -> Self {
        Self::new(Method::DELETE, path, rpc, access)
    }

    /// Marks a POST as de-duplicated only (see [`Idempotency::Dedupe`]).
    pub fn dedupe(mut self) -> Self {
        self.idempotency = Idempotency::Dedupe;
        self
    }

    /// Marks a POST as read-only (see [`Idempotency::Exempt`]).
    pub fn read_only(mut self) -> Self {
        self.idempotency = Idempotency::Exempt;
        self
    }

    /// Marks an RFC 6749 endpoint (form bodies, Basic client auth, OAuth error bodies).
    pub fn oauth(mut self) -> Self {
        self.oauth = true;
        self
    }

    /// Sets the OpenAPI summary.
    pub fn summary(mut self, summary: &'static str) -> Self {
        self.summary = summary;
        self
    }
}

/// Every REST route of the old tables.
pub fn rest_routes() -> Vec<Route> {
    let mut routes = identity::rest();
    routes.extend(catalog::rest());
    routes
}

/// Every ingress method of the old tables.
pub fn grpc_routes() -> Vec<GrpcRoute> {
    let mut routes = identity::grpc();
    routes.extend(catalog::grpc());
    routes
}
