//! Events: what catalog publishes (through the outbox, in the transaction of the change) and
//! what it consumes (orders' events, de-duplicated by the inbox).

pub mod consume;
pub mod publish;
