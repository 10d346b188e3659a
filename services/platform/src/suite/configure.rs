//! The one shape in which `siyu dev`, the integration tests and loadgen configure the suite: a
//! [`Configure`] answers, for a service name and the [`Wiring`] so far, the settings it
//! overrides as `SECTION__KEY` → value — the keys `SIYU_<SERVICE>__SECTION__KEY` takes, so
//! every override goes through the service's own layered, validated loader.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::de::DeserializeOwned;
use siyu_config::{LoadOptions, Validate};

/// What the services started so far make reachable, in start order.
#[derive(Debug, Clone, Default)]
pub struct Wiring {
    /// Base URL of the running WeChat sandbox.
    pub sandbox_url: String,
    /// The JWKS every token verifier fetches (identity's HTTP `/.well-known/jwks.json`), once
    /// the service that serves it runs (empty before).
    pub jwks_url: String,
    /// gRPC URL of every service running so far, by registry name; the gateway gets each as
    /// `upstreams.<name>`.
    pub services: BTreeMap<String, String>,
    /// A credential per service that calls others as a service (orders; the gateway for PSP
    /// callbacks), made fresh by each start of the suite: identity is configured with their
    /// hashes, each service with its own secret.
    pub service_credentials: BTreeMap<String, String>,
    /// Where the gateway's REST listener will be, decided before any service starts: services
    /// that hand out URLs of the gateway (orders' WeChat Pay notify URL) need it first.
    pub gateway_http: Option<std::net::SocketAddr>,
}

