//! gRPC handlers, written on the shared handler kit (`siyu_server`): the access layer has
//! admitted the caller by the RPC's contract before a handler runs; a handler decodes the
//! request into domain input (field violations as [`AppError`]), calls the app (mutations
//! through [`Mutations::mutate`]: one write transaction with the idempotency record of
//! `x-idempotency-key`, the outbox relay woken after the commit) and converts the answer.
//! Errors become `Status` once, in [`error`].
//!
//! One file per concept, named as in `app/` and `repo/`; `content_service.rs` only dispatches
//! to them. The other five services of the package are registered with the generated default
//! methods, which answer UNIMPLEMENTED (`unbuilt.rs`).

use std::sync::Arc;

use siyu_core::Ctx;
use siyu_server::{Caller, GuestTenants, Mutations};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::AppError;
use crate::app::App;

mod content_service;
mod contents;
pub mod convert;
pub mod error;
mod pages;
mod share_service;
mod shares;
mod slots;
mod unbuilt;

/// What every handler returns.
type R<T> = Result<Response<T>, Status>;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct Handlers {
    /// Domain logic.
    pub app: App,
    /// Write transactions with idempotency records and outbox wake-ups.
    pub mutations: Mutations<AppError>,
    /// Resolves the `app_id` a consumer read names when the call carries neither a token nor
    /// `x-siyu-app-id` (the same resolver the access layer uses for guests).
    pub guests: Option<Arc<dyn GuestTenants>>,
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handlers")
            .field("app", &self.app)
            .field("guests", &self.guests.is_some())
            .finish_non_exhaustive()
    }
}

/// The verified context of the call (an owned copy, for mutations' effects).
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

/// A required id field.
fn id(field: &str, value: &str) -> Result<Uuid, AppError> {
    if value.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    Uuid::parse_str(value).map_err(|_| AppError::invalid(field, "must be a UUID"))
}

/// An optional id field (empty: none).
fn opt_id(field: &str, value: &str) -> Result<Option<Uuid>, AppError> {
    if value.is_empty() {
        Ok(None)
    } else {
        id(field, value).map(Some)
    }
}

/// An etag field (the decimal row version).
fn etag(field: &str, value: &str) -> Result<i64, AppError> {
    if value.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    value
        .parse()
        .map_err(|_| AppError::invalid(field, "not an etag of this item"))
}

/// A version number field (1 and up).
fn version(field: &str, value: i32) -> Result<i32, AppError> {
    if value < 1 {
        return Err(AppError::invalid(field, "must be 1 or more"));
    }
    Ok(value)
}

/// A mask path in the contract's (snake_case) spelling; lowerCamelCase is accepted too.
fn snake(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for ch in path.trim().chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// The snake_case paths of a required update mask, each one of `known` (or below one).
fn mask(
    update_mask: Option<&prost_types::FieldMask>,
    known: &[&str],
) -> Result<Vec<String>, AppError> {
    let paths: Vec<String> = update_mask
        .map(|m| m.paths.iter().map(|p| snake(p)).collect())
        .unwrap_or_default();
    if paths.is_empty() {
        return Err(AppError::invalid("update_mask", "required"));
    }
    if let Some(unknown) = paths.iter().find(|p| {
        !known
            .iter()
            .any(|k| p.as_str() == *k || p.starts_with(&format!("{k}.")))
    }) {
        return Err(AppError::invalid(
            "update_mask",
            format!("unknown path {unknown}"),
        ));
    }
    Ok(paths)
}
