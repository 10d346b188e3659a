//! The gRPC layers over real HTTP/2: RED metrics and trace-context propagation, using the
//! standard health service as the server under test.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use siyu_telemetry::{AdminServer, ClientTraceLayer, Metrics, Readiness, ServerTraceLayer};
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tower::ServiceBuilder;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::admin::metrics_containing;

const CHECK: &str = "/grpc.health.v1.Health/Check";

/// Serves the health service behind the server layers on 127.0.0.1:0. `seen` receives the
/// trace id current inside the server layers for every call.
async fn serve(metrics: &Metrics, seen: Arc<Mutex<Vec<String>>>) -> SocketAddr {
    let (_reporter, health) = tonic_health::server::health_reporter();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let layers = ServiceBuilder::new()
        .layer(ServerTraceLayer)
        .layer(metrics.grpc_layer())
        .map_request(move |request: http::Request<tonic::body::Body>| {
            let cx = tracing::Span::current().context();
            seen.lock()
                .unwrap()
                .push(cx.span().span_context().trace_id().to_string());
            request
        });
    let server = tonic::transport::Server::builder()
        .layer(layers)
        .add_service(health);
    tokio::spawn(async move {
        server
            .serve_with_incoming(TcpIncoming::from(listener))
            .await
            .unwrap();
    });
    addr
}

async fn client(
    addr: SocketAddr,
) -> HealthClient<siyu_telemetry::ClientTraceService<tonic::transport::Channel>> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    HealthClient::new(
        ServiceBuilder::new()
            .layer(ClientTraceLayer)
            .service(channel),
    )
}

#[tokio::test]
async fn red_metrics_count_requests_errors_and_durations_per_method() {
    let metrics = Metrics::new("health").unwrap();
    let addr = serve(&metrics, Arc::default()).await;
    let admin = AdminServer::start(
        "127.0.0.1:0".parse().unwrap(),
        metrics.clone(),
        Readiness::default(),
    )
    .await
    .unwrap();
    let mut client = client(addr).await;

    for _ in 0..2 {
        client
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap();
    }
    let err = client
        .check(HealthCheckRequest {
            service: "no.such.Service".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);

    let text = metrics_containing(
        admin.local_addr(),
        &[
            &format!(r#"grpc_server_requests_total{{method="{CHECK}",service="health"}} 3"#),
            &format!(r#"grpc_server_errors_total{{code="NOT_FOUND",method="{CHECK}",service="health"}} 1"#),
            &format!(r#"grpc_server_request_duration_seconds_count{{method="{CHECK}",service="health"}} 3"#),
        ],
    )
    .await;
    assert!(
        !text.contains(r#"code="OK""#),
        "successes are not errors:\n{text}"
    );
}

#[tokio::test]
async fn the_server_span_continues_the_clients_trace() {
    // A thread-local subscriber: the current-thread runtime polls the client, the server and
    // their connection tasks all on this thread.
    let provider = SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    let _default = tracing::subscriber::set_default(subscriber);

    let seen = Arc::new(Mutex::new(Vec::new()));
    let addr = serve(&Metrics::new("health").unwrap(), Arc::clone(&seen)).await;
    let mut client = client(addr).await;

    let mut expected = Vec::new();
    for call in 0..2 {
        let root = tracing::info_span!("checkout", call);
        expected.push(root.context().span().span_context().trace_id().to_string());
        client
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .instrument(root)
            .await
            .unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    assert_ne!(
        expected[0], expected[1],
        "each root span starts its own trace"
    );
    assert_eq!(seen, expected, "the server saw the callers' trace ids");
}

#[tokio::test]
async fn without_a_caller_context_the_server_starts_a_new_trace() {
    let provider = SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    let _default = tracing::subscriber::set_default(subscriber);

    let seen = Arc::new(Mutex::new(Vec::new()));
    let addr = serve(&Metrics::new("health").unwrap(), Arc::clone(&seen)).await;
    // A plain client: no traceparent is sent.
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_ne!(seen[0], opentelemetry::trace::TraceId::INVALID.to_string());
}
