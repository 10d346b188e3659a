//! Embedded-mode settings: every service's compiled defaults, then what embedded mode wires
//! (SQLite files in the data directory, `memory://` cache and bus, the sandbox, the ports),
//! then `<data-dir>/config/<service>/default.toml`, then the environment
//! (`SIYU_<SERVICE>__SECTION__KEY`), which wins — so the same binary runs against Postgres,
//! Redis and NATS by setting, e.g., `SIYU_IDENTITY__DATABASE__URL=postgres://…`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::de::DeserializeOwned;
use siyu_config::{LoadOptions, Validate};

use crate::suite::{Configure, Wiring};

/// The in-process bus every service shares (`siyu_store::bus`: one broker per URL).
pub const EMBEDDED_BUS: &str = "memory://siyu";

/// Where each listener binds in embedded mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// The gateway's REST/JSON listener.
    pub http: u16,
    /// The gateway's partner gRPC ingress.
    pub ingress: u16,
    /// The WeChat sandbox.
    pub sandbox: u16,
    /// Identity's gRPC.
    pub identity: u16,
    /// Identity's HTTP listener (the JWKS document, liveness).
    pub identity_http: u16,
    /// Catalog's gRPC.
    pub catalog: u16,
    /// Catalog's admin listener (`/metrics`, health).
    pub catalog_admin: u16,
}

impl Ports {
    /// The documented local ports, with the gateway's REST on `http` and its ingress next to it.
    pub fn standard(http: u16) -> Self {
        Self {
            http,
            ingress: if http == 0 { 0 } else { http.saturating_add(1) },
            sandbox: 9400,
            identity: 50051,
            identity_http: 9091,
            catalog: 50053,
            catalog_admin: 9093,
        }
    }

    /// Every listener on a free port (tests, several instances side by side).
    pub fn ephemeral() -> Self {
        Self {
            http: 0,
            ingress: 0,
            sandbox: 0,
            identity: 0,
            identity_http: 0,
            catalog: 0,
            catalog_admin: 0,
        }
    }
}

/// The [`Configure`] of `siyu dev`.
#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// Absolute data directory (SQLite files, secrets, seed record, optional config files).
    pub data_dir: PathBuf,
    /// Listener ports.
    pub ports: Ports,
    /// Identity's `tokens.encryption_key`, generated on first start.
    pub encryption_key: String,
    /// The environment (`SIYU_<SERVICE>__…` variables override the embedded defaults).
    pub env: HashMap<String, String>,
}

impl EmbeddedConfig {
    fn sqlite(&self, name: &str) -> String {
        format!("sqlite://{}?mode=rwc", self.data_dir.join(name).display())
    }

    fn load<S: DeserializeOwned + Validate>(
        &self,
        service: &str,
        embedded: &[(&str, String)],
    ) -> anyhow::Result<S> {
        let prefix = format!("SIYU_{}__", service.to_ascii_uppercase());
        let mut vars: HashMap<String, String> = embedded
            .iter()
            .map(|(key, value)| (format!("{prefix}{key}"), value.clone()))
            .collect();
        vars.extend(
            self.env
                .iter()
                .filter(|(key, _)| key.starts_with(&prefix))
                .map(|(key, value)| (key.clone(), value.clone())),
        );
        let options = LoadOptions {
            service,
            config_dir: config_dir(&self.data_dir, service),
            // `SIYU_ENV` names deployment files; embedded mode has one layer of files only.
            env: Some(String::new()),
            env_source: Some(vars),
        };
        siyu_config::load(options).with_context(|| format!("{service} settings"))
    }
}

/// `<data-dir>/config/<service>`, where an optional `default.toml` adds a file layer.
pub fn config_dir(data_dir: &Path, service: &str) -> PathBuf {
    data_dir.join("config").join(service)
}

fn local(port: u16) -> String {
    SocketAddr::from(([127, 0, 0, 1], port)).to_string()
}

impl Configure for EmbeddedConfig {
    fn identity(&self, wiring: &Wiring) -> anyhow::Result<siyu_identity::settings::Settings> {
        self.load(
            "identity",
            &[
                ("SERVER__GRPC_ADDR", local(self.ports.identity)),
                ("SERVER__ADMIN_ADDR", local(self.ports.identity_http)),
                ("SERVER__SHUTDOWN_GRACE_SECS", "5".to_owned()),
                ("DATABASE__URL", self.sqlite("identity.db")),
                ("CACHE__URL", "memory://".to_owned()),
                ("BUS__URL", EMBEDDED_BUS.to_owned()),
                ("TOKENS__ENCRYPTION_KEY", self.encryption_key.clone()),
                ("WECHAT__API_BASE_URL", wiring.sandbox_url.clone()),
            ],
        )
    }

