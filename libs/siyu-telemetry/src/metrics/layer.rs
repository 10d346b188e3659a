//! The server layer recording RED metrics, and the response body that tells when a call
//! really ended and with which `grpc-status`.
//!
//! A gRPC call's status usually arrives in the trailers after the last message, so the
//! response future resolving says nothing yet; the body wrapper watches for the trailers
//! (or the end of a trailers-only response, or a cancelled stream being dropped).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use tower::{Layer, Service};

use super::Metrics;

const CODE_CANCELLED: i32 = 1;
const CODE_UNKNOWN: i32 = 2;

/// Records `grpc_server_requests_total`, `grpc_server_errors_total{code}` and
/// `grpc_server_request_duration_seconds` per method.
#[derive(Debug, Clone)]
pub struct GrpcMetricsLayer {
    metrics: Metrics,
}

/// The service produced by [`GrpcMetricsLayer`].
#[derive(Debug, Clone)]
pub struct GrpcMetricsService<S> {
    inner: S,
    metrics: Metrics,
}

/// A response body that records the call's outcome when it ends.
pub struct MetricsBody<B> {
    inner: Pin<Box<B>>,
    outcome: Option<Outcome>,
}

/// What is needed to record a call once its status is known.
struct Outcome {
    metrics: Metrics,
    method: String,
    started: Instant,
    /// `grpc-status` from the response headers (trailers-only responses, i.e. most errors).
    header_code: Option<i32>,
}

impl GrpcMetricsLayer {
    pub(super) fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

impl<S, B, RB> Service<Request<B>> for GrpcMetricsService<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
    RB: Body,
{
    type Response = Response<MetricsBody<RB>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let started = Instant::now();
        let metrics = self.metrics.clone();
        let method = metrics.started(request.uri().path());
        let future = self.inner.call(request);
        Box::pin(async move {
            match future.await {
                Ok(response) => {
                    let header_code = grpc_status(response.headers());
                    let outcome = Outcome {
                        metrics,
                        method,
                        started,
                        header_code,
                    };
                    Ok(response.map(|body| MetricsBody {
                        inner: Box::pin(body),
                        outcome: Some(outcome),
                    }))
                }
                Err(err) => {
                    metrics.finished(&method, CODE_UNKNOWN, started.elapsed().as_secs_f64());
                    Err(err)
                }
            }
        })
    }
}

impl<B: Body> Body for MetricsBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = this.inner.as_mut().poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_status) {
                    this.finish(code);
                }
            }
            Poll::Ready(Some(Err(_))) => this.finish(CODE_UNKNOWN),
            Poll::Ready(None) => {
                let code = this
                    .outcome
                    .as_ref()
                    .and_then(|o| o.header_code)
                    .unwrap_or(CODE_UNKNOWN);
                this.finish(code);
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> MetricsBody<B> {
    fn finish(&mut self, code: i32) {
        if let Some(outcome) = self.outcome.take() {
            outcome.metrics.finished(
                &outcome.method,
                code,
                outcome.started.elapsed().as_secs_f64(),
            );
        }
    }
}

impl<B> Drop for MetricsBody<B> {
    fn drop(&mut self) {
        // Dropped before the end: a trailers-only response the server never polled (its
        // status is in the headers), or a stream the client cancelled.
        let code = self
            .outcome
            .as_ref()
            .and_then(|o| o.header_code)
            .unwrap_or(CODE_CANCELLED);
        self.finish(code);
    }
}

fn grpc_status(headers: &HeaderMap) -> Option<i32> {
    headers.get("grpc-status")?.to_str().ok()?.parse().ok()
}
