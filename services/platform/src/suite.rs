//! [`Suite`]: the WeChat sandbox, every service of the [`registry`](crate::registry) and the
//! gateway started in one process, each on its own listener with real gRPC between them.
//!
//! The suite decides the start order (the registry's) and the wiring (who calls whom at which
//! address); a [`Configure`] decides everything else (databases, caches, buses, limits).
//! `siyu dev` configures SQLite files and `memory://`; the integration tests configure Postgres,
//! Redis and NATS; loadgen scratch Postgres databases. Either way the services are the real
//! `Application::build` of each crate.

mod configure;

use std::net::SocketAddr;

use anyhow::Context as _;
use secrecy::SecretString;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wechat_sandbox::{Sandbox, SandboxSettings, SpawnedSandbox};

pub use configure::{Configure, Overrides, Wiring, load_settings};

use crate::registry::{self, Launch, Running};

/// The gateway's name for [`Configure::overrides`] (`SIYU_GATEWAY__…` settings).
pub const GATEWAY: &str = "gateway";

/// What the suite does besides starting the services.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// The sandbox's own settings (listen address, apps known from the start).
    pub sandbox: SandboxSettings,
    /// Apply every service's migrations first (embedded mode and loadgen; the tests' databases
    /// are cloned from migrated templates and skip this).
    pub migrate: bool,
    /// Login and password of the platform admin created by identity's bootstrap (idempotent).
    pub platform_admin: (String, SecretString),
}

/// Every listener of a running suite.
#[derive(Debug, Clone)]
pub struct Addrs {
    /// The WeChat sandbox (protocol endpoints and `/sandbox` control API).
    pub sandbox: SocketAddr,
    /// Each registered service, in start order.
    pub services: Vec<ServiceAddrs>,
    /// The gateway's REST listener.
    pub gateway_http: SocketAddr,
    /// The gateway's partner gRPC ingress.
    pub gateway_grpc: SocketAddr,
}

/// The listeners of one registered service.
#[derive(Debug, Clone)]
pub struct ServiceAddrs {
    /// Its registry name.
    pub name: &'static str,
    /// Its gRPC listener.
    pub grpc: SocketAddr,
    /// The JWKS document it serves, if it is the one that does.
    pub jwks_url: Option<String>,
}

impl Addrs {
    /// The gRPC listener of `service`, if it runs.
    pub fn grpc(&self, service: &str) -> Option<SocketAddr> {
        self.services
            .iter()
            .find(|s| s.name == service)
            .map(|s| s.grpc)
    }
}

/// A running suite; [`Suite::stop`] shuts it down in reverse start order.
pub struct Suite {
    addrs: Addrs,
    wiring: Wiring,
    sandbox: SpawnedSandbox,
    services: Vec<Running>,
    gateway_stop: oneshot::Sender<()>,
    gateway: JoinHandle<Result<(), siyu_gateway::GatewayError>>,
}

impl std::fmt::Debug for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suite").field("addrs", &self.addrs).finish()
    }
}

