//! Running a server on an ephemeral port in the background of a test.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Resolves when the test asks the server to stop; pass it to the server's graceful shutdown.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Waits until shutdown is requested (or the test's handle is gone).
    pub async fn requested(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// A server started by [`spawn_on_port_0`].
#[derive(Debug)]
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl RunningServer {
    /// `http://<addr>`, for clients.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Asks the server to stop and waits for it; returns the server's own result.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Binds `127.0.0.1:0` and runs `serve(listener, shutdown)` in the background.
pub async fn spawn_on_port_0<F, Fut>(serve: F) -> anyhow::Result<RunningServer>
where
    F: FnOnce(TcpListener, Shutdown) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, rx) = watch::channel(false);
    let task = tokio::spawn(serve(listener, Shutdown(rx)));
    Ok(RunningServer {
        addr,
        stop,
        task: Some(task),
    })
}
