//! gRPC handlers, written on the shared handler kit (`siyu_server`): the access layer has
//! admitted the caller by the RPC's contract before a handler runs; a handler decodes the
//! request into domain input (field violations as [`AppError`]), calls the app (mutations
//! through [`Mutations::mutate`]: one write transaction with the idempotency record of
//! `x-idempotency-key`, the outbox relay woken after the commit) and converts the answer.
//! Errors become `Status` once, in [`error`].
//!
//! One file per concept, named as in `app/` and `repo/`; the `*_service.rs` trait impls only
//! dispatch to them. RPCs of the contract not built yet answer UNIMPLEMENTED (the generated
//! default methods).

use siyu_core::Ctx;
use siyu_server::{Caller, Mutations};
use tonic::{Request, Response, Status};

use crate::AppError;
use crate::app::App;

mod after_sale_service;
mod after_sales;
mod cart_service;
mod carts;
mod checkout;
mod checkout_service;
pub mod error;
mod fulfilment;
mod order_service;
mod order_settings;
mod order_settings_service;
pub mod orders;
mod payment_service;
mod payments;
pub mod pricing;
mod reconciliation;
mod reconciliation_service;
mod refund_service;
mod refunds;
mod wechat_pay_notify_service;

/// What every handler returns.
#[allow(dead_code)]
type R<T> = Result<Response<T>, Status>;

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub struct Handlers {
    /// Domain logic.
    pub app: App,
    /// Write transactions with idempotency records and outbox wake-ups.
    pub mutations: Mutations<AppError>,
}

/// The verified context of the call (an owned copy, for mutations' effects).
#[allow(dead_code)]
fn ctx<T>(request: &Request<T>) -> Result<Ctx, Status> {
    Ok(Caller::of(request)?.ctx()?.clone())
}

/// The page of `list` a request asks for; a bad size or token is a violation on `page`.
fn page_of<C: serde::de::DeserializeOwned>(
    list: &siyu_server::Paging,
    page: Option<&siyu_proto::common::v1::PageRequest>,
) -> Result<siyu_core::PageRequest<C>, AppError> {
    Ok(list.parse(page)?)
}
