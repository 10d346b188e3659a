//! [`AccessLayer`]: the tower layer admitting each gRPC call by its contract.
//!
//! A tower layer rather than a tonic interceptor because verification is async (an unknown
//! `kid` refetches the JWKS; identity looks up the session).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use siyu_auth::{AuthError, Authenticate};
use siyu_core::{Ctx, PrincipalKind, TenantId};
use siyu_proto::api::v1::Access;
use siyu_proto::contract::{Contract, MethodContract};
use tonic::{Code, Status};
use tower::{Layer, Service};

use super::{APP_ID, Caller, GuestTenants};
use crate::status::Failure;

/// Methods every server answers without a token: health checks and reflection are for
/// probes and tooling, not for data.
const ALWAYS_OPEN: [&str; 4] = [
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/// One RPC's rule, prepared once per server.
#[derive(Debug)]
struct Rule {
    method: &'static MethodContract,
    /// The staff roles it admits, shared with every `Ctx` of its calls.
    roles: Arc<[String]>,
    /// The `ErrorInfo.domain` of refusals (`identity.siyu` for `siyu.identity.v1`).
    domain: String,
}

struct Inner {
    rules: HashMap<String, Rule>,
    authenticator: Arc<dyn Authenticate>,
    guests: Option<Arc<dyn GuestTenants>>,
}

/// Admits or refuses every call by its RPC's `siyu.api.v1.access`, and leaves the [`Caller`]
/// (and, for token-bearing calls, its [`Ctx`]) in the request extensions.
#[derive(Clone)]
pub struct AccessLayer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AccessLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessLayer")
            .field("rules", &self.inner.rules.len())
            .finish()
    }
}

impl AccessLayer {
    /// A layer over every RPC of `contract`, verifying tokens with `authenticator` and
    /// resolving guests' apps with `guests` (guests without it act in no tenant).
    pub fn new(
        contract: &'static Contract,
        authenticator: Arc<dyn Authenticate>,
        guests: Option<Arc<dyn GuestTenants>>,
    ) -> Self {
        let rules = contract
            .methods()
            .map(|method| {
                let roles: Vec<String> = method
                    .access
                    .as_ref()
                    .and_then(|a| a.staff.as_ref())
                    .map(|s| s.roles.clone())
                    .unwrap_or_default();
                let service = method.rpc.split('.').nth(1).unwrap_or("siyu");
                let rule = Rule {
                    method: method.as_ref(),
                    roles: Arc::from(roles),
                    domain: format!("{service}.siyu"),
                };
                (method.path.clone(), rule)
            })
            .collect();
        Self {
            inner: Arc::new(Inner {
                rules,
                authenticator,
                guests,
            }),
        }
    }
}

impl AccessLayer {
    /// Keeps the rules of the RPCs of `services` (full names, `siyu.catalog.v1.CatalogService`)
    /// only: a call to any other method — one this server does not serve, even if the
    /// contract declares it — passes to the routes, which answer UNIMPLEMENTED whoever asks,
    /// rather than being refused for a missing token first.
    pub fn serving(mut self, services: &[&str]) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner
                .rules
                .retain(|path, _| services.contains(&crate::screen::service_of(path)));
        }
        self
    }
}

impl<S> Layer<S> for AccessLayer {
    type Service = AccessService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AccessService {
            inner,
            access: Arc::clone(&self.inner),
        }
    }
}

/// The service produced by [`AccessLayer`].
#[derive(Clone)]
pub struct AccessService<S> {
    inner: S,
    access: Arc<Inner>,
}

impl<S, B, RB> Service<Request<B>> for AccessService<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The clone that was polled ready is the one that must serve the call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let path = request.uri().path();
        if ALWAYS_OPEN.contains(&path) || !self.access.rules.contains_key(path) {
            // Not a Siyu RPC: health, reflection, or an unknown path tonic answers itself.
            return Box::pin(inner.call(request));
        }
        let access = Arc::clone(&self.access);
        Box::pin(async move {
            let path = request.uri().path().to_owned();
            let Some(rule) = access.rules.get(path.as_str()) else {
                return inner.call(request).await;
            };
            match admit(&access, rule, request.headers()).await {
                Ok(caller) => {
                    if let Some(ctx) = &caller.ctx {
                        request.extensions_mut().insert(ctx.clone());
                    }
                    request.extensions_mut().insert(caller);
                    inner.call(request).await
                }
                Err(status) => {
                    tracing::info!(method = %path, code = ?status.code(), "call refused");
                    Ok(status.into_http())
                }
            }
        })
    }
}

/// The caller `rule` admits, or why none.
async fn admit(inner: &Inner, rule: &Rule, headers: &http::HeaderMap) -> Result<Caller, Status> {
    let Some(access) = &rule.method.access else {
        return Err(refused(
            rule,
            "ACCESS_UNDECLARED",
            "this method admits no caller",
        ));
    };
    let caller = |ctx: Option<Ctx>, guest_tenant: Option<TenantId>| Caller {
        ctx,
        guest_tenant,
        method: rule.method,
    };
    if access.public {
        // A token sent to a public method is ignored: nothing unverified reaches a handler.
        return Ok(caller(None, None));
    }
    let token = match siyu_auth::bearer_token(headers) {
        Ok(token) => token,
        Err(AuthError::MissingToken) if access.guest || access.credential_in_request => {
            let tenant = match (access.guest, &inner.guests, app_id(headers)) {
                (true, Some(guests), Some(app)) => Some(guests.tenant_of(app).await?),
                _ => None,
            };
            return Ok(caller(None, tenant));
        }
        Err(err) => return Err(err.into()),
    };
    let ctx = inner.authenticator.authenticate(token).await?;
    admit_kind(access, &ctx, rule)?;
    Ok(caller(
        Some(ctx.with_admitted_roles(Arc::clone(&rule.roles))),
        None,
    ))
}

/// Whether the kind (and role or scope) of `ctx` is one `access` admits.
fn admit_kind(access: &Access, ctx: &Ctx, rule: &Rule) -> Result<(), Status> {
    let principal = &ctx.principal;
    let admitted = match principal.kind {
        PrincipalKind::Consumer => access.consumer,
        PrincipalKind::Service => access.service,
        PrincipalKind::Staff => access.staff.as_ref().is_some_and(|staff| {
            staff.roles.is_empty() || staff.roles.iter().any(|r| principal.has_role(r))
        }),
        PrincipalKind::Partner => match &access.partner {
            Some(partner) if partner.scope.is_empty() || principal.has_scope(&partner.scope) => {
                true
            }
            Some(partner) => {
                return Err(
                    Failure::new(Code::PermissionDenied, &rule.domain, "SCOPE_MISSING")
                        .message(format!("needs the scope {}", partner.scope))
                        .into(),
                );
            }
            None => false,
        },
    };
    if admitted {
        Ok(())
    } else {
        Err(refused(
            rule,
            "PERMISSION_DENIED",
            &format!("{:?} callers may not call this method", principal.kind),
        ))
    }
}

fn refused(rule: &Rule, reason: &str, message: &str) -> Status {
    Failure::new(Code::PermissionDenied, &rule.domain, reason)
        .message(message)
        .into()
}

/// The app a guest call names, if it is a plausible app id (short, visible ASCII).
fn app_id(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get(APP_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
}
