//! Tower layers carrying trace context across gRPC calls: the client layer injects the
//! caller's context into the outgoing metadata, the server layer makes the remote context
//! the parent of the request span.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Request;
use tower::{Layer, Service};
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use super::{extract_headers, inject_context};

/// Opens a `grpc.client` span per outgoing call and sends its context as `traceparent`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientTraceLayer;

/// The service produced by [`ClientTraceLayer`].
#[derive(Debug, Clone)]
pub struct ClientTraceService<S> {
    inner: S,
}

/// Opens a `grpc.server` span per incoming call, child of the caller's `traceparent`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerTraceLayer;

/// The service produced by [`ServerTraceLayer`].
#[derive(Debug, Clone)]
pub struct ServerTraceService<S> {
    inner: S,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S> Layer<S> for ClientTraceLayer {
    type Service = ClientTraceService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClientTraceService { inner }
    }
}

impl<S> Layer<S> for ServerTraceLayer {
    type Service = ServerTraceService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ServerTraceService { inner }
    }
}

impl<S, B> Service<Request<B>> for ClientTraceService<S>
where
    S: Service<Request<B>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let path = request.uri().path().to_owned();
        let span = tracing::info_span!("grpc.client", otel.name = %path, otel.kind = "client", rpc.method = %path);
        inject_context(&span.context(), request.headers_mut());
        Box::pin(self.inner.call(request).instrument(span))
    }
}

impl<S, B> Service<Request<B>> for ServerTraceService<S>
where
    S: Service<Request<B>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let path = request.uri().path();
        let span = tracing::info_span!("grpc.server", otel.name = %path, otel.kind = "server", rpc.method = %path);
        let parent = extract_headers(request.headers());
        // Without a valid remote context the span simply starts a new trace.
        if let Err(err) = span.set_parent(parent) {
            tracing::debug!(error = %err, "cannot attach the remote trace context");
        }
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Box::pin(future.instrument(span))
    }
}
