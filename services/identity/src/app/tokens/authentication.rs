//! How identity authenticates a bearer token: against its own signing key ring (not an HTTP
//! JWKS — identity is where that JWKS comes from), then against what the signature cannot
//! know: a session token's session must still be live, a partner token's client still ACTIVE
//! and of the same token generation. Logout, staff disable and `revoke_tokens` therefore take
//! effect at identity at once; other services deny such tokens through the revocation feed.

use siyu_core::{Ctx, PrincipalKind};

use crate::app::App;
use crate::app::tokens::sessions::sid_of;
use crate::error::AppError;

impl App {
    /// The context `token` grants: `Auth` errors for a token that does not verify,
    /// `TokenRevoked` for one whose session or client generation was revoked.
    pub async fn authenticate(&self, token: &str) -> Result<Ctx, AppError> {
        let claims = self.keys.verify(token).await?;
        let ctx = claims.to_ctx()?;
        let live = match ctx.principal.kind {
            PrincipalKind::Consumer | PrincipalKind::Staff => match sid_of(&claims.jti) {
                Some(sid) => self.session_is_live(ctx.tenant, sid).await?,
                // Session tokens always carry their session; one without is not ours.
                None => false,
            },
            PrincipalKind::Partner => self.partner_token_live(&claims).await?,
            PrincipalKind::Service => true,
        };
        if live {
            Ok(ctx)
        } else {
            Err(AppError::TokenRevoked)
        }
    }
}
