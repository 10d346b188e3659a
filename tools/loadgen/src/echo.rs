//! The echo service: generated code plus a server that counts what it answered.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

/// Generated messages, client and server for `loadgen.echo.v1`.
#[allow(missing_docs, clippy::all, clippy::pedantic, reason = "generated code")]
pub mod pb {
    tonic::include_proto!("loadgen.echo.v1");
}

/// Echo handler; the counter lets a scenario check that every request arrived exactly once.
#[derive(Debug, Default, Clone)]
pub struct EchoHandler {
    served: Arc<AtomicU64>,
}

/// A running in-process echo server.
#[derive(Debug)]
pub struct EchoServer {
    /// Address it listens on (port chosen by the OS).
    pub addr: SocketAddr,
    served: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
}

#[tonic::async_trait]
impl pb::echo_service_server::EchoService for EchoHandler {
    async fn echo(
        &self,
        request: Request<pb::EchoRequest>,
    ) -> Result<Response<pb::EchoResponse>, Status> {
        self.served.fetch_add(1, Ordering::Relaxed);
        let payload = request.into_inner().payload;
        Ok(Response::new(pb::EchoResponse { payload }))
    }
}

impl EchoServer {
    /// Binds 127.0.0.1:0 and serves on the current runtime until [`EchoServer::stop`].
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Binds `addr` and serves on the current runtime until [`EchoServer::stop`].
    pub async fn start_on(addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        // Nagle would add up to 40 ms to small responses and measure the kernel, not tonic.
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        let handler = EchoHandler::default();
        let served = Arc::clone(&handler.served);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(
            Server::builder()
                .add_service(pb::echo_service_server::EchoServiceServer::new(handler))
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stopped.await;
                }),
        );
        Ok(Self {
            addr,
            served,
            stop: Some(stop),
            task,
        })
    }

    /// Requests answered so far.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// Stops accepting, drains, and waits for the server task.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await??;
        Ok(())
    }
}
