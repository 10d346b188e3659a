//! The one error type of this crate.

use std::path::PathBuf;

use crate::validate::ValidationErrors;

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `SIYU_ENV` names no usable file: it must be a plain lowercase word so it cannot walk
    /// out of the config directory.
    #[error("invalid SIYU_ENV {0:?}: use lowercase letters, digits, '-' or '_'")]
    InvalidEnvName(String),
    /// An environment was named but its file is missing; falling back silently could point a
    /// production process at development defaults.
    #[error("SIYU_ENV={env} but {} does not exist", path.display())]
    MissingEnvFile {
        /// The environment name.
        env: String,
        /// The file that was expected.
        path: PathBuf,
    },
    /// A file could not be read or parsed.
    #[error("cannot read configuration: {0}")]
    Source(String),
    /// Values were read but are wrong: every violation, each with its field path.
    #[error("invalid configuration: {0}")]
    Invalid(ValidationErrors),
}
