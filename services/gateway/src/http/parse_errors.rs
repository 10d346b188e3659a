//! Requests hyper cannot parse (a URL over 64 KiB, header fields too large, a malformed
//! request line) are refused by hyper itself, before any handler, with a bare status line and
//! no body. [`ProblemListener`] wraps each accepted connection so that such a refusal leaves
//! as an `application/problem+json` document like every other gateway error.
//!
//! Hyper answers a parse error with a head-only response and then closes the connection, so
//! rewriting that one write is safe: nothing follows it. Every response the gateway itself
//! renders carries a `content-type`, so none is mistaken for one of these.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Hyper's automatic refusals: (status line, reason, detail).
const REFUSALS: [(&[u8], &str, &str); 3] = [
    (
        b"HTTP/1.1 414 URI Too Long\r\n",
        "URI_TOO_LONG",
        "the request URI is too long",
    ),
    (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
        "HEADERS_TOO_LARGE",
        "the request headers are too large",
    ),
    (
        b"HTTP/1.1 400 Bad Request\r\n",
        "MALFORMED_REQUEST",
        "the request is not valid HTTP",
    ),
];

/// The REST listener: a TCP listener whose connections set `TCP_NODELAY` (a reply's last small
/// segment must not wait for the client's delayed ACK) and render hyper's parse refusals as
/// problems.
#[derive(Debug)]
pub struct ProblemListener(pub TcpListener);

/// The peer address of a REST connection (axum's `ConnectInfo` for [`ProblemListener`]).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl Listener for ProblemListener {
    type Io = ProblemIo<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = Listener::accept(&mut self.0).await;
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
        (ProblemIo::new(stream), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, ProblemListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, ProblemListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

/// A connection whose bare parse-error responses are rewritten as problems.
#[derive(Debug)]
pub struct ProblemIo<T> {
    inner: T,
    /// Bytes of a rewritten response not yet written.
    pending: Vec<u8>,
}

impl<T> ProblemIo<T> {
    /// Wraps an accepted connection.
    pub(crate) fn new(inner: T) -> Self {
        Self {
            inner,
            pending: Vec::new(),
        }
    }
}

/// The problem response replacing `head`, if `head` is one of hyper's bare refusals.
fn rewrite(head: &[u8]) -> Option<Vec<u8>> {
    let (_, reason, detail) = REFUSALS.iter().find(|(line, ..)| head.starts_with(line))?;
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let bare = text.ends_with("\r\n\r\n") && !text.contains("content-type:");
    if !bare {
        return None;
    }
    let status = &head[9..12];
    let status = String::from_utf8_lossy(status);
    let body = serde_json::json!({
        "type": format!("urn:siyu:problem:{reason}"),
        "title": detail,
        "status": status.parse::<u16>().unwrap_or(400),
        "detail": detail,
        "reason": reason,
    })
    .to_string();
    let line =
        String::from_utf8_lossy(&head[..head.iter().position(|b| *b == b'\r')?]).into_owned();
    Some(
        format!(
            "{line}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl<T: AsyncWrite + Unpin> ProblemIo<T> {
    /// Writes what is pending; ready once nothing is.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let n = std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ProblemIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ProblemIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.drain(cx))?;
        if let Some(problem) = rewrite(buf) {
            // Hyper's whole head counts as written; the problem replaces it.
            self.pending = problem;
            return match self.drain(cx) {
                Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
                _ => Poll::Ready(Ok(buf.len())),
            };
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    // Not vectored: hyper then writes each head in one buffer, which `rewrite` can see whole.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bare_refusals_are_rewritten() {
        let bare = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let problem = String::from_utf8(rewrite(bare).unwrap()).unwrap();
        assert!(problem.starts_with("HTTP/1.1 414 URI Too Long\r\n"));
        assert!(problem.contains("application/problem+json"));
        assert!(problem.contains("\"reason\":\"URI_TOO_LONG\""));
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\n\r\n";
        assert!(rewrite(ours).is_none());
        assert!(rewrite(b"HTTP/1.1 200 OK\r\n\r\n").is_none());
    }
}
