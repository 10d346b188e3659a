//! Idempotency of mutating RPCs (`x-idempotency-key` metadata).
//!
//! Two flavours, as the package overview in `tenant_service.proto` prescribes:
//! - [`Api::mutate`]: the effect runs in the transaction that also stores its encoded reply
//!   (`siyu_store::idempotency::Idempotency::run`): a retry with the same key gets the first
//!   reply and no second effect; the same key with another request gets ALREADY_EXISTS
//!   IDEMPOTENCY_KEY_REUSED. Without a key the effect simply runs in its own transaction.
//! - [`Api::dedupe`]: logins and refresh. Replaying them would hand out the same tokens twice
//!   (and tokens must never be stored), so the key only claims the request while it runs: a
//!   concurrent duplicate gets ABORTED REQUEST_IN_PROGRESS; once the first finishes, a retry runs
//!   normally (and fails on its own terms, e.g. a WeChat code is single use).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use sea_orm::DatabaseTransaction;
use siyu_core::TenantId;
use siyu_store::idempotency::{Idempotency, request_hash};
use tonic::{Code, Request, Status};

use crate::app::App;
use crate::crypto::sha256_hex;
use crate::error::AppError;
use crate::grpc::Api;
use crate::grpc::error::DOMAIN;

/// The effect of a mutating RPC: runs in the write transaction, returns the reply.
pub type TxnEffect<'c, R> = Pin<Box<dyn Future<Output = Result<R, AppError>> + Send + 'c>>;

/// How long a login's idempotency claim lives at most (a crashed request frees it then).
const CLAIM_SECS: u64 = 30;

impl Api {
    /// Runs `effect` once per idempotency key of `request` in `tenant` (see the module docs).
    pub async fn mutate<Req, Resp, F>(
        &self,
        request: &Request<Req>,
        tenant: &str,
        method: &'static str,
        effect: F,
    ) -> Result<Resp, Status>
    where
        Req: Message,
        Resp: Message + Default + 'static,
        F: for<'c> FnOnce(Arc<App>, &'c DatabaseTransaction) -> TxnEffect<'c, Resp>
            + Send
            + 'static,
    {
        let key = siyu_server::metadata::idempotency_key(request)?;
        let app = Arc::clone(&self.app);
        let Some(key) = key else {
            let txn = siyu_store::db::begin_write(&app.db)
                .await
                .map_err(AppError::from)?;
            let reply = effect(Arc::clone(&app), &txn).await?;
            txn.commit().await.map_err(AppError::from)?;
            return Ok(reply);
        };
        let tenant_id = TenantId::parse(tenant).map_err(|e| AppError::Internal(e.to_string()))?;
        let hash = request_hash(method, &request.get_ref().encode_to_vec());
        let outcome = Idempotency::new(app.db.clone(), Arc::clone(&app.clock))
            .run(tenant_id, &key, method, &hash, move |txn| {
                Box::pin(async move {
                    let reply = effect(app, txn).await?;
                    Ok::<_, AppError>(reply.encode_to_vec())
                })
            })
            .await?;
        Resp::decode(outcome.into_bytes().as_slice())
            .map_err(|e| AppError::Internal(format!("stored reply does not decode: {e}")).into())
    }

    /// Runs a login-like `call` with the idempotency key (if any) claimed for its duration.
    /// `scope` names what selects the tenant (app id, tenant code) since a login has no Ctx.
    pub async fn dedupe<Req, T, Fut>(
        &self,
        request: &Request<Req>,
        scope: &str,
        method: &'static str,
        call: Fut,
    ) -> Result<T, Status>
    where
        Fut: Future<Output = Result<T, Status>>,
    {
        let Some(key) = siyu_server::metadata::idempotency_key(request)? else {
            return call.await;
        };
        let claim = format!(
            "idem-claim:{}",
            sha256_hex(&format!("{method}|{scope}|{key}"))
        );
        let claimed = self
            .app
            .cache
            .set_if_absent(&claim, b"1", Some(Duration::from_secs(CLAIM_SECS)))
            .await
            .map_err(AppError::from)?;
        if !claimed {
            return Err(siyu_server::status::Failure::new(
                Code::Aborted,
                DOMAIN,
                "REQUEST_IN_PROGRESS",
            )
            .message("a request with this idempotency key is still running")
            .into());
        }
        let result = call.await;
        if let Err(err) = self.app.cache.delete(&claim).await {
            tracing::warn!(error = %err, "could not release an idempotency claim");
        }
        result
    }
}
