//! How identity's server admits callers. The shared access layer
//! (`siyu_server::AccessLayer`) admits every call by its RPC's `siyu.api.v1.access` before a
//! handler runs; identity gives it its own token check ([`OwnTokens`]: the key ring plus
//! session and client liveness, `app/tokens/authentication.rs`) and its own app table for
//! guests ([`OwnApps`]) instead of asking itself over the network.

use std::sync::Arc;

use siyu_auth::{AuthFuture, Authenticate};
use siyu_server::access::{GuestFuture, GuestTenants};
use tonic::Status;

use crate::app::App;

/// Bearer tokens verified against identity's key ring, refusing revoked sessions and partner
/// token generations (UNAUTHENTICATED TOKEN_REVOKED).
#[derive(Debug, Clone)]
pub struct OwnTokens(pub Arc<App>);

impl Authenticate for OwnTokens {
    fn authenticate<'a>(&'a self, token: &'a str) -> AuthFuture<'a> {
        Box::pin(async move { self.0.authenticate(token).await.map_err(Status::from) })
    }
}

/// Guests' mini-program apps resolved in identity's own app table (disabled apps and
/// suspended tenants are refused as ResolveTenantByAppId refuses them).
#[derive(Debug, Clone)]
pub struct OwnApps(pub Arc<App>);

impl GuestTenants for OwnApps {
    fn tenant_of<'a>(&'a self, app_id: &'a str) -> GuestFuture<'a> {
        Box::pin(async move { Ok(self.0.resolve_app(app_id).await?.tenant.id) })
    }
}
