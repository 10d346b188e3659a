//! Scenario implementations, one file each.

pub mod catalog_reserve;
pub mod catalog_reserve_hot;
pub mod grpc_echo;
pub mod pg_insert;
pub mod token_verify;
