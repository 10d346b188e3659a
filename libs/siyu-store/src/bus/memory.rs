//! The in-process broker: the same stream/consumer semantics as JetStream, in memory.
//!
//! Brokers are process-wide, keyed by the `memory://<name>` URL, so every service of an
//! embedded process sees the same streams.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::{Acker, BusConfig, BusMessage, ConsumerConfig, Delivery, Published, subject_matches};
use crate::error::Result;

type Broker = Mutex<HashMap<String, Arc<MemStream>>>;

static BROKERS: LazyLock<Mutex<HashMap<String, Arc<Broker>>>> = LazyLock::new(Default::default);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One stream: an append-only log, recent ids for de-duplication, durable consumers.
#[derive(Debug, Default)]
struct MemStream {
    state: Mutex<StreamState>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct StreamState {
    log: Vec<BusMessage>,
    recent: VecDeque<(Instant, String)>,
    recent_ids: HashMap<String, Instant>,
    consumers: HashMap<String, ConsumerState>,
}

#[derive(Debug)]
struct ConsumerState {
    filter: String,
    ack_wait: Duration,
    /// Index in the log of the next message never delivered.
    next: usize,
    /// Delivered, unacked messages: log index → (due for redelivery at, deliveries so far).
    pending: BTreeMap<usize, (Instant, u64)>,
}

/// A handle on one stream of a named broker.
#[derive(Debug, Clone)]
pub(crate) struct MemoryBus {
    broker: Arc<Broker>,
    name: String,
    stream: Arc<MemStream>,
    window: Duration,
}

impl MemoryBus {
    pub(crate) fn connect(name: &str, config: BusConfig) -> Self {
        let broker = lock(&BROKERS).entry(name.to_owned()).or_default().clone();
        let stream = lock(&broker)
            .entry(config.stream.clone())
            .or_default()
            .clone();
        Self {
            broker,
            name: config.stream,
            stream,
            window: config.duplicate_window,
        }
    }

    /// Forgets the stream; handles still holding it keep a detached copy.
    pub(crate) fn delete_stream(&self) {
        lock(&self.broker).remove(&self.name);
    }

    pub(crate) fn publish(&self, message: BusMessage) -> Result<Published> {
        let now = Instant::now();
        let mut state = lock(&self.stream.state);
        while let Some((at, _)) = state.recent.front() {
            if now.duration_since(*at) < self.window {
                break;
            }
            if let Some((_, id)) = state.recent.pop_front() {
                state.recent_ids.remove(&id);
            }
        }
        if state.recent_ids.contains_key(&message.id) {
            return Ok(Published { duplicate: true });
        }
        state.recent_ids.insert(message.id.clone(), now);
        state.recent.push_back((now, message.id.clone()));
        state.log.push(message);
        drop(state);
        self.stream.changed.notify_waiters();
        Ok(Published { duplicate: false })
    }

    pub(crate) fn subscribe(&self, config: ConsumerConfig) -> MemorySubscription {
        let mut state = lock(&self.stream.state);
        state
            .consumers
            .entry(config.durable.clone())
            .or_insert_with(|| ConsumerState {
                filter: config.filter,
                ack_wait: config.ack_wait,
                next: 0,
                pending: BTreeMap::new(),
            });
        MemorySubscription {
            stream: self.stream.clone(),
            durable: config.durable,
        }
    }
}

/// A subscriber of a durable consumer.
pub(crate) struct MemorySubscription {
    stream: Arc<MemStream>,
    durable: String,
}

enum Step {
    Deliver(BusMessage, usize, u64),
    Wait(Option<Instant>),
}

impl MemorySubscription {
    pub(crate) async fn next(&mut self) -> Result<Delivery> {
        loop {
            let changed = self.stream.changed.notified();
            tokio::pin!(changed);
            // Register before looking, so a publish between the look and the wait is not missed.
            changed.as_mut().enable();
            match self.step(Instant::now()) {
                Step::Deliver(message, index, delivered) => {
                    let acker = MemoryAcker {
                        stream: self.stream.clone(),
                        durable: self.durable.clone(),
                        index,
                    };
                    return Ok(Delivery {
                        message,
                        delivered,
                        acker: Acker::Memory(acker),
                    });
                }
                Step::Wait(Some(due)) => {
                    tokio::select! {
                        () = changed => {}
                        () = tokio::time::sleep_until(due) => {}
                    }
                }
                Step::Wait(None) => changed.await,
            }
        }
    }

    /// Picks a redelivery that is due, else the next new matching message.
    fn step(&self, now: Instant) -> Step {
        let mut state = lock(&self.stream.state);
        let StreamState { log, consumers, .. } = &mut *state;
        let Some(consumer) = consumers.get_mut(&self.durable) else {
            return Step::Wait(None);
        };
        let ack_wait = consumer.ack_wait;
        if let Some((&index, entry)) = consumer
            .pending
            .iter_mut()
            .find(|(_, (due, _))| *due <= now)
        {
            entry.0 = now + ack_wait;
            entry.1 += 1;
            if let Some(message) = log.get(index) {
                return Step::Deliver(message.clone(), index, entry.1);
            }
        }
        while consumer.next < log.len() {
            let index = consumer.next;
            consumer.next += 1;
            if let Some(message) = log
                .get(index)
                .filter(|m| subject_matches(&consumer.filter, &m.subject))
            {
                consumer.pending.insert(index, (now + ack_wait, 1));
                return Step::Deliver(message.clone(), index, 1);
            }
        }
        Step::Wait(consumer.pending.values().map(|(due, _)| *due).min())
    }
}

/// Acks or naks one delivery of the in-process broker.
pub(crate) struct MemoryAcker {
    stream: Arc<MemStream>,
    durable: String,
    index: usize,
}

impl MemoryAcker {
    pub(crate) fn ack(self) {
        if let Some(c) = lock(&self.stream.state).consumers.get_mut(&self.durable) {
            c.pending.remove(&self.index);
        }
    }

    pub(crate) fn nak(self, delay: Option<Duration>) {
        if let Some(c) = lock(&self.stream.state).consumers.get_mut(&self.durable)
            && let Some(entry) = c.pending.get_mut(&self.index)
        {
            entry.0 = Instant::now() + delay.unwrap_or(Duration::ZERO);
        }
        self.stream.changed.notify_waiters();
    }
}