impl Wiring {
    /// The services that call others with a service token, and whether identity may issue
    /// them a platform-tenant token (the gateway forwarding PSP callbacks).
    pub const SERVICE_CLIENTS: [(&'static str, bool); 2] = [("orders", false), ("gateway", true)];

    /// Fresh random credentials for [`Wiring::SERVICE_CLIENTS`].
    pub fn fresh_service_credentials() -> BTreeMap<String, String> {
        use rand::Rng as _;
        Self::SERVICE_CLIENTS
            .iter()
            .map(|(name, _)| {
                let bytes: [u8; 32] = rand::rng().random();
                let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                ((*name).to_owned(), secret)
            })
            .collect()
    }

    /// `http://<gateway REST>` as a client on this machine reaches it, once decided.
    pub fn gateway_url(&self) -> Option<String> {
        self.gateway_http
            .map(|a| format!("http://{}", super::loopback(a)))
    }

    /// The credential of `service`, if the suite made one.
    pub fn service_credential(&self, service: &str) -> Option<&str> {
        self.service_credentials.get(service).map(String::as_str)
    }

    /// The gRPC URL of `service`, if it runs already.
    pub fn url(&self, service: &str) -> Option<&str> {
        self.services.get(service).map(String::as_str)
    }
}

/// Setting overrides of one service: `SECTION__KEY` (e.g. `DATABASE__URL`,
/// `STAFF_AUTH__ARGON2_MEMORY_KIB`) → value. Later insertions win.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Overrides(BTreeMap<String, String>);

impl std::fmt::Debug for Overrides {
    // Values are database URLs, keys and passwords: only the keys are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Overrides {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` (`SECTION__KEY`) to `value`.
    pub fn set(&mut self, key: impl Into<String>, value: impl std::fmt::Display) -> &mut Self {
        self.0.insert(key.into(), value.to_string());
        self
    }

    /// `self` with `key` set to `value`.
    pub fn with(mut self, key: impl Into<String>, value: impl std::fmt::Display) -> Self {
        self.set(key, value);
        self
    }

    /// Adds every override of `other`, which wins over what `self` has.
    pub fn extend(&mut self, other: Overrides) -> &mut Self {
        self.0.extend(other.0);
        self
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The overrides of `service` in an environment map: `SIYU_<SERVICE>__` variables with that
    /// prefix taken off (another service's variables are not this one's business).
    pub fn from_env<'a>(
        env: impl IntoIterator<Item = (&'a String, &'a String)>,
        service: &str,
    ) -> Self {
        let prefix = env_prefix(service);
        Self(
            env.into_iter()
                .filter_map(|(key, value)| {
                    let key = key.strip_prefix(&prefix)?;
                    Some((key.to_owned(), value.clone()))
                })
                .collect(),
        )
    }
}

/// Supplies each service's settings overrides, given what is already running.
///
/// `service` is a registry name ([`crate::registry::SERVICES`]) or [`crate::suite::GATEWAY`].
/// The suite layers, lowest first: the service's compiled defaults, the files of
/// [`Configure::config_dir`], what the suite wires itself (the sandbox URL, the JWKS URL, the
/// gateway's upstreams), then these overrides.
pub trait Configure: Sync {
    /// Overrides of `service`'s settings (databases, caches, buses, listeners, limits, and
    /// any service-specific knob such as identity's `STAFF_AUTH__ARGON2_MEMORY_KIB`).
    fn overrides(&self, service: &str, wiring: &Wiring) -> anyhow::Result<Overrides>;

    /// A directory whose `default.toml`, if present, is a layer under the overrides; none by
    /// default.
    fn config_dir(&self, _service: &str) -> Option<PathBuf> {
        None
    }
}

/// `SIYU_<SERVICE>__`, as `siyu-config` selects a service's variables.
fn env_prefix(service: &str) -> String {
    format!("SIYU_{}__", service.to_ascii_uppercase().replace('-', "_"))
}

/// A directory nothing can be in (`/dev/null` is not a directory): `siyu_config::load` always
/// looks for `default.toml`, and without a configured directory it must find none — not one
/// that happens to lie in the working directory.
const NO_FILES: &str = "/dev/null";

/// Loads `service`'s settings `S` through `siyu_config::load`: compiled defaults < the files
/// of the configured directory < `wired` < the [`Configure`]'s overrides; validated.
pub fn load_settings<S: DeserializeOwned + Validate>(
    service: &str,
    config: &dyn Configure,
    wiring: &Wiring,
    wired: Overrides,
) -> anyhow::Result<S> {
    let mut layers = wired;
    layers.extend(
        config
            .overrides(service, wiring)
            .with_context(|| format!("{service} settings"))?,
    );
    let prefix = env_prefix(service);
    let vars = layers
        .0
        .into_iter()
        .map(|(key, value)| (format!("{prefix}{key}"), value))
        .collect();
    let config_dir = config
        .config_dir(service)
        .unwrap_or_else(|| Path::new(NO_FILES).to_path_buf());
    let options = LoadOptions {
        service,
        config_dir,
        // `SIYU_ENV` names deployment files; the suite has one layer of files at most.
        env: Some(String::new()),
        env_source: Some(vars),
    };
    siyu_config::load(options).with_context(|| format!("{service} settings"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_from_the_environment_keep_their_own_service_only() {
        let env: BTreeMap<String, String> = [
            ("SIYU_CATALOG__DATABASE__URL", "postgres://db/catalog"),
            ("SIYU_CATALOGUE__DATABASE__URL", "another service"),
            ("SIYU_IDENTITY__BUS__URL", "nats://nats:4222"),
            ("PATH", "/usr/bin"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let catalog = Overrides::from_env(&env, "catalog");
        assert_eq!(
            catalog,
            Overrides::new().with("DATABASE__URL", "postgres://db/catalog")
        );
    }

    #[test]
    fn later_overrides_win_and_debug_shows_no_values() {
        let mut layers = Overrides::new().with("DATABASE__URL", "sqlite://a.db");
        layers.extend(Overrides::new().with("DATABASE__URL", "postgres://u:secret@db/x"));
        assert_eq!(
            layers.get("DATABASE__URL"),
            Some("postgres://u:secret@db/x")
        );
        assert!(!format!("{layers:?}").contains("secret"));
    }
}
