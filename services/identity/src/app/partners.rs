//! Partners: the clients of the open platform (开放平台) — their administration, scopes and IP
//! allow-lists, and secret rotation. Their tokens are issued in `tokens/client_tokens.rs`.

pub mod allow_lists;
pub mod clients;
pub mod secret_rotation;
