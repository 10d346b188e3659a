//! The one error type of this crate: what can stop the gateway from starting.
//!
//! Request-time failures are not errors of this kind: they become a [`crate::problem::Problem`]
//! answered to the caller.

/// Why the gateway could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Settings are unusable (bad URL, missing upstream, impossible limits).
    #[error("invalid gateway settings: {0}")]
    Settings(String),
    /// A route names a method, field or message the embedded descriptors do not have.
    #[error("invalid route table: {0}")]
    RouteTable(String),
    /// The embedded descriptor set cannot be decoded.
    #[error("cannot load the descriptor set: {0}")]
    Descriptors(#[from] prost_reflect::DescriptorError),
    /// The cache could not be reached.
    #[error("cache: {0}")]
    Cache(#[from] siyu_store::StoreError),
    /// The token verifier could not be configured.
    #[error("auth: {0}")]
    Auth(#[from] siyu_auth::AuthError),
    /// A listener could not be bound or a server failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}
