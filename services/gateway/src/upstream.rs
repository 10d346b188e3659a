//! The services behind the gateway: one lazily connected tonic `Channel` per upstream, with
//! the client trace layer so every forwarded call carries `traceparent`.

pub mod codec;
pub mod service_token;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use siyu_telemetry::{ClientTraceLayer, ClientTraceService};
use tonic::client::Grpc;
use tonic::transport::{Channel, Endpoint};
use tower::Layer as _;

use crate::error::GatewayError;

pub use self::codec::BytesCodec;
pub use self::service_token::ServiceTokens;

/// How long establishing a connection to a service may take before the call fails UNAVAILABLE.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A channel to one service, tracing each call.
pub type UpstreamChannel = ClientTraceService<Channel>;

/// Channels by upstream name (`identity`, `catalog`, …).
#[derive(Debug, Clone, Default)]
pub struct Upstreams {
    channels: HashMap<String, UpstreamChannel>,
}

impl Upstreams {
    /// Channels for every configured upstream; connections are opened on first use, so the
    /// gateway starts (and reports not ready) while a service is still starting.
    pub fn connect_lazy(urls: &BTreeMap<String, String>) -> Result<Self, GatewayError> {
        let mut channels = HashMap::with_capacity(urls.len());
        for (name, url) in urls {
            let endpoint = Endpoint::from_shared(url.clone())
                .map_err(|err| GatewayError::Settings(format!("upstreams.{name}: {err}")))?
                .connect_timeout(CONNECT_TIMEOUT)
                .http2_keep_alive_interval(Duration::from_secs(30))
                .keep_alive_while_idle(true);
            let channel = ClientTraceLayer.layer(endpoint.connect_lazy());
            channels.insert(name.clone(), channel);
        }
        Ok(Self { channels })
    }

    /// A gRPC client on the upstream `name`, if configured.
    pub fn client(&self, name: &str) -> Option<Grpc<UpstreamChannel>> {
        self.channels.get(name).cloned().map(Grpc::new)
    }

    /// Whether `name` is configured.
    pub fn has(&self, name: &str) -> bool {
        self.channels.contains_key(name)
    }
}
