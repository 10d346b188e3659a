//! Scenario implementations, one file each.

pub mod grpc_echo;
pub mod pg_insert;
