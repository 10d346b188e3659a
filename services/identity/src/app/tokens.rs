//! Tokens: sessions of consumers and staff with their access and refresh tokens, refresh-token
//! rotation with reuse detection, revocation (logout, session admin, the revocation feed),
//! the signing key ring, partner and service tokens, and introspection.

pub mod authentication;
pub mod client_tokens;
pub mod introspection;
pub mod key_ring;
pub mod logout;
pub mod refresh_grace;
pub mod refresh_rotation;
pub mod revocation_feed;
pub mod service_tokens;
pub mod session_admin;
pub mod sessions;
pub mod signing_keys;

use siyu_core::PrincipalKind;

use crate::repo::tokens::SubjectKind;

impl SubjectKind {
    /// The principal kind of the session's tokens.
    pub const fn principal(self) -> PrincipalKind {
        match self {
            Self::Consumer => PrincipalKind::Consumer,
            Self::Staff => PrincipalKind::Staff,
        }
    }
}
