//! Layered, typed, validated settings for Siyu services.
//!
//! Every service owns one `Settings` type that derives `Deserialize` (with `#[serde(default)]`
//! so compiled defaults come from its `Default`), implements [`Validate`], and composes the
//! building-block sections in [`sections`]. [`load`] layers, lowest first:
//!
//! 1. compiled defaults (the type's `Default`, through `#[serde(default)]`);
//! 2. `{config_dir}/default.toml` (optional);
//! 3. `{config_dir}/{SIYU_ENV}.toml` (required once an environment is named);
//! 4. environment variables `SIYU_<SVC>__SECTION__KEY` (`__` separates levels).
//!
//! The result is validated, collecting every violation with its field path, and
//! [`effective_config_for_log`] renders it for the start-up log with secrets masked.

mod error;
mod load;
mod mask;
pub mod sections;
mod validate;

pub use error::ConfigError;
pub use load::{LoadOptions, load};
pub use mask::{effective_config_for_log, mask_url, serialize_masked_url, serialize_redacted};
pub use sections::{AuthSettings, BusSettings, CacheSettings, DatabaseSettings, ServerSettings};
pub use validate::{Validate, ValidationErrors, Violation, Violations, require_scheme};
