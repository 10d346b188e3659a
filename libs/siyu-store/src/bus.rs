//! The event bus: NATS JetStream (`nats://`) or an in-process broker (`memory://`), chosen by
//! URL, with the same semantics: a stream captures `<prefix>.>`, publishing de-duplicates by
//! message id, durable consumers get at-least-once delivery with explicit acks, and a message
//! that is nak'd or not acked within the ack wait is delivered again.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{Result, StoreError};

mod memory;
mod nats;

/// Header NATS JetStream de-duplicates on; set from [`BusMessage::id`].
pub const MSG_ID_HEADER: &str = "Nats-Msg-Id";

/// A message on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusMessage {
    /// Message id; the bus drops a second message with the same id (within its window).
    pub id: String,
    /// Subject relative to the bus prefix, e.g. `orders.order_paid`.
    pub subject: String,
    /// Envelope headers (event type, tenant, trace context).
    pub headers: BTreeMap<String, String>,
    /// The encoded body.
    pub payload: Vec<u8>,
}

/// Where a bus handle publishes and reads.
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// Prefix of every subject, e.g. `siyu`; the stream captures `<prefix>.>`.
    pub subject_prefix: String,
    /// The stream name, e.g. `SIYU` (no dots or spaces).
    pub stream: String,
    /// How long published ids are remembered for de-duplication.
    pub duplicate_window: Duration,
}

impl BusConfig {
    /// A config with a two-minute de-duplication window.
    pub fn new(subject_prefix: &str, stream: &str) -> Self {
        Self {
            subject_prefix: subject_prefix.to_owned(),
            stream: stream.to_owned(),
            duplicate_window: Duration::from_secs(120),
        }
    }
}

/// A durable consumer: its position survives reconnects and restarts.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// Durable name, e.g. `membership-orders`; subscribers sharing it share the work.
    pub durable: String,
    /// Relative subject filter with NATS wildcards (`orders.>`, `orders.*`); empty = all.
    pub filter: String,
    /// How long a delivery may stay unacked before it is delivered again.
    pub ack_wait: Duration,
    /// Most messages in flight to one subscriber.
    pub batch: usize,
}

impl ConsumerConfig {
    /// A consumer with a 30 s ack wait and batches of 64.
    pub fn new(durable: &str, filter: &str) -> Self {
        Self {
            durable: durable.to_owned(),
            filter: filter.to_owned(),
            ack_wait: Duration::from_secs(30),
            batch: 64,
        }
    }
}

/// What the bus said about a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// True when a message with this id was already stored, and this one was dropped.
    pub duplicate: bool,
}

#[derive(Debug, Clone)]
enum Inner {
    // Boxed behind an Arc: the JetStream context is large and clones of a bus share it.
    Nats(std::sync::Arc<nats::NatsBus>),
    Memory(memory::MemoryBus),
}

/// A bus handle bound to one stream and subject prefix; cheap to clone.
#[derive(Debug, Clone)]
pub struct Bus {
    inner: Inner,
}

impl Bus {
    /// Connects to `nats://…` (ensuring the stream exists) or to the in-process broker named
    /// by `memory://<name>` (handles with the same URL in one process share it).
    #[tracing::instrument(skip_all, fields(stream = %config.stream))]
    pub async fn connect(url: &str, config: BusConfig) -> Result<Self> {
        let inner = if url.starts_with("nats://") || url.starts_with("tls://") {
            Inner::Nats(std::sync::Arc::new(
                nats::NatsBus::connect(url, config).await?,
            ))
        } else if let Some(name) = url.strip_prefix("memory://") {
            Inner::Memory(memory::MemoryBus::connect(name, config))
        } else {
            return Err(StoreError::BadUrl {
                what: "bus",
                reason: "expected nats:// or memory://".into(),
            });
        };
        Ok(Self { inner })
    }

    /// Publishes `message` and waits until the bus has stored it.
    #[tracing::instrument(skip_all, fields(subject = %message.subject, id = %message.id))]
    pub async fn publish(&self, message: BusMessage) -> Result<Published> {
        match &self.inner {
            Inner::Nats(n) => n.publish(message).await,
            Inner::Memory(m) => m.publish(message),
        }
    }