    fn catalog(&self, wiring: &Wiring) -> anyhow::Result<siyu_catalog::settings::Settings> {
        self.load(
            "catalog",
            &[
                ("SERVER__GRPC_ADDR", local(self.ports.catalog)),
                ("SERVER__ADMIN_ADDR", local(self.ports.catalog_admin)),
                ("SERVER__SHUTDOWN_GRACE_SECS", "5".to_owned()),
                ("DATABASE__URL", self.sqlite("catalog.db")),
                ("CACHE__URL", "memory://".to_owned()),
                ("BUS__URL", EMBEDDED_BUS.to_owned()),
                ("AUTH__JWKS_URL", wiring.jwks_url.clone()),
            ],
        )
    }

    fn gateway(&self, wiring: &Wiring) -> anyhow::Result<siyu_gateway::Settings> {
        self.load(
            "gateway",
            &[
                ("HTTP_ADDR", local(self.ports.http)),
                ("SERVER__GRPC_ADDR", local(self.ports.ingress)),
                ("SERVER__ADMIN_ADDR", local(0)),
                ("SERVER__SHUTDOWN_GRACE_SECS", "5".to_owned()),
                ("UPSTREAMS__IDENTITY", wiring.identity_url.clone()),
                ("UPSTREAMS__CATALOG", wiring.catalog_url.clone()),
                ("CACHE__URL", "memory://".to_owned()),
                ("AUTH__JWKS_URL", wiring.jwks_url.clone()),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(env: &[(&str, &str)]) -> EmbeddedConfig {
        EmbeddedConfig {
            data_dir: PathBuf::from("/tmp/siyu-config-test"),
            ports: Ports::standard(8080),
            encryption_key: crate::dev::files::new_encryption_key().unwrap(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn wiring() -> Wiring {
        Wiring {
            sandbox_url: "http://127.0.0.1:9400".into(),
            identity_url: "http://127.0.0.1:50051".into(),
            catalog_url: "http://127.0.0.1:50053".into(),
            jwks_url: "http://127.0.0.1:9091/.well-known/jwks.json".into(),
        }
    }

    #[test]
    fn embedded_defaults_are_sqlite_and_memory() {
        use secrecy::ExposeSecret as _;
        let identity = config(&[]).identity(&wiring()).unwrap();
        assert_eq!(
            identity.database.url.expose_secret(),
            "sqlite:///tmp/siyu-config-test/identity.db?mode=rwc"
        );
        assert_eq!(identity.bus.url.expose_secret(), EMBEDDED_BUS);
        assert_eq!(identity.wechat.api_base_url, "http://127.0.0.1:9400");
        let gateway = config(&[]).gateway(&wiring()).unwrap();
        assert_eq!(gateway.upstreams["catalog"], "http://127.0.0.1:50053");
        assert_eq!(gateway.auth.jwks_url, wiring().jwks_url);
    }

    #[test]
    fn the_environment_wins_and_other_services_keys_are_ignored() {
        use secrecy::ExposeSecret as _;
        let env = [
            (
                "SIYU_CATALOG__DATABASE__URL",
                "postgres://u@db:5432/catalog",
            ),
            ("SIYU_CATALOG__BUS__URL", "nats://nats:4222"),
            ("SIYU_GATEWAY__CACHE__URL", "redis://redis:6379"),
            ("SIYU_IDENTITY__DATABASE__URLL", "typo for another service"),
        ];
        let catalog = config(&env).catalog(&wiring()).unwrap();
        assert_eq!(
            catalog.database.url.expose_secret(),
            "postgres://u@db:5432/catalog"
        );
        assert_eq!(catalog.bus.url.expose_secret(), "nats://nats:4222");
        let gateway = config(&env).gateway(&wiring()).unwrap();
        assert_eq!(gateway.cache.url.expose_secret(), "redis://redis:6379");
        // A misspelt key fails its own service loudly.
        assert!(config(&env).identity(&wiring()).is_err());
    }
}
