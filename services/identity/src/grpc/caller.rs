//! [`Caller`]: the admitted caller of a token-bearing call as handlers use it.

use siyu_core::{Ctx, PrincipalKind, TenantId};
use tonic::Status;

use crate::app::tokens::sessions::sid_of;

/// The admitted caller of a token-bearing call, as handlers use it: the verified context and
/// the session of its token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The verified context.
    pub ctx: Ctx,
    /// The session of the token (consumer and staff tokens).
    pub sid: Option<String>,
}

impl Caller {
    /// The caller the access layer admitted for `request`; UNAUTHENTICATED TOKEN_MISSING when
    /// the call carried no token (a guest or a call with a credential in the request).
    pub fn of<T>(request: &tonic::Request<T>) -> Result<Self, Status> {
        let ctx = siyu_server::Caller::of(request)?.ctx()?.clone();
        Ok(Self::from(ctx))
    }

    /// The caller of a call whose token is optional (guests, credentials in the request).
    pub fn optional<T>(request: &tonic::Request<T>) -> Result<Option<Self>, Status> {
        let caller = siyu_server::Caller::of(request)?;
        Ok(caller.token_ctx().cloned().map(Self::from))
    }

    /// The tenant the call acts in.
    pub fn tenant(&self) -> TenantId {
        self.ctx.tenant
    }

    /// (kind, id) of the actor for audit entries.
    pub fn actor(&self) -> (&'static str, &str) {
        (
            crate::app::kind_name(self.ctx.principal.kind),
            &self.ctx.principal.subject,
        )
    }
}

impl From<Ctx> for Caller {
    fn from(ctx: Ctx) -> Self {
        let sid = match ctx.principal.kind {
            PrincipalKind::Consumer | PrincipalKind::Staff => ctx
                .principal
                .token_id
                .as_deref()
                .and_then(sid_of)
                .map(str::to_owned),
            PrincipalKind::Partner | PrincipalKind::Service => None,
        };
        Self { ctx, sid }
    }
}

/// (kind, id) of the caller as owned strings, for effects that outlive the request borrow.
pub fn owned_actor(caller: &Caller) -> (String, String) {
    let (kind, id) = caller.actor();
    (kind.to_owned(), id.to_owned())
}
