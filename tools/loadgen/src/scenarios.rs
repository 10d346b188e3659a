//! Scenario implementations, one file each.

pub mod catalog_reserve;
pub mod catalog_reserve_hot;
pub mod checkout_gateway;
pub mod coupon_claim_hot;
pub mod gateway_hop;
pub mod grpc_echo;
pub mod ledger_earn;
pub mod pg_insert;
pub mod pgbench_tpcb;
pub mod product_detail_gateway;
pub mod quote_gateway;
pub mod refresh_rotation;
pub mod token_verify;
pub mod wechat_login_gateway;
