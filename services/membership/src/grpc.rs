//! gRPC handlers, written on the shared handler kit (`siyu_server`): the access layer has
//! admitted the caller by the RPC's contract before a handler runs; a handler decodes the
//! request into domain input (`TryFrom`, field violations as [`AppError`]), calls the app
//! (mutations through [`Mutations::mutate`]: one write transaction with the idempotency record
//! of `x-idempotency-key`, the outbox relay woken after the commit) and converts the answer.
//! Errors become `Status` once, in [`error`].
//!
//! One file per concept, named as in `app/` and `repo/`; the MemberService and LedgerService
//! trait impls only dispatch to them. RPCs of the contract not built yet answer UNIMPLEMENTED
//! (the generated default methods).

use serde::de::DeserializeOwned;
use siyu_core::{Ctx, PageRequest};
use siyu_proto::common::v1 as common;
use siyu_server::{Caller, Mutations, Paging};
use tonic::{Request, Response, Status};

use crate::AppError;
use crate::app::App;

pub mod convert;
mod coupon_service;
mod coupons;
mod distribution;
mod distribution_service;
pub mod error;
mod guides;
mod ledger;
mod ledger_service;
mod member_service;
mod members;
mod paid;
mod paid_membership_service;
mod segment_service;
mod segments;
mod tag_service;
mod tags;
mod tier_service;
mod tiers;

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

/// The verified context of the call (an owned copy, for mutations' effects).
fn ctx<T>(request: &Request<T>) -> Result<Ctx, Status> {
    Ok(Caller::of(request)?.ctx()?.clone())
}

/// The page of `list` a request asks for; a bad size or token is a violation on `page`.
fn page_of<C: DeserializeOwned>(
    list: &Paging,
    page: Option<&common::PageRequest>,
) -> Result<PageRequest<C>, AppError> {
    Ok(list.parse(page)?)
}
