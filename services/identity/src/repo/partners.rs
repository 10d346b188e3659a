//! Storage of partner clients: the clients with their hashed secrets, limits and token
//! generation.

pub mod clients;

crate::repo::text_enum! {
    /// Whether a partner client may obtain tokens.
    pub enum PartnerStatus {
        /// May obtain tokens.
        Active = "ACTIVE",
        /// Revoked for good: its tokens are refused and no new ones are issued.
        Revoked = "REVOKED",
    }
}
