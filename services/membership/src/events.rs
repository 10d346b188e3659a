//! What membership publishes: each event written to the outbox in the transaction of its
//! change, relayed to the bus by `siyu_store::OutboxRelay`. Consuming orders' and identity's
//! events comes with the next slice.

pub mod publish;
