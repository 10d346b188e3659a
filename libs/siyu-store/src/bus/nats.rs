//! The NATS JetStream backend.

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::pull, stream};
use futures::StreamExt;

use super::{BusConfig, BusMessage, ConsumerConfig, Delivery, MSG_ID_HEADER, Published};
use crate::error::{Result, StoreError};

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable {
        backend: "bus",
        message: e.to_string(),
    }
}

fn bus_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Bus(e.to_string())
}

/// A JetStream context bound to one stream.
#[derive(Debug, Clone)]
pub(crate) struct NatsBus {
    js: jetstream::Context,
    prefix: String,
    stream: String,
}

impl NatsBus {
    pub(crate) async fn connect(url: &str, config: BusConfig) -> Result<Self> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(unavailable)?;
        let js = jetstream::new(client);
        js.get_or_create_stream(stream::Config {
            name: config.stream.clone(),
            subjects: vec![format!("{}.>", config.subject_prefix)],
            duplicate_window: config.duplicate_window,
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(bus_err)?;
        Ok(Self {
            js,
            prefix: config.subject_prefix,
            stream: config.stream,
        })
    }

    pub(crate) async fn publish(&self, message: BusMessage) -> Result<Published> {
        let ack = self.send(message).await?.await.map_err(unavailable)?;
        Ok(Published {
            duplicate: ack.duplicate,
        })
    }

    /// Sends every message before waiting for any acknowledgement: one round trip to the
    /// server for the batch instead of one per message. Sent in order on one connection, so
    /// the stream stores them in order.
    pub(crate) async fn publish_all(&self, messages: Vec<BusMessage>) -> Result<Vec<Published>> {
        let mut pending = Vec::with_capacity(messages.len());
        for message in messages {
            pending.push(self.send(message).await?);
        }
        let mut published = Vec::with_capacity(pending.len());
        for ack in pending {
            let ack = ack.await.map_err(unavailable)?;
            published.push(Published {
                duplicate: ack.duplicate,
            });
        }
        Ok(published)
    }

    /// Sends one message; the returned future resolves to the stream's acknowledgement.
    async fn send(&self, message: BusMessage) -> Result<jetstream::context::PublishAckFuture> {
        let mut publish = jetstream::message::PublishMessage::build()
            .message_id(&message.id)
            .payload(message.payload.into());
        for (name, value) in message.headers {
            publish = publish.header(name.as_str(), value.as_str());
        }
        self.js
            .send_publish(format!("{}.{}", self.prefix, message.subject), publish)
            .await
            .map_err(unavailable)
    }

    pub(crate) async fn delete_stream(&self) -> Result<()> {
        self.js
            .delete_stream(&self.stream)
            .await
            .map(|_| ())
            .map_err(bus_err)
    }

    pub(crate) async fn subscribe(&self, config: ConsumerConfig) -> Result<NatsSubscription> {
        let stream = self.js.get_stream(&self.stream).await.map_err(bus_err)?;
        let filter_subject = if config.filter.is_empty() {
            String::new()
        } else {
            format!("{}.{}", self.prefix, config.filter)
        };
        let consumer: jetstream::consumer::Consumer<pull::Config> = stream
            .get_or_create_consumer(
                &config.durable,
                pull::Config {
                    durable_name: Some(config.durable.clone()),
                    filter_subject,
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    ack_wait: config.ack_wait,
                    ..Default::default()
                },
            )
            .await
            .map_err(bus_err)?;
        let messages = consumer
            .stream()
            .max_messages_per_batch(config.batch.max(1))
            .messages()
            .await
            .map_err(bus_err)?;
        Ok(NatsSubscription {
            messages,
            prefix: format!("{}.", self.prefix),
        })
    }
}

/// A pull consumer's message stream.
pub(crate) struct NatsSubscription {
    messages: pull::Stream,
    prefix: String,
}

impl NatsSubscription {
    pub(crate) async fn next(&mut self) -> Result<Delivery> {
        {
            let msg = match self.messages.next().await {
                Some(Ok(msg)) => msg,
                Some(Err(err)) => return Err(bus_err(err)),
                None => return Err(StoreError::Bus("consumer stream ended".into())),
            };
            let delivered = msg
                .info()
                .map(|i| u64::try_from(i.delivered).unwrap_or(0))
                .unwrap_or(0);
            let mut headers = BTreeMap::new();
            let mut id = String::new();
            if let Some(map) = &msg.headers {
                for (name, values) in map.iter() {
                    let Some(value) = values.first() else {
                        continue;
                    };
                    if AsRef::<str>::as_ref(name) == MSG_ID_HEADER {
                        id = value.as_str().to_owned();
                    } else {
                        headers.insert(name.to_string(), value.as_str().to_owned());
                    }
                }
            }
            let subject = msg
                .subject
                .as_str()
                .strip_prefix(&self.prefix)
                .unwrap_or(msg.subject.as_str())
                .to_owned();
            let message = BusMessage {
                id,
                subject,
                headers,
                payload: msg.payload.to_vec(),
            };
            Ok(Delivery {
                message,
                delivered,
                acker: super::Acker::Nats(Box::new(msg)),
            })
        }
    }
}

/// Acks and waits for the server to confirm, so a confirmed ack is never redelivered.
pub(crate) async fn ack(msg: &jetstream::Message) -> Result<()> {
    msg.double_ack().await.map_err(bus_err)
}

/// Naks so the server redelivers after `delay`.
pub(crate) async fn nak(msg: &jetstream::Message, delay: Option<Duration>) -> Result<()> {
    msg.ack_with(AckKind::Nak(delay)).await.map_err(bus_err)
}
