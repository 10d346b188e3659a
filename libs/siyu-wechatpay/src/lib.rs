//! The merchant side of WeChat Pay API v3 for a mini-program (JSAPI) store.
//!
//! Two layers:
//! - pure functions a gateway route can call on a raw request: request signing
//!   ([`sign`]), response and callback verification ([`verify`]), `resource` decryption
//!   ([`aead`]), the callback envelope ([`notify`]) and the trade bill parser ([`bill`]);
//! - [`WechatPayClient`], an async client for JSAPI prepay, query, close, refunds and the
//!   trade bill, which signs every request and verifies every 2xx answer.
//!
//! Amounts are integers in fen (`i64`), as on the wire; bills (in yuan) are converted to fen.

pub mod aead;
pub mod bill;
pub mod cert;
pub mod client;
pub mod config;
pub mod error;
pub mod model;
pub mod notify;
pub mod sign;
pub mod verify;

pub use client::WechatPayClient;
pub use config::MerchantConfig;
pub use error::{ApiError, SignatureError, WechatPayError};
pub use verify::PlatformKeys;
