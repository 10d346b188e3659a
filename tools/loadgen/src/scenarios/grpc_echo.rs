//! `grpc-echo`: unary RPCs to a bare tonic echo server; the ceiling for one gRPC hop that
//! gateway-to-service scenarios are reported against.

use anyhow::{Context as _, bail, ensure};
use async_trait::async_trait;
use tokio::runtime::Runtime;
use tonic::transport::{Channel, Endpoint};

use crate::echo::EchoServer;
use crate::echo::pb::EchoRequest;
use crate::echo::pb::echo_service_client::EchoServiceClient;
use crate::options::{OptionSpec, ScenarioOptions};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "grpc-echo",
    description: "unary gRPC echo to a bare tonic server (reference for one gRPC hop)",
    reference: None,
    options: &[
        OptionSpec {
            name: "target",
            help: "external echo server URL (http://host:port); default: start one in-process",
            default: None,
        },
        OptionSpec {
            name: "payload-bytes",
            help: "request payload size",
            default: Some("64"),
        },
        OptionSpec {
            name: "connections",
            help: "HTTP/2 connections shared round-robin by the workers",
            default: Some("1"),
        },
        OptionSpec {
            name: "server-threads",
            help: "worker threads of the in-process server's own runtime",
            default: Some("1"),
        },
    ],
    build,
};

/// Upper bound that keeps a typo from allocating gigabytes per worker.
const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;

struct GrpcEcho {
    target: Option<String>,
    payload_bytes: usize,
    connections: usize,
    server_threads: usize,
    server: Option<LocalServer>,
    channels: Vec<Channel>,
}

/// The in-process server on a runtime of its own, so it is scheduled like a separate
/// process rather than interleaved with the client's tasks.
struct LocalServer {
    runtime: Option<Runtime>,
    server: Option<EchoServer>,
}

struct EchoWorker {
    client: EchoServiceClient<Channel>,
    payload: Vec<u8>,
}

fn build(options: &ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>> {
    let payload_bytes = options.parse_or("payload-bytes", 64usize)?;
    ensure!(
        payload_bytes <= MAX_PAYLOAD_BYTES,
        "--payload-bytes must be at most {MAX_PAYLOAD_BYTES}"
    );
    let connections = options.parse_or("connections", 1usize)?;
    ensure!(connections >= 1, "--connections must be at least 1");
    let server_threads = options.parse_or("server-threads", 1usize)?;
    ensure!(server_threads >= 1, "--server-threads must be at least 1");
    let target = options.get("target").map(str::to_owned);
    if let Some(t) = &target {
        ensure!(
            t.starts_with("http://") || t.starts_with("https://"),
            "--target must be an http:// or https:// URL"
        );
    }
    Ok(Box::new(GrpcEcho {
        target,
        payload_bytes,
        connections,
        server_threads,
        server: None,
        channels: Vec::new(),
    }))
}

#[async_trait]
impl Scenario for GrpcEcho {
    async fn setup(&mut self, _ctx: &SetupContext) -> anyhow::Result<()> {
        let url = match &self.target {
            Some(url) => url.clone(),
            None => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(self.server_threads)
                    .thread_name("echo-server")
                    .enable_all()
                    .build()
                    .context("starting the echo server's runtime")?;
                let server = runtime.spawn(EchoServer::start()).await??;
                let url = format!("http://{}", server.addr);
                self.server = Some(LocalServer {
                    runtime: Some(runtime),
                    server: Some(server),
                });
                url
            }
        };
        for _ in 0..self.connections {
            let channel = Endpoint::from_shared(url.clone())?
                .tcp_nodelay(true)
                .connect()
                .await
                .with_context(|| format!("connecting to {url}"))?;
            self.channels.push(channel);
        }
        Ok(())
    }

    async fn worker(&self, index: usize) -> anyhow::Result<Box<dyn Worker>> {
        let Some(channel) = self.channels.get(index % self.channels.len().max(1)) else {
            bail!("setup opened no connection");
        };
        // Distinct bytes per worker so a mixed-up response would be caught by the op's check.
        let fill = u8::try_from(index % 251).unwrap_or(0);
        Ok(Box::new(EchoWorker {
            client: EchoServiceClient::new(channel.clone()),
            payload: vec![fill; self.payload_bytes],
        }))
    }

    async fn check(&self, outcome: &Outcome) -> anyhow::Result<Invariant> {
        let Some(served) = self
            .server
            .as_ref()
            .and_then(|s| s.server.as_ref())
            .map(EchoServer::served)
        else {
            return Ok(Invariant::not_checked(
                "external target: server-side count unavailable",
            ));
        };
        // A failed call may or may not have reached the server; a successful one must have,
        // exactly once.
        let (ok, errors) = (outcome.ok_total, outcome.errors_total);
        let holds = served >= ok && served <= ok + errors;
        Ok(Invariant::expect(
            holds,
            format!("server answered {served}, client ok {ok} (+{errors} errors)"),
        ))
    }

    async fn teardown(&mut self) -> anyhow::Result<()> {
        self.channels.clear();
        if let Some(mut local) = self.server.take() {
            local.stop().await?;
        }
        Ok(())
    }
}

impl LocalServer {
    async fn stop(&mut self) -> anyhow::Result<()> {
        let result = match (self.server.take(), self.runtime.as_ref()) {
            (Some(server), Some(runtime)) => runtime.spawn(server.stop()).await?,
            _ => Ok(()),
        };
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
        result
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        // Dropping a runtime from async code panics; shutting it down in the background is
        // the one safe way out when teardown was skipped.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[async_trait]
impl Worker for EchoWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        let response = self
            .client
            .echo(EchoRequest {
                payload: self.payload.clone(),
            })
            .await?;
        ensure!(
            response.get_ref().payload == self.payload,
            "echo returned a different payload"
        );
        Ok(())
    }
}
