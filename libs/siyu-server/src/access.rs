//! Access by contract: every call is admitted or refused by its RPC's `siyu.api.v1.access`
//! option before a handler runs ([`AccessLayer`]), and the handler finds who was admitted in
//! the request ([`Caller::of`]).
//!
//! The layer checks what the declaration says and nothing finer: public or not, guests, the
//! kind of caller, a staff role anywhere in the tenant, a partner scope. What depends on the
//! data — the org unit acted on, "self" — stays with the handler, which asks
//! [`siyu_core::Ctx::may_act_on`] with the roles the same declaration names.

mod guests;
mod layer;

use siyu_core::{Ctx, TenantId};
use siyu_proto::contract::MethodContract;
use tonic::Status;

pub use guests::{GuestFuture, GuestTenants, IdentityGuests};
pub use layer::{AccessLayer, AccessService};

/// The metadata key naming the mini-program app of a guest call (set by the gateway from the
/// `X-Siyu-App-Id` header or the `appId` query parameter).
pub const APP_ID: &str = "x-siyu-app-id";

/// Who a call was admitted for.
#[derive(Debug, Clone)]
pub struct Caller {
    ctx: Option<Ctx>,
    guest_tenant: Option<TenantId>,
    method: &'static MethodContract,
}

impl Caller {
    /// The admitted caller of `request` (the access layer put it there).
    ///
    /// Fails with `UNAUTHENTICATED` when there is none: a server without the layer.
    pub fn of<T>(request: &tonic::Request<T>) -> Result<&Caller, Status> {
        request
            .extensions()
            .get::<Caller>()
            .ok_or_else(|| Status::from(siyu_auth::AuthError::MissingToken))
    }

    /// The verified context of a token-bearing call; `UNAUTHENTICATED TOKEN_MISSING` for a
    /// call without a token (public or guest).
    pub fn ctx(&self) -> Result<&Ctx, Status> {
        self.ctx
            .as_ref()
            .ok_or_else(|| Status::from(siyu_auth::AuthError::MissingToken))
    }

    /// The verified context, if the call carried a token.
    pub fn token_ctx(&self) -> Option<&Ctx> {
        self.ctx.as_ref()
    }

    /// The tenant the call acts in: the token's, or for a guest the tenant of the app it
    /// named. `None` for public calls and guests that named no app.
    pub fn tenant(&self) -> Option<TenantId> {
        self.ctx.as_ref().map(|c| c.tenant).or(self.guest_tenant)
    }

    /// The tenant the call acts in, or `INVALID_ARGUMENT APP_ID_REQUIRED` naming
    /// `x-siyu-app-id` for a guest that named no app (a public call has no tenant either).
    pub fn require_tenant(&self) -> Result<TenantId, Status> {
        self.tenant().ok_or_else(|| {
            let service = self.method.rpc.split('.').nth(1).unwrap_or("siyu");
            let mut details = tonic_types::ErrorDetails::with_error_info(
                "APP_ID_REQUIRED",
                format!("{service}.siyu"),
                std::collections::HashMap::new(),
            );
            details.add_bad_request_violation(
                APP_ID,
                "name the mini-program app whose store a guest browses",
            );
            <Status as tonic_types::StatusExt>::with_error_details(
                tonic::Code::InvalidArgument,
                format!("invalid argument: {APP_ID}"),
                details,
            )
        })
    }

    /// The RPC being called, with its declarations.
    pub fn method(&self) -> &'static MethodContract {
        self.method
    }
}
