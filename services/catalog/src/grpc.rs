//! gRPC handlers, written on the shared handler kit (`siyu_server`): the access layer has
//! admitted the caller by the RPC's contract before a handler runs; a handler decodes the
//! request into domain input (`TryFrom`, field violations as [`AppError`]), calls the app
//! (mutations through [`Mutations::mutate`]: one write transaction with the idempotency record
//! of `x-idempotency-key`, the outbox relay woken after the commit) and converts the answer.
//! Errors become `Status` once, in [`error`].
//!
//! One file per concept, named as in `app/` and `repo/`; the CatalogService and
//! InventoryService trait impls only dispatch to them, the other three services are a concept
//! each.

use serde::de::DeserializeOwned;
use siyu_core::{Ctx, PageRequest};
use siyu_proto::common::v1 as common;
use siyu_server::{Caller, Mutations, Paging};
use tonic::{Request, Response, Status};

use crate::AppError;
use crate::app::App;
use crate::app::storefront::Shopper;

mod assortment;
mod catalog_service;
mod categories;
mod convert;
pub mod error;
mod inventory_service;
mod locations;
mod prices;
mod products;
mod reservations;
mod skus;
mod stock;
mod storefront;
mod sync;
mod transfers;

/// What every handler returns.
type R<T> = Result<Response<T>, Status>;

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub struct Handlers {
    /// Domain logic.
    pub app: App,
    /// Write transactions with idempotency records and outbox wake-ups.
    pub mutations: Mutations<AppError>,
}

/// The verified context of a token-bearing call (an owned copy, for mutations' effects).
fn ctx<T>(request: &Request<T>) -> Result<Ctx, Status> {
    Ok(Caller::of(request)?.ctx()?.clone())
}

/// Who browses the storefront: the token's caller, or a guest in the tenant of the app it
/// named (`APP_ID_REQUIRED` when it named none).
fn shopper<T>(request: &Request<T>) -> Result<Shopper, Status> {
    let caller = Caller::of(request)?;
    match caller.token_ctx() {
        Some(ctx) => Ok(Shopper::of(ctx)),
        None => Ok(Shopper::guest(caller.require_tenant()?)),
    }
}

/// The page of `list` a request asks for; a bad size or token is a violation on `page`.
fn page_of<C: DeserializeOwned>(
    list: &Paging,
    page: Option<&common::PageRequest>,
) -> Result<PageRequest<C>, AppError> {
    Ok(list.parse(page)?)
}
