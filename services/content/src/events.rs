//! Content's events: written to the outbox in the transaction of the change they report
//! ([`publish`]), published by the relay.

pub mod publish;