    /// Publishes `messages` in order and waits until the bus has stored all of them; on NATS
    /// they are sent together and acknowledged together (see the outbox relay).
    #[tracing::instrument(skip_all, fields(count = messages.len()))]
    pub async fn publish_all(&self, messages: Vec<BusMessage>) -> Result<Vec<Published>> {
        match &self.inner {
            Inner::Nats(n) => n.publish_all(messages).await,
            Inner::Memory(m) => messages.into_iter().map(|msg| m.publish(msg)).collect(),
        }
    }

    /// Deletes this handle's stream with its messages and consumers (test cleanup, teardown).
    pub async fn delete_stream(&self) -> Result<()> {
        match &self.inner {
            Inner::Nats(n) => n.delete_stream().await,
            Inner::Memory(m) => {
                m.delete_stream();
                Ok(())
            }
        }
    }

    /// Opens (creating if needed) the durable consumer `config.durable`.
    #[tracing::instrument(skip_all, fields(durable = %config.durable))]
    pub async fn subscribe(&self, config: ConsumerConfig) -> Result<Subscription> {
        let inner = match &self.inner {
            Inner::Nats(n) => SubInner::Nats(Box::new(n.subscribe(config).await?)),
            Inner::Memory(m) => SubInner::Memory(m.subscribe(config)),
        };
        Ok(Subscription { inner })
    }
}

enum SubInner {
    Nats(Box<nats::NatsSubscription>),
    Memory(memory::MemorySubscription),
}

/// Deliveries of one durable consumer.
pub struct Subscription {
    inner: SubInner,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Subscription")
    }
}

impl Subscription {
    /// Waits for the next delivery (a new message or a redelivery).
    pub async fn next(&mut self) -> Result<Delivery> {
        match &mut self.inner {
            SubInner::Nats(n) => n.next().await,
            SubInner::Memory(m) => m.next().await,
        }
    }

    /// The next delivery, or `None` if none arrives within `timeout`.
    pub async fn next_within(&mut self, timeout: Duration) -> Result<Option<Delivery>> {
        match tokio::time::timeout(timeout, self.next()).await {
            Ok(delivery) => delivery.map(Some),
            Err(_) => Ok(None),
        }
    }
}

enum Acker {
    Nats(Box<async_nats::jetstream::Message>),
    Memory(memory::MemoryAcker),
}

/// One delivery of a message; ack it once its effect is committed.
pub struct Delivery {
    /// The message.
    pub message: BusMessage,
    /// How many times it has been delivered, this time included (1 = first delivery).
    pub delivered: u64,
    acker: Acker,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("id", &self.message.id)
            .field("delivered", &self.delivered)
            .finish()
    }
}

impl Delivery {
    /// Acknowledges: the message will not be delivered to this consumer again.
    pub async fn ack(self) -> Result<()> {
        match self.acker {
            Acker::Nats(m) => nats::ack(&m).await,
            Acker::Memory(a) => {
                a.ack();
                Ok(())
            }
        }
    }

    /// Refuses: the message is delivered again after `delay` (at once if `None`).
    pub async fn nak(self, delay: Option<Duration>) -> Result<()> {
        match self.acker {
            Acker::Nats(m) => nats::nak(&m, delay).await,
            Acker::Memory(a) => {
                a.nak(delay);
                Ok(())
            }
        }
    }
}

/// NATS subject matching: `*` matches one token, `>` the rest (one or more tokens).
pub(crate) fn subject_matches(filter: &str, subject: &str) -> bool {
    if filter.is_empty() {
        return true;
    }
    let mut subject_tokens = subject.split('.');
    for f in filter.split('.') {
        match (f, subject_tokens.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (f, Some(s)) if f == s => {}
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::subject_matches;

    #[test]
    fn wildcards_follow_nats_rules() {
        assert!(subject_matches("orders.>", "orders.paid"));
        assert!(subject_matches("orders.>", "orders.paid.v1"));
        assert!(!subject_matches("orders.>", "orders"));
        assert!(subject_matches("orders.*", "orders.paid"));
        assert!(!subject_matches("orders.*", "orders.paid.v1"));
        assert!(subject_matches("orders.paid", "orders.paid"));
        assert!(!subject_matches("orders.paid", "orders.cancelled"));
        assert!(!subject_matches("orders.paid", "orders.paid.v1"));
        assert!(subject_matches("", "anything.at.all"));
    }
}