impl Suite {
    /// Starts the sandbox, every registered service in order, then the gateway. On failure,
    /// what was started is stopped again.
    pub async fn start(config: &dyn Configure, options: StartOptions) -> anyhow::Result<Self> {
        let sandbox = Sandbox::build(options.sandbox.clone())
            .await
            .context("starting the WeChat sandbox")?
            .spawn();
        let mut wiring = Wiring {
            sandbox_url: sandbox.base_url(),
            service_credentials: Wiring::fresh_service_credentials(),
            ..Wiring::default()
        };
        wiring.gateway_http = match gateway_addr(config, &wiring) {
            Ok(addr) => Some(addr),
            Err(err) => {
                stop_services(Vec::new(), sandbox).await;
                return Err(err);
            }
        };
        let mut services: Vec<Running> = Vec::new();
        let mut addrs = Vec::new();
        let mut started = Ok(());
        for service in registry::SERVICES {
            let launch = Launch::new(service, config, &wiring, &options);
            let running = match (service.start)(launch).await {
                Ok(running) => running,
                Err(err) => {
                    started = Err(err.context(format!("starting {}", service.name)));
                    break;
                }
            };
            let url = format!("http://{}", loopback(running.grpc_addr));
            wiring.services.insert(service.name.to_owned(), url);
            if let Some(jwks) = &running.jwks_url {
                wiring.jwks_url.clone_from(jwks);
            }
            addrs.push(ServiceAddrs {
                name: service.name,
                grpc: running.grpc_addr,
                jwks_url: running.jwks_url.clone(),
            });
            services.push(running);
        }
        let gateway = match started {
            Ok(()) => start_gateway(config, &wiring).await,
            Err(err) => Err(err),
        };
        let (gateway, http, grpc) = match gateway {
            Ok(started) => started,
            Err(err) => {
                stop_services(services, sandbox).await;
                return Err(err);
            }
        };
        let (gateway_stop, stopped) = oneshot::channel::<()>();
        let gateway = tokio::spawn(gateway.run_until(async {
            // A dropped sender means the suite is gone: stop as well.
            let _ = stopped.await;
        }));
        Ok(Self {
            addrs: Addrs {
                sandbox: sandbox.addr(),
                services: addrs,
                gateway_http: http,
                gateway_grpc: grpc,
            },
            wiring,
            sandbox,
            services,
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

    /// `http://<gRPC of service>` as a client on this machine reaches it.
    pub fn grpc_url(&self, service: &str) -> anyhow::Result<String> {
        match self.wiring.url(service) {
            Some(url) => Ok(url.to_owned()),
            None => anyhow::bail!("no service {service} in the suite"),
        }
    }

    /// Stops the gateway first (no new requests), then the services in reverse start order,
    /// then the sandbox; every one is stopped even when another fails, the first error is
    /// returned.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.gateway_stop.send(());
        let mut result = match self.gateway.await {
            Ok(stopped) => stopped.context("gateway"),
            Err(err) => {
                tracing::warn!(error = %err, "gateway task ended abnormally");
                Ok(())
            }
        };
        for (running, addrs) in self.services.into_iter().zip(&self.addrs.services).rev() {
            let stopped = running.stop().await.context(addrs.name);
            result = result.and(stopped);
        }
        result.and(self.sandbox.stop().await.context("sandbox"))
    }
}

/// The gateway on `config`'s settings, with every running service as an upstream and the
/// suite's JWKS; returns it with its REST and partner gRPC addresses.
async fn start_gateway(
    config: &dyn Configure,
    wiring: &Wiring,
) -> anyhow::Result<(siyu_gateway::Application, SocketAddr, SocketAddr)> {
    let mut settings: siyu_gateway::Settings =
        load_settings(GATEWAY, config, wiring, gateway_wiring(wiring))?;
    if let Some(addr) = wiring.gateway_http {
        settings.http_addr = addr;
    }
    let ip = loopback(settings.http_addr).ip();
    let gateway = siyu_gateway::Application::build(settings)
        .await
        .context("starting the gateway")?;
    let http = SocketAddr::new(ip, gateway.http_port());
    let grpc = SocketAddr::new(ip, gateway.grpc_port());
    Ok((gateway, http, grpc))
}

/// Where the gateway's REST listener will be: its configured address, or — configured on port 0
/// (tests) — a port free now, so the services started before it know the gateway's URL.
fn gateway_addr(config: &dyn Configure, wiring: &Wiring) -> anyhow::Result<SocketAddr> {
    let settings: siyu_gateway::Settings =
        load_settings(GATEWAY, config, wiring, gateway_wiring(wiring))?;
    let mut addr = settings.http_addr;
    if addr.port() == 0 {
        let probe = std::net::TcpListener::bind(SocketAddr::new(addr.ip(), 0))
            .context("finding a port for the gateway")?;
        addr.set_port(probe.local_addr()?.port());
    }
    Ok(addr)
}

/// What the gateway takes from the wiring: `upstreams.<name>` for every running service and
/// the JWKS.
fn gateway_wiring(wiring: &Wiring) -> Overrides {
    let mut wired = Overrides::new().with("AUTH__JWKS_URL", &wiring.jwks_url);
    if let Some(credential) = wiring.service_credential(GATEWAY) {
        wired.set("SERVICE_TOKEN__CREDENTIAL", credential);
    }
    for (name, url) in &wiring.services {
        wired.set(format!("UPSTREAMS__{}", name.to_ascii_uppercase()), url);
    }
    wired
}

/// Stops what a failed start left running, newest first; errors are logged, the start's error
/// is the one that matters.
async fn stop_services(services: Vec<Running>, sandbox: SpawnedSandbox) {
    for running in services.into_iter().rev() {
        if let Err(err) = running.stop().await {
            tracing::warn!(error = %err, "stopping after a failed start");
        }
    }
    if let Err(err) = sandbox.stop().await {
        tracing::warn!(error = %err, "stopping the sandbox after a failed start");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateway_gets_every_running_service_as_an_upstream() {
        let wiring = Wiring {
            sandbox_url: "http://127.0.0.1:9400".into(),
            jwks_url: "http://127.0.0.1:9091/.well-known/jwks.json".into(),
            services: [("identity", 50051), ("catalog", 50053)]
                .into_iter()
                .map(|(name, port)| (name.to_owned(), format!("http://127.0.0.1:{port}")))
                .collect(),
            ..Wiring::default()
        };
        let wired = gateway_wiring(&wiring);
        assert_eq!(
            wired.get("UPSTREAMS__CATALOG"),
            Some("http://127.0.0.1:50053")
        );
        assert_eq!(
            wired.get("UPSTREAMS__IDENTITY"),
            Some("http://127.0.0.1:50051")
        );
        assert_eq!(wired.get("AUTH__JWKS_URL"), Some(wiring.jwks_url.as_str()));
    }
}
