//! Process-wide initialization.

use siyu_telemetry::{TelemetryError, TelemetrySettings, init};

#[tokio::test]
async fn init_twice_returns_an_error_instead_of_panicking() {
    let mut settings = TelemetrySettings::new("test");
    settings.log_filter = "warn".into();
    let first = init(&settings).unwrap();
    assert!(matches!(
        init(&settings),
        Err(TelemetryError::AlreadyInitialized)
    ));
    drop(first);
}

#[test]
fn a_bad_filter_is_reported() {
    let mut settings = TelemetrySettings::new("test");
    settings.log_filter = "=[=".into();
    // Either this call fails on the filter, or another test in this process initialized
    // first; neither may panic.
    assert!(init(&settings).is_err());
}

#[test]
fn settings_have_defaults() {
    let settings: TelemetrySettings = serde_json::from_str(r#"{"service_name":"orders"}"#).unwrap();
    assert_eq!(settings, TelemetrySettings::new("orders"));
    assert!(settings.json);
    assert_eq!(settings.admin_addr.port(), 9090);
}

#[test]
fn event_envelopes_carry_the_current_trace() {
    use std::collections::HashMap;

    use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    let _default = tracing::subscriber::set_default(subscriber);

    let span = tracing::info_span!("order.paid");
    let trace_id = span.context().span().span_context().trace_id();
    let mut envelope = HashMap::new();
    span.in_scope(|| siyu_telemetry::inject_into(&mut envelope));
    assert!(envelope.contains_key("traceparent"));

    let consumer = tracing::info_span!("points.earn");
    consumer
        .set_parent(siyu_telemetry::extract_from(&envelope))
        .unwrap();
    assert_eq!(
        consumer.context().span().span_context().trace_id(),
        trace_id
    );
}
