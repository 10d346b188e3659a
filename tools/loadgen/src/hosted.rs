//! A service of the suite run in-process for a scenario: migrated onto a scratch database of
//! its own, started on a runtime of its own (scheduled like a separate process, as
//! `grpc-echo`'s server is), stopped and its database dropped `WITH (FORCE)` at the end.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use tokio::runtime::Runtime;
use uuid::Uuid;

use crate::scenarios::pg_insert::with_database;
use crate::scratch::{create_database, drop_database, scratch_pool};
use crate::service::ServiceConfig;

/// The `Settings` (type `$settings`) of a service run in-process: its database at `$url` with a
/// fixed pool of `$pool` connections (all opened before measuring), gRPC and admin on ephemeral
/// ports, defaults otherwise. A macro because every service has a `Settings` type of its own,
/// of the same shape.
#[macro_export]
macro_rules! in_process_settings {
    ($settings:ty, $url:expr, $pool:expr) => {{
        let mut settings = <$settings>::default();
        settings.database = siyu_config::DatabaseSettings::new(&$url);
        settings.database.max_connections = $pool;
        settings.database.min_connections = $pool;
        settings.server.grpc_addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        settings.server.admin_addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        settings
    }};
}

/// What loadgen needs of a service's `Application`.
pub trait Service: Sized + Send + 'static {
    /// The address its gRPC server listens on.
    fn grpc_addr(&self) -> SocketAddr;
    /// Stops it gracefully.
    fn stop(self) -> impl Future<Output = anyhow::Result<()>> + Send;
}

impl Service for siyu_catalog::Application {
    fn grpc_addr(&self) -> SocketAddr {
        siyu_catalog::Application::grpc_addr(self)
    }
    fn stop(self) -> impl Future<Output = anyhow::Result<()>> + Send {
        siyu_catalog::Application::stop(self)
    }
}

impl Service for siyu_membership::Application {
    fn grpc_addr(&self) -> SocketAddr {
        siyu_membership::Application::grpc_addr(self)
    }
    fn stop(self) -> impl Future<Output = anyhow::Result<()>> + Send {
        siyu_membership::Application::stop(self)
    }
}

/// A running service, its runtime and its scratch database.
pub struct Hosted<A: Service> {
    /// loadgen's own pool on the scratch database, for seeding and checks.
    pub db: DatabaseConnection,
    admin_url: String,
    db_name: String,
    runtime: Option<Runtime>,
    app: Option<A>,
}

impl<A: Service> Hosted<A> {
    /// Creates `<name>` databases as `loadgen_<name>_<uuid>`, migrates it with `M`, and starts
    /// `build(database url)` on a runtime of `config.server_threads` threads; on failure
    /// whatever was created is removed again.
    pub async fn start<M, F, Fut>(
        config: &ServiceConfig,
        name: &str,
        build: F,
    ) -> anyhow::Result<Self>
    where
        M: MigratorTrait,
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = anyhow::Result<A>> + Send + 'static,
    {
        let db_name = format!("loadgen_{name}_{}", Uuid::now_v7().simple());
        create_database(&config.database_url, &db_name).await?;
        match Self::start_on::<M, F, Fut>(config, name, &db_name, build).await {
            Ok(hosted) => Ok(hosted),
            Err(e) => {
                // Best effort: the error that matters is the one that stopped the start.
                let _ = drop_database(&config.database_url, &db_name).await;
                Err(e)
            }
        }
    }

    async fn start_on<M, F, Fut>(
        config: &ServiceConfig,
        name: &str,
        db_name: &str,
        build: F,
    ) -> anyhow::Result<Self>
    where
        M: MigratorTrait,
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = anyhow::Result<A>> + Send + 'static,
    {
        let url = with_database(&config.database_url, db_name)?;
        let db = scratch_pool(&url, 4).await?;
        siyu_store::db::migrate::<M>(&db)
            .await
            .with_context(|| format!("{name} migrations"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.server_threads)
            .thread_name(format!("{name}-server"))
            .enable_all()
            .build()
            .with_context(|| format!("starting the {name} service's runtime"))?;
        let app = runtime
            .spawn(build(url))
            .await?
            .with_context(|| format!("starting the {name} service"))?;
        Ok(Self {
            db,
            admin_url: config.database_url.clone(),
            db_name: db_name.to_owned(),
            runtime: Some(runtime),
            app: Some(app),
        })
    }

    /// `http://<its gRPC address>`.
    pub fn target(&self) -> anyhow::Result<String> {
        let app = self.app.as_ref().context("the service was stopped")?;
        Ok(format!("http://{}", app.grpc_addr()))
    }

    /// Stops the service, closes the pool and drops the scratch database.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let stopped = match (self.app.take(), self.runtime.as_ref()) {
            (Some(app), Some(runtime)) => runtime.spawn(app.stop()).await?,
            _ => Ok(()),
        };
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
        let closed = self.db.clone().close().await;
        let dropped = drop_database(&self.admin_url, &self.db_name).await;
        stopped?;
        closed?;
        dropped
    }
}

impl<A: Service> Drop for Hosted<A> {
    fn drop(&mut self) {
        // Dropping a runtime from async code panics; this is the safe way out when `stop`
        // was not called.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
