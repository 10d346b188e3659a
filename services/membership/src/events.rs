//! What membership publishes: each event written to the outbox in the transaction of its
//! change, relayed to the bus by `siyu_store::OutboxRelay`; and what it consumes (orders' and
//! identity's events, dispatched by `consume`).

pub mod commissions;
pub mod consume;
pub mod guides;
pub mod publish;
