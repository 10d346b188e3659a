//! [`Authenticate`]: how a service turns a bearer token into the [`Ctx`] of a call.
//!
//! Most services verify against identity's JWKS ([`JwksVerifier`]); identity itself verifies
//! against its own key ring and also refuses tokens of revoked sessions. The shared access
//! layer only needs this one method, whichever it is.

use std::future::Future;
use std::pin::Pin;

use siyu_core::Ctx;
use tonic::Status;

use crate::verifier::JwksVerifier;

/// The future [`Authenticate::authenticate`] returns.
pub type AuthFuture<'a> = Pin<Box<dyn Future<Output = Result<Ctx, Status>> + Send + 'a>>;

/// Verifies a bearer token and builds the context it grants; refusals are statuses with the
/// reason a client acts on (`TOKEN_EXPIRED`, `TOKEN_REVOKED`, …).
pub trait Authenticate: Send + Sync + 'static {
    /// The context `token` grants, or why it grants none.
    fn authenticate<'a>(&'a self, token: &'a str) -> AuthFuture<'a>;
}

impl Authenticate for JwksVerifier {
    fn authenticate<'a>(&'a self, token: &'a str) -> AuthFuture<'a> {
        Box::pin(async move { self.verify_ctx(token).await.map_err(Status::from) })
    }
}
