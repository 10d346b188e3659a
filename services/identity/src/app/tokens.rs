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

crate::app::text_enum! {
    /// Where a signing key is in its lifecycle (PENDING → ACTIVE → RETIRING → RETIRED).
    pub enum KeyStatus {
        /// Published, not signing yet.
        Pending = "PENDING",
        /// Signs new tokens.
        Active = "ACTIVE",
        /// Published until its tokens expire.
        Retiring = "RETIRING",
        /// Gone.
        Retired = "RETIRED",
    }
}

crate::app::text_enum! {
    /// Who a session belongs to: only consumers and staff log in with refresh tokens. Stored
    /// as the tokens' `kind` claim spells it.
    pub enum SubjectKind {
        /// A consumer (user id).
        Consumer = "consumer",
        /// A staff member (staff id).
        Staff = "staff",
    }
}

impl SubjectKind {
    /// The principal kind of the session's tokens.
    pub const fn principal(self) -> PrincipalKind {
        match self {
            Self::Consumer => PrincipalKind::Consumer,
            Self::Staff => PrincipalKind::Staff,
        }
    }
}

/// Compares with the stored text (`consumer`, `staff`).
impl PartialEq<&str> for SubjectKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

crate::app::text_enum! {
    /// What a revocation-feed entry revokes.
    pub enum RevocationKind {
        /// Every token of a session (its `sid`).
        Session = "SESSION",
        /// Every token of a subject issued before the entry (its `sub`).
        Subject = "SUBJECT",
        /// One token (its `jti`).
        Token = "TOKEN",
    }
}
