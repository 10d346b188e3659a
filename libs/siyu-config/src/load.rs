//! The layered loader: compiled defaults < `default.toml` < `{SIYU_ENV}.toml` < environment.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File};
use serde::de::DeserializeOwned;

use crate::error::ConfigError;
use crate::validate::{Validate, ValidationErrors, Violation, Violations};

/// Where and for whom [`load`] reads settings.
#[derive(Debug, Clone)]
pub struct LoadOptions<'a> {
    /// Service name; selects the `SIYU_<SERVICE>__` variables (`-` becomes `_`).
    pub service: &'a str,
    /// Directory holding `default.toml` and `{env}.toml`.
    pub config_dir: PathBuf,
    /// Environment name; `None` reads `SIYU_ENV` from the environment source.
    pub env: Option<String>,
    /// Environment variables to use instead of the process environment (tests inject here).
    pub env_source: Option<HashMap<String, String>>,
}

impl<'a> LoadOptions<'a> {
    /// Options for `service` reading `config_dir`, with the environment taken from the process.
    pub fn new(service: &'a str, config_dir: impl Into<PathBuf>) -> Self {
        Self {
            service,
            config_dir: config_dir.into(),
            env: None,
            env_source: None,
        }
    }
}

/// Loads, layers and validates settings of type `S`.
///
/// `S` should carry `#[serde(default)]` so keys no layer sets keep their compiled default.
/// Empty environment variables count as unset, as orchestrators often template them empty.
pub fn load<S: DeserializeOwned + Validate>(opts: LoadOptions<'_>) -> Result<S, ConfigError> {
    let vars = opts.env_source.unwrap_or_else(process_env);
    let env_name = opts
        .env
        .or_else(|| vars.get("SIYU_ENV").cloned())
        .filter(|e| !e.is_empty());
    let prefix = format!(
        "SIYU_{}",
        opts.service.to_ascii_uppercase().replace('-', "_")
    );

    let mut builder = Config::builder()
        .add_source(File::from(opts.config_dir.join("default.toml")).required(false));
    if let Some(env) = env_name {
        builder = builder.add_source(File::from(env_file(&opts.config_dir, env)?).required(true));
    }
    let config = builder
        .add_source(
            Environment::with_prefix(&prefix)
                .prefix_separator("__")
                .separator("__")
                .ignore_empty(true)
                .source(Some(service_vars(vars, &prefix))),
        )
        .build()
        .map_err(from_config_error)?;
    let settings: S = config.try_deserialize().map_err(from_config_error)?;

    let mut violations = Violations::new();
    settings.validate(&mut violations);
    violations.into_result().map_err(ConfigError::Invalid)?;
    Ok(settings)
}

/// The single place the process environment is read; everything else gets a map.
fn process_env() -> HashMap<String, String> {
    // `vars_os` rather than `vars`: an unrelated non-UTF-8 variable must not abort start-up.
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

fn env_file(dir: &Path, env: String) -> Result<PathBuf, ConfigError> {
    let plain = env
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !plain {
        return Err(ConfigError::InvalidEnvName(env));
    }
    let path = dir.join(format!("{env}.toml"));
    if path.is_file() {
        Ok(path)
    } else {
        Err(ConfigError::MissingEnvFile { env, path })
    }
}

/// Keeps only this service's variables, so another service's keys never reach the parser.
fn service_vars(vars: HashMap<String, String>, prefix: &str) -> config::Map<String, String> {
    let wanted = format!("{prefix}__").to_ascii_lowercase();
    vars.into_iter()
        .filter(|(k, _)| k.to_ascii_lowercase().starts_with(&wanted))
        .collect()
}

fn from_config_error(e: config::ConfigError) -> ConfigError {
    match e {
        config::ConfigError::FileParse { uri, cause } => {
            let uri = uri.unwrap_or_else(|| "a config file".to_owned());
            ConfigError::Source(format!(
                "{uri}: {}",
                summarize_parse_error(&cause.to_string())
            ))
        }
        config::ConfigError::NotFound(key) => invalid(key, "is required".to_owned()),
        config::ConfigError::At {
            error,
            key: Some(key),
            ..
        } => invalid(key, describe(*error)),
        config::ConfigError::Type {
            key: Some(key),
            unexpected,
            expected,
            ..
        } => invalid(key, type_message(&unexpected.to_string(), expected)),
        other => ConfigError::Source(describe(other)),
    }
}

fn invalid(field: String, message: String) -> ConfigError {
    ConfigError::Invalid(ValidationErrors(vec![Violation { field, message }]))
}

/// The message of an error without the key and origin `config` appends (the field path
/// already says where).
fn describe(e: config::ConfigError) -> String {
    match e {
        config::ConfigError::Type {
            unexpected,
            expected,
            ..
        } => type_message(&unexpected.to_string(), expected),
        config::ConfigError::At { error, .. } => describe(*error),
        other => other.to_string(),
    }
}

/// `config` renders a wrong string as `string "…"`; the value may be a secret typed into
/// the wrong key, so only its kind is reported.
fn type_message(unexpected: &str, expected: &str) -> String {
    let found = if unexpected.starts_with("string ") {
        "a string"
    } else {
        unexpected
    };
    format!("expected {expected}, found {found}")
}

/// TOML errors quote the offending line, which may hold a password: keep the position (first
/// line) and the reason (last line) only.
fn summarize_parse_error(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("parse error");
    match lines.next_back() {
        Some(last) if !last.contains('|') => format!("{first}: {last}"),
        _ => first.to_owned(),
    }
}
