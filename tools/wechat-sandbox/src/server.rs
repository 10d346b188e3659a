//! Building, binding and running the sandbox HTTP server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::middleware;
use siyu_core::Clock;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::client::SandboxControl;
use crate::clock::SandboxClock;
use crate::error::SandboxError;
use crate::settings::SandboxSettings;
use crate::state::AppState;
use crate::{control, login, pay, request_log};

/// A bound, not yet running sandbox. Build it, read [`Sandbox::addr`], then run or spawn it.
#[derive(Debug)]
pub struct Sandbox {
    listener: TcpListener,
    addr: SocketAddr,
    router: Router,
    clock: SandboxClock,
}

/// A sandbox running on a background task; dropping it stops the server.
#[derive(Debug)]
pub struct SpawnedSandbox {
    addr: SocketAddr,
    clock: SandboxClock,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), SandboxError>>>,
}

impl Sandbox {
    /// Binds a sandbox on `settings.listen` with the wall clock.
    pub async fn build(settings: SandboxSettings) -> Result<Self, SandboxError> {
        Self::build_with_clock(settings, siyu_core::clock::system()).await
    }

    /// Binds a sandbox whose time comes from `clock` (e.g. a `ManualClock` in tests).
    pub async fn build_with_clock(
        settings: SandboxSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SandboxError> {
        settings.validate()?;
        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| SandboxError::Bind {
                    addr: settings.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: settings.listen,
            source,
        })?;
        let clock = SandboxClock::new(clock);
        let router = router(AppState::new(&settings, clock.clone())?);
        Ok(Self {
            listener,
            addr,
            router,
            clock,
        })
    }

    /// The bound address, with the real port when port 0 was asked for.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, the base URL to configure the suite's WeChat connectors with.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The sandbox clock, for in-process tests that prefer it to the control endpoint.
    pub fn clock(&self) -> SandboxClock {
        self.clock.clone()
    }

    /// Serves until the process is interrupted (Ctrl-C / SIGINT).
    pub async fn run_until_stopped(self) -> Result<(), SandboxError> {
        self.run_until(async {
            // If the signal handler cannot be installed, keep serving rather than exit at once.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), SandboxError> {
        tracing::info!(addr = %self.addr, "wechat sandbox listening");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(SandboxError::Serve)
    }

    /// Runs on a background task of the current runtime, so a test can go on calling it.
    pub fn spawn(self) -> SpawnedSandbox {
        let (tx, rx) = oneshot::channel::<()>();
        let addr = self.addr;
        let clock = self.clock.clone();
        let task = tokio::spawn(self.run_until(async {
            // A dropped sender means the owner is gone: stop as well.
            let _ = rx.await;
        }));
        SpawnedSandbox {
            addr,
            clock,
            shutdown: Some(tx),
            task: Some(task),
        }
    }
}

impl SpawnedSandbox {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The sandbox clock.
    pub fn clock(&self) -> SandboxClock {
        self.clock.clone()
    }

    /// A control client for this sandbox.
    pub fn control(&self) -> Result<SandboxControl, SandboxError> {
        SandboxControl::new(self.base_url())
    }

    /// Stops the server and waits for it to drain.
    pub async fn stop(mut self) -> Result<(), SandboxError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for SpawnedSandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The whole HTTP surface: protocol routes (recorded in the request log) plus `/sandbox`.
fn router(state: AppState) -> Router {
    // Only protocol calls are recorded: the log answers "what did the suite call", and the
    // control calls are the test's own.
    let protocol = login::routes()
        .merge(pay::routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_log::record,
        ));
    Router::new()
        .merge(protocol)
        .nest("/sandbox", control::routes())
        .with_state(state)
}
