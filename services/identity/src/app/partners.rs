//! Partners: the clients of the open platform (开放平台) — their administration, scopes and IP
//! allow-lists, and secret rotation. Their tokens are issued in `tokens/client_tokens.rs`.

pub mod allow_lists;
pub mod clients;
pub mod secret_rotation;

crate::app::text_enum! {
    /// Whether a partner client may obtain tokens.
    pub enum PartnerStatus {
        /// May obtain tokens.
        Active = "ACTIVE",
        /// Revoked for good: its tokens are refused and no new ones are issued.
        Revoked = "REVOKED",
    }
}
