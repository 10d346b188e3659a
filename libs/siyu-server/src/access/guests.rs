//! Guests: callers without a token (a shopper browsing a mini-program before logging in) act
//! in the tenant of the app they name. [`GuestTenants`] resolves it; services other than
//! identity use [`IdentityGuests`], which asks identity and keeps the answer for a minute.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use siyu_core::TenantId;
use siyu_proto::identity::v1::ResolveTenantByAppIdRequest;
use siyu_proto::identity::v1::tenant_service_client::TenantServiceClient;
use tokio::time::Instant;
use tonic::Status;
use tonic::transport::Channel;

/// The future [`GuestTenants::tenant_of`] returns.
pub type GuestFuture<'a> = Pin<Box<dyn Future<Output = Result<TenantId, Status>> + Send + 'a>>;

/// Resolves the tenant of a mini-program app id for guest calls.
pub trait GuestTenants: Send + Sync + 'static {
    /// The tenant owning `app_id`; `NOT_FOUND APP_NOT_FOUND` or `FAILED_PRECONDITION`
    /// (`APP_DISABLED`, `TENANT_SUSPENDED`) when guests of it cannot be served.
    fn tenant_of<'a>(&'a self, app_id: &'a str) -> GuestFuture<'a>;
}

/// How long a resolved app is trusted: an app moved or disabled takes effect within this.
const TTL: Duration = Duration::from_secs(60);
/// How long a refused app id is remembered, so bogus ids do not reach identity on every call.
const NEGATIVE_TTL: Duration = Duration::from_secs(10);
/// Entries kept at most; the cache is cleared when it would grow beyond (ids are cheap to
/// resolve again, and a flood of bogus ids must not grow memory without bound).
const MAX_ENTRIES: usize = 10_000;

/// A resolved (or refused) app and until when the answer holds.
type Answer = (Result<TenantId, Status>, Instant);

/// [`GuestTenants`] through identity's `TenantService/ResolveTenantByAppId`, cached.
#[derive(Debug)]
pub struct IdentityGuests {
    client: TenantServiceClient<Channel>,
    cache: Mutex<HashMap<String, Answer>>,
}

impl IdentityGuests {
    /// Resolves through identity at `channel`.
    pub fn new(channel: Channel) -> Self {
        Self {
            client: TenantServiceClient::new(channel),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, app_id: &str) -> Option<Result<TenantId, Status>> {
        let cache = self.cache.lock().ok()?;
        let (answer, until) = cache.get(app_id)?;
        (Instant::now() < *until).then(|| answer.clone())
    }

    fn remember(&self, app_id: &str, answer: &Result<TenantId, Status>) {
        let ttl = match answer {
            Ok(_) => TTL,
            // Only the app's own refusals are remembered, not identity being unreachable.
            Err(status)
                if matches!(
                    status.code(),
                    tonic::Code::NotFound | tonic::Code::FailedPrecondition
                ) =>
            {
                NEGATIVE_TTL
            }
            Err(_) => return,
        };
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_ENTRIES {
                cache.clear();
            }
            cache.insert(app_id.to_owned(), (answer.clone(), Instant::now() + ttl));
        }
    }
}

impl GuestTenants for IdentityGuests {
    fn tenant_of<'a>(&'a self, app_id: &'a str) -> GuestFuture<'a> {
        Box::pin(async move {
            if let Some(answer) = self.cached(app_id) {
                return answer;
            }
            let reply = self
                .client
                .clone()
                .resolve_tenant_by_app_id(ResolveTenantByAppIdRequest {
                    app_id: app_id.to_owned(),
                })
                .await;
            let answer = match reply {
                Ok(reply) => TenantId::parse(&reply.get_ref().tenant_id)
                    .map_err(|_| Status::internal("identity answered a malformed tenant id")),
                Err(status) => Err(status),
            };
            self.remember(app_id, &answer);
            answer
        })
    }
}
