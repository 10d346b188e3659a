//! Log lines that carry the trace and span id of the span they were written in.
//!
//! The formatter cannot ask the global dispatcher for the OpenTelemetry context (it is
//! called from inside that dispatcher, where `tracing` hands out a no-op one), so a tiny
//! layer keeps a weak handle to the dispatch it was registered with.

use std::fmt;
use std::sync::{Arc, OnceLock};

use opentelemetry::trace::TraceContextExt as _;
use tracing::dispatcher::WeakDispatch;
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::format::{Format, Full, Json, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Records the dispatch the subscriber was installed as; shared with [`TraceIdFormat`].
#[derive(Clone, Default)]
pub(super) struct DispatchSlot(Arc<OnceLock<WeakDispatch>>);

impl<S: Subscriber> Layer<S> for DispatchSlot {
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        // Weak, so the subscriber does not keep itself alive through this slot.
        let _ = self.0.set(subscriber.downgrade());
    }
}

/// Wraps the JSON or text formatter and prefixes `trace_id`/`span_id` when a span is active.
pub(super) struct TraceIdFormat<F> {
    inner: F,
    json: bool,
    dispatch: DispatchSlot,
}

impl TraceIdFormat<Format<Json>> {
    pub(super) fn json(dispatch: DispatchSlot) -> Self {
        let inner = tracing_subscriber::fmt::format()
            .json()
            .with_current_span(true)
            .with_span_list(false);
        Self {
            inner,
            json: true,
            dispatch,
        }
    }
}

impl TraceIdFormat<Format<Full>> {
    pub(super) fn text(dispatch: DispatchSlot) -> Self {
        Self {
            inner: tracing_subscriber::fmt::format().with_ansi(false),
            json: false,
            dispatch,
        }
    }
}

impl<S, N, F> FormatEvent<S, N> for TraceIdFormat<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let ids = self.current_ids(ctx);
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        match ids {
            Some((trace_id, span_id)) if self.json && line.starts_with('{') => {
                write!(
                    writer,
                    "{{\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\",{}",
                    &line[1..]
                )
            }
            Some((trace_id, span_id)) => {
                write!(writer, "trace_id={trace_id} span_id={span_id} {line}")
            }
            None => writer.write_str(&line),
        }
    }
}

impl<F> TraceIdFormat<F> {
    fn current_ids<S, N>(&self, ctx: &FmtContext<'_, S, N>) -> Option<(String, String)>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
        N: for<'a> FormatFields<'a> + 'static,
    {
        let span_id = ctx.event_scope()?.next()?.id();
        let dispatch = self.dispatch.0.get()?.upgrade()?;
        let cx = tracing_opentelemetry::get_otel_context(&span_id, &dispatch)?;
        let span = cx.span();
        let span_context = span.span_context();
        span_context.is_valid().then(|| {
            (
                span_context.trace_id().to_string(),
                span_context.span_id().to_string(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::Mutex;

    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    use tracing_subscriber::fmt::MakeWriter;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn json_lines_carry_the_trace_id_of_the_active_span_only() {
        let provider = SdkTracerProvider::builder().build();
        let captured = Captured::default();
        let slot = DispatchSlot::default();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
            .with(slot.clone())
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .event_format(TraceIdFormat::json(slot))
                    .with_writer(captured.clone()),
            );
        let _default = tracing::subscriber::set_default(subscriber);

        tracing::info!("outside");
        let span = tracing::info_span!("request", order = 7);
        let trace_id = span.context().span().span_context().trace_id().to_string();
        span.in_scope(|| tracing::info!(sku = "A1", "inside"));

        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].get("trace_id").is_none());
        assert_eq!(lines[1]["trace_id"], trace_id.as_str());
        assert_eq!(lines[1]["fields"]["message"], "inside");
        assert_eq!(lines[1]["span"]["order"], 7);
    }
}
