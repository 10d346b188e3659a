//! [`Mutations`]: the one way a handler runs a mutating RPC — its effect in a write
//! transaction, with the idempotency record of `x-idempotency-key` in the same transaction,
//! events written to the outbox by the effect, and the relay woken once it commits.
//!
//! A retry with the same key gets the stored reply and no second effect; the same key with
//! another request is refused (`ALREADY_EXISTS IDEMPOTENCY_KEY_REUSED`); without a key the
//! effect simply runs in its own transaction. [`Mutations::dedupe`] is for calls whose reply
//! must never be stored (logins hand out tokens): the key only holds off concurrent duplicates.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use sha2::{Digest, Sha256};
use siyu_core::Clock;
use siyu_store::idempotency::request_hash;
use siyu_store::outbox::OutboxWaker;
use siyu_store::{Cache, Idempotency, StoreError};
use tonic::{Code, Request, Response, Status};

use crate::access::Caller;
use crate::status::Failure;

/// The effect of a mutation: runs in the write transaction, returns the reply.
pub type TxEffect<'c, R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send + 'c>>;

/// How long a de-duplication claim lives at most (a crashed request frees it then).
const CLAIM_TTL: Duration = Duration::from_secs(30);

/// Runs mutating RPCs of one service (see the module docs); `E` is the service's error type,
/// which every effect answers in (so an effect ends with a plain `Ok(reply)`).
#[derive(Debug)]
pub struct Mutations<E> {
    db: DatabaseConnection,
    idempotency: Idempotency,
    waker: Option<OutboxWaker>,
    claims: Option<Cache>,
    error: PhantomData<fn() -> E>,
}

impl<E> Clone for Mutations<E> {
    fn clone(&self) -> Self {
        Self {
            db: self.db.clone(),
            idempotency: self.idempotency.clone(),
            waker: self.waker.clone(),
            claims: self.claims.clone(),
            error: PhantomData,
        }
    }
}

impl<E> Mutations<E>
where
    E: From<StoreError> + Into<Status> + Send + 'static,
{
    /// Mutations on `db`, with idempotency records in its `siyu_idempotency` table.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self {
            idempotency: Idempotency::new(db.clone(), clock),
            db,
            waker: None,
            claims: None,
            error: PhantomData,
        }
    }

    /// Wakes `waker`'s outbox relay after every committed mutation, so events leave at once
    /// instead of at the next poll.
    pub fn with_outbox(mut self, waker: OutboxWaker) -> Self {
        self.waker = Some(waker);
        self
    }

    /// Keeps de-duplication claims ([`Mutations::dedupe`]) in `cache`.
    pub fn with_claims(mut self, cache: Cache) -> Self {
        self.claims = Some(cache);
        self
    }

    /// Runs `effect` once per idempotency key of `request` (see the module docs) and answers
    /// its reply (the stored one for a retry).
    pub async fn mutate<Req, Resp, F>(
        &self,
        request: &Request<Req>,
        effect: F,
    ) -> Result<Response<Resp>, Status>
    where
        Req: Message,
        Resp: Message + Default + 'static,
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> TxEffect<'c, Resp, E> + Send + 'static,
    {
        let caller = Caller::of(request)?;
        let key = crate::metadata::idempotency_key(request)?;
        let reply = match (key, caller.tenant()) {
            (Some(key), Some(tenant)) => {
                let method = caller.method().descriptor.name();
                let hash = request_hash(method, &request.get_ref().encode_to_vec());
                let outcome = self
                    .idempotency
                    .run::<_, E>(tenant, &key, method, &hash, move |txn| {
                        Box::pin(async move { effect(txn).await.map(|r| r.encode_to_vec()) })
                    })
                    .await
                    .map_err(Into::into)?;
                Resp::decode(outcome.into_bytes().as_slice())
                    .map_err(|e| crate::status::internal(&format!("stored reply: {e}")))?
            }
            // Without a key, or without a tenant to keep it in (a public call), the effect
            // runs once in its own transaction.
            _ => self.once(effect).await.map_err(Into::into)?,
        };
        if let Some(waker) = &self.waker {
            waker.wake();
        }
        Ok(Response::new(reply))
    }

    /// Runs `effect` in a write transaction of its own, committing on success.
    async fn once<Resp, F>(&self, effect: F) -> Result<Resp, E>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> TxEffect<'c, Resp, E>,
    {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let reply = effect(&txn).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(reply)
    }

    /// Runs `call` with the idempotency key of `request` (if any) claimed for its duration:
    /// a concurrent duplicate gets `ABORTED REQUEST_IN_PROGRESS`; once `call` finishes a retry
    /// runs normally (and fails on its own terms, e.g. a single-use code). `scope` names what
    /// selects the tenant of a call that has no token (an app id, a tenant code).
    pub async fn dedupe<Req, T, Fut>(
        &self,
        request: &Request<Req>,
        scope: &str,
        call: Fut,
    ) -> Result<T, Status>
    where
        Fut: Future<Output = Result<T, Status>>,
    {
        let (Some(key), Some(cache)) = (crate::metadata::idempotency_key(request)?, &self.claims)
        else {
            return call.await;
        };
        let method = Caller::of(request).map_or("", |c| c.method().rpc.as_str());
        let digest = hex::encode(Sha256::digest(format!("{method}|{scope}|{key}")));
        let claim = format!("idem-claim:{digest}");
        let claimed = cache
            .set_if_absent(&claim, b"1", Some(CLAIM_TTL))
            .await
            .map_err(|e| crate::status::unavailable(&format!("cache ({e})")))?;
        if !claimed {
            let domain = Caller::of(request).map_or("siyu", |c| {
                c.method().rpc.split('.').nth(1).unwrap_or("siyu")
            });
            return Err(Failure::new(
                Code::Aborted,
                format!("{domain}.siyu"),
                "REQUEST_IN_PROGRESS",
            )
            .message("a request with this idempotency key is still running")
            .into());
        }
        let result = call.await;
        if let Err(err) = cache.delete(&claim).await {
            tracing::warn!(error = %err, "could not release an idempotency claim");
        }
        result
    }
}
