//! Embedded-mode settings: every service's compiled defaults, then
//! `<data-dir>/config/<service>/default.toml`, then what embedded mode chooses (SQLite files in
//! the data directory, `memory://` cache and bus, the ports) and the suite wires (the sandbox,
//! the JWKS, the gateway's upstreams), then the environment (`SIYU_<SERVICE>__SECTION__KEY`),
//! which wins — so the same binary runs against Postgres, Redis and NATS by setting, e.g.,
//! `SIYU_IDENTITY__DATABASE__URL=postgres://…`.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::registry::{self, ServicePorts};
use crate::suite::{Configure, GATEWAY, Overrides, Wiring};

/// The in-process bus every service shares (`siyu_store::bus`: one broker per URL).
pub const EMBEDDED_BUS: &str = "memory://siyu";

/// Where each listener binds in embedded mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ports {
    /// The gateway's REST/JSON listener.
    pub http: u16,
    /// The gateway's partner gRPC ingress.
    pub ingress: u16,
    /// The WeChat sandbox.
    pub sandbox: u16,
    /// Each registered service's listeners, by name (a service not named binds free ports).
    pub services: BTreeMap<&'static str, ServicePorts>,
}

impl Ports {
    /// The documented local ports (each registry entry's), with the gateway's REST on `http`
    /// and its ingress next to it.
    pub fn standard(http: u16) -> Self {
        Self {
            http,
            ingress: if http == 0 { 0 } else { http.saturating_add(1) },
            sandbox: 9400,
            services: registry::SERVICES
                .iter()
                .map(|s| (s.name, s.ports))
                .collect(),
        }
    }

    /// Every listener on a free port (tests, several instances side by side).
    pub fn ephemeral() -> Self {
        Self {
            http: 0,
            ingress: 0,
            sandbox: 0,
            services: BTreeMap::new(),
        }
    }

    /// The listeners of `service` (free ports when it has none).
    pub fn service(&self, service: &str) -> ServicePorts {
        self.services.get(service).copied().unwrap_or_default()
    }

    /// Moves `service`'s gRPC listener to `port`.
    pub fn set_grpc(&mut self, service: &'static str, port: u16) {
        self.services.entry(service).or_default().grpc = port;
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
    fn sqlite(&self, service: &str) -> String {
        let file = self.data_dir.join(format!("{service}.db"));
        format!("sqlite://{}?mode=rwc", file.display())
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
    fn overrides(&self, service: &str, _wiring: &Wiring) -> anyhow::Result<Overrides> {
        let mut embedded = Overrides::new()
            .with("SERVER__SHUTDOWN_GRACE_SECS", 5)
            .with("CACHE__URL", "memory://");
        if service == GATEWAY {
            embedded
                .set("HTTP_ADDR", local(self.ports.http))
                .set("SERVER__GRPC_ADDR", local(self.ports.ingress))
                .set("SERVER__ADMIN_ADDR", local(0));
        } else {
            let ports = self.ports.service(service);
            embedded
                .set("SERVER__GRPC_ADDR", local(ports.grpc))
                .set("SERVER__ADMIN_ADDR", local(ports.admin))
                .set("DATABASE__URL", self.sqlite(service))
                .set("BUS__URL", EMBEDDED_BUS);
        }
        if service == registry::identity::NAME {
            embedded.set("TOKENS__ENCRYPTION_KEY", &self.encryption_key);
        }
        // The environment wins over everything embedded mode chose.
        embedded.extend(Overrides::from_env(&self.env, service));
        Ok(embedded)
    }

    fn config_dir(&self, service: &str) -> Option<PathBuf> {
        Some(config_dir(&self.data_dir, service))
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;
    use serde::de::DeserializeOwned;
    use siyu_config::Validate;

    use super::*;
    use crate::suite::load_settings;

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

    fn load<S: DeserializeOwned + Validate>(
        config: &EmbeddedConfig,
        service: &str,
    ) -> anyhow::Result<S> {
        let wiring = Wiring {
            sandbox_url: "http://127.0.0.1:9400".into(),
            ..Wiring::default()
        };
        load_settings(service, config, &wiring, Overrides::new())
    }

    #[test]
    fn embedded_defaults_are_sqlite_memory_and_the_documented_ports() {
        let identity: siyu_identity::settings::Settings = load(&config(&[]), "identity").unwrap();
        assert_eq!(
            identity.database.url.expose_secret(),
            "sqlite:///tmp/siyu-config-test/identity.db?mode=rwc"
        );
        assert_eq!(identity.bus.url.expose_secret(), EMBEDDED_BUS);
        assert_eq!(identity.server.grpc_addr.to_string(), "127.0.0.1:50051");
        assert_eq!(identity.server.admin_addr.to_string(), "127.0.0.1:9091");
        let catalog: siyu_catalog::settings::Settings = load(&config(&[]), "catalog").unwrap();
        assert_eq!(catalog.server.grpc_addr.to_string(), "127.0.0.1:50053");
        assert_eq!(catalog.cache.url.expose_secret(), "memory://");
        let gateway: siyu_gateway::Settings = load(&config(&[]), GATEWAY).unwrap();
        assert_eq!(gateway.http_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(gateway.server.grpc_addr.to_string(), "127.0.0.1:8081");
    }

    #[test]
    fn ephemeral_ports_are_free_ports_and_single_ports_move() {
        let mut ports = Ports::ephemeral();
        assert_eq!(ports.service("catalog"), ServicePorts::default());
        ports.set_grpc("catalog", 7000);
        assert_eq!(ports.service("catalog").grpc, 7000);
        let mut standard = Ports::standard(8080);
        standard.set_grpc("identity", 7001);
        assert_eq!(
            standard.service("identity"),
            ServicePorts {
                grpc: 7001,
                admin: 9091
            }
        );
    }

    #[test]
    fn the_environment_wins_and_other_services_keys_are_ignored() {
        let env = [
            (
                "SIYU_CATALOG__DATABASE__URL",
                "postgres://u@db:5432/catalog",
            ),
            ("SIYU_CATALOG__BUS__URL", "nats://nats:4222"),
            ("SIYU_GATEWAY__CACHE__URL", "redis://redis:6379"),
            ("SIYU_IDENTITY__DATABASE__URLL", "typo for another service"),
        ];
        let catalog: siyu_catalog::settings::Settings = load(&config(&env), "catalog").unwrap();
        assert_eq!(
            catalog.database.url.expose_secret(),
            "postgres://u@db:5432/catalog"
        );
        assert_eq!(catalog.bus.url.expose_secret(), "nats://nats:4222");
        let gateway: siyu_gateway::Settings = load(&config(&env), GATEWAY).unwrap();
        assert_eq!(gateway.cache.url.expose_secret(), "redis://redis:6379");
        // A misspelt key fails its own service loudly.
        let identity = load::<siyu_identity::settings::Settings>(&config(&env), "identity");
        assert!(identity.is_err());
    }
}
