//! Content's events: written to the outbox in the transaction of the change they report
//! ([`publish`]), published by the relay; orders' events consumed for the funnel ([`consume`]).

pub mod consume;
pub mod publish;
