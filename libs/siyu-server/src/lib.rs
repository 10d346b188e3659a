//! The gRPC server every Siyu service runs, and the handler kit its handlers are written with,
//! so each service writes only its domain.
//!
//! [`GrpcServer`] stacks the same layers in the same order everywhere — the caller's trace
//! context first, then RED metrics, then access by contract, then the [`screen`] of every
//! request message (malformed messages, control characters, over-size) — and adds `grpc.health.v1` (with
//! readiness) and gRPC reflection over every Siyu package. The kit:
//! - [`access`]: each call admitted by its RPC's `siyu.api.v1.access`; handlers read the
//!   admitted [`Caller`];
//! - [`mutation`]: [`Mutations::mutate`] = write transaction + idempotency record + outbox wake;
//! - [`page`]: one way to read `page_size` / `page_token` and answer the next token;
//! - [`error`]: [`ServiceError::describe`], one exhaustive match per service, rendered the same
//!   way everywhere;
//! - [`status`] builders and [`metadata`] readers;
//! - [`peer`]: calls to other services as a service, with a per-tenant service token.

pub mod access;
pub mod error;
pub mod metadata;
pub mod mutation;
pub mod page;
pub mod peer;
pub mod screen;
mod serve;
pub mod shutdown;
pub mod status;

pub use access::{AccessLayer, Caller, GuestTenants, IdentityGuests};
pub use error::{Described, ServiceError, to_status};
pub use mutation::{Mutations, TxEffect};
pub use page::{PageError, Paging};
pub use screen::ScreenLayer;
pub use serve::{GrpcServer, MAX_FRAME_BYTES, MAX_HEADER_LIST_BYTES, ServerError, ServingHandle};
