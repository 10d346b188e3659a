//! gRPC handlers: decode → parse into domain inputs → app → map errors. Mutations run in one
//! transaction with their idempotency record when `x-idempotency-key` is present.

use std::future::Future;
use std::pin::Pin;

use prost::Message;
use sea_orm::DatabaseTransaction;
use siyu_core::Ctx;
use siyu_store::Idempotency;
use siyu_store::idempotency::request_hash;
use siyu_store::outbox::OutboxWaker;
use tonic::Status;

use crate::app::{App, AppError};

pub mod assortment;
pub mod catalog;
pub mod catalog_convert;
pub mod convert;
pub mod error;
pub mod inventory;
pub mod locations;
pub mod price;
pub mod storefront;

/// What every handler returns.
pub type R<T> = Result<tonic::Response<T>, Status>;

/// Maps an app error at a `map_err` call site (the mapping itself is `grpc/error.rs`).
pub fn err(e: AppError) -> Status {
    e.into()
}

/// The future a mutation returns, borrowing the transaction it runs in.
pub type TxFuture<'c, R> = Pin<Box<dyn Future<Output = Result<R, AppError>> + Send + 'c>>;

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub struct Handlers {
    /// Domain logic.
    pub app: App,
    /// Idempotency records.
    pub idem: Idempotency,
    /// Wakes the outbox relay after a commit that wrote events.
    pub waker: OutboxWaker,
}

impl Handlers {
    /// Runs `effect` in a write transaction, under the idempotency key when given, and returns
    /// the (possibly replayed) response.
    pub async fn mutate<Req, Resp, F>(
        &self,
        ctx: &Ctx,
        key: Option<String>,
        method: &str,
        request: &Req,
        effect: F,
    ) -> Result<Resp, Status>
    where
        Req: Message,
        Resp: Message + Default + 'static,
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> TxFuture<'c, Resp> + Send + 'static,
    {
        let result = match key {
            Some(key) => {
                let hash = request_hash(method, &request.encode_to_vec());
                let outcome = self
                    .idem
                    .run::<_, AppError>(ctx.tenant, &key, method, &hash, move |txn| {
                        Box::pin(async move { effect(txn).await.map(|r| r.encode_to_vec()) })
                    })
                    .await
                    .map_err(Status::from)?;
                Resp::decode(outcome.into_bytes().as_slice())
                    .map_err(|e| siyu_server::status::internal(&e))
            }
            None => {
                let txn = siyu_store::db::begin_write(&self.app.db)
                    .await
                    .map_err(|e| Status::from(AppError::from(e)))?;
                let resp = effect(&txn).await.map_err(Status::from)?;
                txn.commit()
                    .await
                    .map_err(|e| Status::from(AppError::from(e)))?;
                Ok(resp)
            }
        };
        if result.is_ok() {
            self.waker.wake();
        }
        result
    }
}

impl Handlers {
    /// Splits a mutation's request into (message, ctx, idempotency key, app, ctx clone for the
    /// transaction closure).
    #[allow(clippy::type_complexity, reason = "a destructuring helper")]
    pub fn begin<T>(
        &self,
        request: tonic::Request<T>,
    ) -> Result<(T, Ctx, Option<String>, App, Ctx), Status> {
        let ctx = ctx(&request)?;
        let key = siyu_server::metadata::idempotency_key(&request)?;
        let (app, c) = (self.app.clone(), ctx.clone());
        Ok((request.into_inner(), ctx, key, app, c))
    }
}

/// The caller's context, established by the auth layer.
pub fn ctx<T>(request: &tonic::Request<T>) -> Result<Ctx, Status> {
    siyu_auth::ctx_from(request).cloned()
}
