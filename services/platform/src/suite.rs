//! [`Suite`]: the WeChat sandbox, identity, catalog and the gateway started in one process,
//! each on its own listener with real gRPC between them.
//!
//! The suite decides the start order and the wiring (who calls whom at which address); a
//! [`Configure`] decides everything else (databases, caches, buses, limits). `siyu dev`
//! configures SQLite files and `memory://`; the integration tests configure Postgres, Redis
//! and NATS. Either way the services are the real `Application::build` of each crate.

use std::net::SocketAddr;

use anyhow::Context as _;
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wechat_sandbox::{Sandbox, SandboxSettings, SpawnedSandbox};

/// Addresses fixed by the start order, handed to [`Configure`] so each service's defaults can
/// point at the ones started before it.
#[derive(Debug, Clone)]
pub struct Wiring {
    /// Base URL of the running WeChat sandbox.
    pub sandbox_url: String,
    /// Identity's gRPC URL, once identity runs (empty before).
    pub identity_url: String,
    /// Catalog's gRPC URL, once catalog runs (empty before).
    pub catalog_url: String,
    /// The JWKS every token verifier fetches: identity's HTTP `/.well-known/jwks.json` (on its
    /// admin listener), once identity runs (empty before).
    pub jwks_url: String,
}

/// Supplies each service's settings, given what is already running.
pub trait Configure {
    /// Identity's settings (`wiring.sandbox_url` is set).
    fn identity(&self, wiring: &Wiring) -> anyhow::Result<siyu_identity::settings::Settings>;
    /// Catalog's settings (identity runs: `wiring.identity_url` and `jwks_url` are set).
    fn catalog(&self, wiring: &Wiring) -> anyhow::Result<siyu_catalog::settings::Settings>;
    /// The gateway's settings (identity and catalog run).
    fn gateway(&self, wiring: &Wiring) -> anyhow::Result<siyu_gateway::Settings>;
}

/// What the suite does besides starting the services.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// The sandbox's own settings (listen address, apps known from the start).
    pub sandbox: SandboxSettings,
    /// Apply identity's and catalog's migrations first (embedded mode; the tests' databases are
    /// cloned from migrated templates and skip this).
    pub migrate: bool,
    /// Login and password of the platform admin created by the bootstrap (idempotent).
    pub platform_admin: (String, SecretString),
}

/// Every listener of a running suite.
#[derive(Debug, Clone)]
pub struct Addrs {
    /// The WeChat sandbox (protocol endpoints and `/sandbox` control API).
    pub sandbox: SocketAddr,
    /// Identity's gRPC listener.
    pub identity_grpc: SocketAddr,
    /// Catalog's gRPC listener.
    pub catalog_grpc: SocketAddr,
    /// The gateway's REST listener.
    pub gateway_http: SocketAddr,
    /// The gateway's partner gRPC ingress.
    pub gateway_grpc: SocketAddr,
}

/// A running suite; [`Suite::stop`] shuts it down in reverse start order.
pub struct Suite {
    addrs: Addrs,
    wiring: Wiring,
    sandbox: SpawnedSandbox,
    identity: siyu_identity::Application,
    catalog: siyu_catalog::Application,
    gateway_stop: oneshot::Sender<()>,
    gateway: JoinHandle<Result<(), siyu_gateway::GatewayError>>,
}

impl std::fmt::Debug for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suite").field("addrs", &self.addrs).finish()
    }
}

impl Suite {
    /// Starts the sandbox, identity (bootstrapped), catalog and the gateway, in that order.
    pub async fn start(config: &dyn Configure, options: StartOptions) -> anyhow::Result<Self> {
        let sandbox = Sandbox::build(options.sandbox)
            .await
            .context("starting the WeChat sandbox")?
            .spawn();
        let mut wiring = Wiring {
            sandbox_url: sandbox.base_url(),
            identity_url: String::new(),
            catalog_url: String::new(),
            jwks_url: String::new(),
        };

        let identity_settings = config.identity(&wiring).context("identity settings")?;
        if options.migrate {
            let db = siyu_store::db::connect(
                identity_settings.database.url.expose_secret(),
                &siyu_store::DbOptions::default(),
            )
            .await
            .context("identity database")?;
            siyu_store::db::migrate::<siyu_identity::Migrator>(&db)
                .await
                .context("identity migrations")?;
            db.close().await.context("identity database")?;
        }
        let identity = siyu_identity::Application::build(identity_settings)
            .await
            .context("starting identity")?;
        let (login, password) = &options.platform_admin;
        identity
            .app()
            .bootstrap_platform(login, password.expose_secret())
            .await
            .context("bootstrapping the platform tenant")?;
        wiring.identity_url = format!("http://{}", loopback(identity.grpc_addr()));
        wiring.jwks_url = format!(
            "http://{}{}",
            loopback(identity.http_addr()),
            siyu_identity::http::JWKS_PATH
        );

        let catalog_settings = config.catalog(&wiring).context("catalog settings")?;
        if options.migrate {
            siyu_catalog::migrate(&catalog_settings)
                .await
                .context("catalog migrations")?;
        }
        let catalog = siyu_catalog::Application::build(catalog_settings)
            .await
            .context("starting catalog")?;
        wiring.catalog_url = format!("http://{}", loopback(catalog.grpc_addr()));

        let gateway_settings = config.gateway(&wiring).context("gateway settings")?;
        let ip = loopback(gateway_settings.http_addr).ip();
        let gateway = siyu_gateway::Application::build(gateway_settings)
            .await
            .context("starting the gateway")?;
        let addrs = Addrs {
            sandbox: sandbox.addr(),
            identity_grpc: identity.grpc_addr(),
            catalog_grpc: catalog.grpc_addr(),
            gateway_http: SocketAddr::new(ip, gateway.http_port()),
            gateway_grpc: SocketAddr::new(ip, gateway.grpc_port()),
        };
        let (gateway_stop, stopped) = oneshot::channel::<()>();
        let gateway = tokio::spawn(gateway.run_until(async {
            // A dropped sender means the suite is gone: stop as well.
            let _ = stopped.await;
        }));
        Ok(Self {
            addrs,
            wiring,
            sandbox,
            identity,
            catalog,
            gateway_stop,
            gateway,
        })
    }

    /// Every listener.
    pub fn addrs(&self) -> &Addrs {
        &self.addrs
    }

    /// The wiring the services were configured with.
    pub fn wiring(&self) -> &Wiring {
        &self.wiring
    }

    /// `http://<gateway REST>` as a client on this machine reaches it.
    pub fn gateway_url(&self) -> String {
        format!("http://{}", loopback(self.addrs.gateway_http))
    }

    /// `http://<sandbox>`.
    pub fn sandbox_url(&self) -> String {
        self.wiring.sandbox_url.clone()
    }

    /// Identity's domain layer (the platform's bootstrap and tests use it directly).
    pub fn identity(&self) -> &siyu_identity::Application {
        &self.identity
    }

    /// Stops the gateway first (no new requests), then catalog, identity and the sandbox.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.gateway_stop.send(());
        match self.gateway.await {
            Ok(result) => result.context("gateway")?,
            Err(err) => tracing::warn!(error = %err, "gateway task ended abnormally"),
        }
        self.catalog.stop().await.context("catalog")?;
        self.identity.stop().await.context("identity")?;
        self.sandbox.stop().await.context("sandbox")?;
        Ok(())
    }
}

/// The address to call a listener at: `0.0.0.0`/`::` become loopback.
pub fn loopback(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        let ip = if addr.is_ipv4() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST)
        };
        SocketAddr::new(ip, addr.port())
    } else {
        addr
    }
}
