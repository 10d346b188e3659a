//! Calls to other services of the suite as a service: a `kind=service` token per tenant from
//! identity's `TokenService/IssueServiceToken`, kept until shortly before it expires, and
//! requests that carry it with the idempotency key and the caller's trace context.
//!
//! A service acting for a consumer (orders' checkout locking coupons and holding points) calls
//! RPCs that admit services only, so it cannot forward the consumer's token: it asks identity
//! for a token in the consumer's tenant, never across tenants.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use siyu_core::{Clock, TenantId};
use siyu_proto::identity::v1 as identity;
use siyu_proto::identity::v1::token_service_client::TokenServiceClient;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tonic::Status;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

/// How long before its expiry a token is replaced.
const MARGIN: Duration = Duration::from_secs(60);
/// A token's lifetime when identity's answer has no usable expiry.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(300);

/// A lazily connected channel to `url` (`http://host:port`), with `timeout` per call.
///
/// # Errors
/// `url` is not a valid URI.
pub fn channel(url: &str, timeout: Duration) -> Result<Channel, tonic::transport::Error> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(timeout)
        .timeout(timeout)
        .tcp_nodelay(true)
        .connect_lazy())
}

/// Service tokens of one service, per tenant.
#[derive(Debug)]
pub struct ServiceTokens {
    identity: Channel,
    service: String,
    credential: String,
    clock: Arc<dyn Clock>,
    cached: Mutex<HashMap<TenantId, (String, Instant)>>,
}

impl ServiceTokens {
    /// Tokens for `service` with `credential`, issued by identity at `identity`; `clock` reads
    /// how long an issued token has left.
    pub fn new(
        identity: Channel,
        service: impl Into<String>,
        credential: impl Into<String>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            identity,
            service: service.into(),
            credential: credential.into(),
            clock,
            cached: Mutex::new(HashMap::new()),
        }
    }

    /// A live token in `tenant`, fetched from identity when none is cached or it expires soon.
    ///
    /// # Errors
    /// Identity's refusal (a credential it does not know: `UNAUTHENTICATED`) or unavailability.
    pub async fn token(&self, tenant: TenantId) -> Result<String, Status> {
        if let Some((token, until)) = self.cached.lock().await.get(&tenant)
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        // Not under the lock: a slow identity delays only the calls that need a new token.
        let reply = TokenServiceClient::new(self.identity.clone())
            .issue_service_token(identity::IssueServiceTokenRequest {
                service: self.service.clone(),
                credential: self.credential.clone(),
                tenant_id: tenant.to_string(),
                scopes: Vec::new(),
                platform: false,
            })
            .await?
            .into_inner();
        let lifetime = reply
            .expire_time
            .and_then(|t| {
                let left = t.seconds - self.clock.now().timestamp();
                u64::try_from(left).ok().map(Duration::from_secs)
            })
            .unwrap_or(FALLBACK_LIFETIME);
        let until = Instant::now() + lifetime.saturating_sub(MARGIN);
        self.cached
            .lock()
            .await
            .insert(tenant, (reply.access_token.clone(), until));
        Ok(reply.access_token)
    }

    /// Forgets `tenant`'s token (after a peer refused it as expired or revoked).
    pub async fn forget(&self, tenant: TenantId) {
        self.cached.lock().await.remove(&tenant);
    }

    /// `message` as a request bearing a service token in `tenant`, with `idempotency_key` when
    /// given and the current trace context.
    ///
    /// # Errors
    /// As [`ServiceTokens::token`].
    pub async fn request<T>(
        &self,
        tenant: TenantId,
        message: T,
        idempotency_key: Option<&str>,
    ) -> Result<tonic::Request<T>, Status> {
        let token = self.token(tenant).await?;
        let mut request = tonic::Request::new(message);
        let md = request.metadata_mut();
        let bearer = MetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| Status::internal("service token is not a header value"))?;
        md.insert("authorization", bearer);
        if let Some(key) = idempotency_key {
            let key = MetadataValue::try_from(key)
                .map_err(|_| Status::invalid_argument("idempotency key is not a header value"))?;
            md.insert(crate::metadata::IDEMPOTENCY_KEY, key);
        }
        let mut carrier = HashMap::new();
        siyu_telemetry::inject_into(&mut carrier);
        for (k, v) in carrier {
            if let (Ok(k), Ok(v)) = (
                tonic::metadata::MetadataKey::from_bytes(k.as_bytes()),
                MetadataValue::try_from(v.as_str()),
            ) {
                md.insert(k, v);
            }
        }
        Ok(request)
    }
}
