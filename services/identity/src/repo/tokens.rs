//! Storage of tokens: sessions and hashed refresh tokens, the one-statement refresh rotation,
//! the revocation feed and the signing key table.

pub mod refresh_rotation;
pub mod revocation_feed;
pub mod sessions;
pub mod signing_keys;

crate::repo::text_enum! {
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

crate::repo::text_enum! {
    /// Who a session belongs to: only consumers and staff log in with refresh tokens. Stored
    /// as the tokens' `kind` claim spells it.
    pub enum SubjectKind {
        /// A consumer (user id).
        Consumer = "consumer",
        /// A staff member (staff id).
        Staff = "staff",
    }
}

crate::repo::text_enum! {
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

/// Compares with the stored text (`consumer`, `staff`).
impl PartialEq<&str> for SubjectKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
