//! The services of the suite, in start order: one [`Service`] entry each, in
//! `registry/<name>.rs`, listed once in [`SERVICES`].
//!
//! `siyu dev`, the integration tests and loadgen all start what is listed here: an entry knows
//! its name, its documented local ports, its migrations, how to start it from its layered
//! settings, and the demo data it seeds. Its gRPC URL is wired into every service started
//! after it and into the gateway (`upstreams.<name>`); the sandbox and the gateway frame the
//! list and are not entries.

pub mod catalog;
pub mod content;
pub mod identity;
pub mod membership;
pub mod orders;

use std::net::SocketAddr;

use anyhow::Context as _;
use futures::future::BoxFuture;
use sea_orm_migration::MigratorTrait;
use secrecy::{ExposeSecret as _, SecretString};
use serde::de::DeserializeOwned;
use siyu_config::Validate;
use siyu_store::StoreError;
use siyu_store::provision::TempDatabase;

use crate::seed::Seed;
use crate::suite::{Configure, Overrides, StartOptions, Wiring, load_settings};

/// Every service of the suite, in start order (a service may call those before it).
pub static SERVICES: &[Service] = &[
    identity::SERVICE, // first: every other service verifies tokens against its JWKS
    catalog::SERVICE,
    membership::SERVICE,
    orders::SERVICE, // calls identity, catalog and membership
    content::SERVICE,
];

/// One service of the suite.
pub struct Service {
    /// Lower-case name: `SIYU_<NAME>__…` settings, `<name>.db` in embedded mode, the gateway's
    /// `upstreams.<name>`, the key of the wiring.
    pub name: &'static str,
    /// Where `siyu dev` binds it by default.
    pub ports: ServicePorts,
    /// Its database migrations.
    pub migrations: Migrations,
    /// Loads its settings, migrates when asked, and starts it.
    pub start: for<'a> fn(Launch<'a>) -> BoxFuture<'a, anyhow::Result<Running>>,
    /// The demo data `siyu dev` seeds through its contract, if any.
    pub seed: Option<&'static dyn Seed>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("name", &self.name).finish()
    }
}

/// A service's two listeners.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServicePorts {
    /// gRPC.
    pub grpc: u16,
    /// The admin listener (`/metrics`, health; identity's also serves the JWKS).
    pub admin: u16,
}

type Migrate = for<'a> fn(&'a SecretString) -> BoxFuture<'a, anyhow::Result<()>>;
type Provision = fn(String) -> BoxFuture<'static, Result<TempDatabase, StoreError>>;

/// A service's sea-orm migrator, held as a value so the registry can list services of
/// different migrator types.
#[derive(Clone, Copy)]
pub struct Migrations {
    migrate: Migrate,
    provision: Provision,
}

impl std::fmt::Debug for Migrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Migrations")
    }
}

impl Migrations {
    /// The migrations of `M`.
    pub const fn of<M: MigratorTrait>() -> Self {
        Self {
            migrate: migrate::<M>,
            provision: provision::<M>,
        }
    }

    /// Applies them to the database at `url`.
    pub async fn apply(&self, url: &SecretString) -> anyhow::Result<()> {
        (self.migrate)(url).await
    }

    /// A fresh Postgres database on the server of `admin_url`, cloned from a template migrated
    /// once per test binary (`siyu_store::provision`): what the test harness runs each service
    /// on.
    pub fn temp_postgres(
        &self,
        admin_url: String,
    ) -> BoxFuture<'static, Result<TempDatabase, StoreError>> {
        (self.provision)(admin_url)
    }
}

fn migrate<M: MigratorTrait>(url: &SecretString) -> BoxFuture<'_, anyhow::Result<()>> {
    Box::pin(async move {
        let options = siyu_store::DbOptions::default();
        let db = siyu_store::db::connect(url.expose_secret(), &options).await?;
        let migrated = siyu_store::db::migrate::<M>(&db).await;
        let closed = db.close().await;
        migrated?;
        Ok(closed?)
    })
}

fn provision<M: MigratorTrait>(
    admin_url: String,
) -> BoxFuture<'static, Result<TempDatabase, StoreError>> {
    Box::pin(async move { TempDatabase::postgres::<M>(&admin_url).await })
}

/// What a [`Service::start`] gets: the suite's configuration, what runs already, and the
/// start options.
pub struct Launch<'a> {
    /// The service being started.
    pub service: &'static Service,
    /// What runs already (the sandbox, the JWKS, the services before this one).
    pub wiring: &'a Wiring,
    /// The suite's start options.
    pub options: &'a StartOptions,
    config: &'a dyn Configure,
}

impl<'a> Launch<'a> {
    pub(crate) fn new(
        service: &'static Service,
        config: &'a dyn Configure,
        wiring: &'a Wiring,
        options: &'a StartOptions,
    ) -> Self {
        Self {
            service,
            wiring,
            options,
            config,
        }
    }

    /// The service's settings: compiled defaults < config files < `wired` (what this service
    /// takes from the wiring) < the suite's [`Configure`] overrides.
    pub fn settings<S: DeserializeOwned + Validate>(&self, wired: Overrides) -> anyhow::Result<S> {
        load_settings(self.service.name, self.config, self.wiring, wired)
    }

    /// Applies the service's migrations to `url` when the suite was asked to (embedded mode and
    /// loadgen; the tests' databases are clones of migrated templates).
    pub async fn migrate(&self, url: &SecretString) -> anyhow::Result<()> {
        if !self.options.migrate {
            return Ok(());
        }
        let name = self.service.name;
        self.service
            .migrations
            .apply(url)
            .await
            .with_context(|| format!("{name} migrations"))
    }
}

/// A started service.
pub struct Running {
    /// Where its gRPC listens.
    pub grpc_addr: SocketAddr,
    /// The JWKS document it serves, for every token verifier started after it (identity's).
    pub jwks_url: Option<String>,
    stop: StopFn,
}

/// `Sync` as well as `Send`: a [`crate::Suite`] holding it is shared by loadgen's workers.
type StopFn = Box<dyn FnOnce() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("grpc_addr", &self.grpc_addr)
            .field("jwks_url", &self.jwks_url)
            .finish()
    }
}

impl Running {
    /// A service listening on `grpc_addr`; `stop`, called by [`Running::stop`], drains and
    /// stops it.
    pub fn new<F, Fut>(grpc_addr: SocketAddr, stop: F) -> Self
    where
        F: FnOnce() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        Self {
            grpc_addr,
            jwks_url: None,
            stop: Box::new(move || Box::pin(stop())),
        }
    }

    /// The same, serving the suite's JWKS at `url`.
    pub fn with_jwks(self, url: String) -> Self {
        Self {
            jwks_url: Some(url),
            ..self
        }
    }

    /// Stops it gracefully.
    pub async fn stop(self) -> anyhow::Result<()> {
        (self.stop)().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lower_case_words() {
        for (i, service) in SERVICES.iter().enumerate() {
            assert!(
                service
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_'),
                "{service:?}: the name is a settings prefix, a file name and a map key"
            );
            assert!(SERVICES[..i].iter().all(|s| s.name != service.name));
            assert_ne!(service.name, crate::suite::GATEWAY);
        }
        assert_eq!(SERVICES[0].name, identity::NAME);
    }
}
