//! Orders: the state machine ([`status`]).

pub mod status;
