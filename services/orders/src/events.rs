//! Orders' events: written to the outbox in the transaction of the change they report
//! ([`publish`]), published by the relay.

pub mod after_sales;
pub mod consume;
pub mod publish;
