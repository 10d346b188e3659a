//! The gRPC server every Siyu service runs, so each service writes only its handlers.
//!
//! [`GrpcServer`] stacks the same layers in the same order everywhere — the caller's trace
//! context first, then RED metrics, then token verification — and adds `grpc.health.v1` (with
//! readiness) and gRPC reflection over every Siyu package. [`status`] builds the rich error
//! statuses (`ErrorInfo` reasons, `BadRequest` field violations) that the gateway turns into
//! problem documents. [`metadata`] reads the request metadata services act on.

pub mod metadata;
mod serve;
pub mod shutdown;
pub mod status;

pub use serve::{GrpcServer, ServerError, ServingHandle};
