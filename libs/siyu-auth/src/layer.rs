//! The server-side tower layer: verifies the bearer token of every gRPC call and puts the
//! resulting [`Ctx`] into the request extensions.
//!
//! A tower layer rather than a tonic `Interceptor` because verification is async (an
//! unknown `kid` refetches the JWKS) and interceptors are synchronous.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use siyu_core::Ctx;
use tonic::Status;
use tower::{Layer, Service};

use crate::error::AuthError;
use crate::verifier::JwksVerifier;

/// Adds token verification to a gRPC server; see [`AuthLayer::public_method`] for calls
/// that need no token.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    verifier: Arc<JwksVerifier>,
    public: Arc<HashSet<String>>,
}

/// The service produced by [`AuthLayer`].
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    verifier: Arc<JwksVerifier>,
    public: Arc<HashSet<String>>,
}

impl AuthLayer {
    /// A layer verifying every call with `verifier`.
    pub fn new(verifier: Arc<JwksVerifier>) -> Self {
        Self {
            verifier,
            public: Arc::new(HashSet::new()),
        }
    }

    /// Lets calls to `path` (the full gRPC path, `/package.Service/Method`) through without
    /// a token, e.g. login RPCs and health checks. They get no `Ctx`.
    pub fn public_method(mut self, path: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.public).insert(path.into());
        self
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            verifier: Arc::clone(&self.verifier),
            public: Arc::clone(&self.public),
        }
    }
}

impl<S, B, RB> Service<Request<B>> for AuthService<S>
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
        if self.public.contains(request.uri().path()) {
            return Box::pin(inner.call(request));
        }
        let verifier = Arc::clone(&self.verifier);
        Box::pin(async move {
            let verified = match bearer_token(request.headers()) {
                Ok(token) => verifier.verify_ctx(token).await,
                Err(err) => Err(err),
            };
            match verified {
                Ok(ctx) => {
                    request.extensions_mut().insert(ctx);
                    inner.call(request).await
                }
                Err(err) => {
                    tracing::info!(method = request.uri().path(), error = %err, "call refused");
                    Ok(Status::from(err).into_http())
                }
            }
        })
    }
}

/// The verified context of a call, as the layer left it.
///
/// Fails with `UNAUTHENTICATED` when there is none (a public method, or a server without
/// the layer), so a handler can always write `let ctx = ctx_from(&request)?;`.
pub fn ctx_from<T>(request: &tonic::Request<T>) -> Result<&Ctx, Status> {
    request
        .extensions()
        .get::<Ctx>()
        .ok_or_else(|| Status::from(AuthError::MissingToken))
}

/// The token of a `Bearer` `authorization` header.
pub fn bearer_token(headers: &http::HeaderMap) -> Result<&str, AuthError> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .ok_or(AuthError::MissingToken)?;
    let value = value
        .to_str()
        .map_err(|_| AuthError::Malformed("authorization is not ASCII".into()))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| AuthError::Malformed("authorization is not `Bearer <token>`".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Malformed(
            "authorization is not `Bearer <token>`".into(),
        ));
    }
    Ok(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        map.insert(http::header::AUTHORIZATION, value.parse().unwrap());
        map
    }

    #[test]
    fn bearer_scheme_is_required() {
        assert_eq!(bearer_token(&headers("Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer_token(&headers("bearer abc")).unwrap(), "abc");
        assert!(matches!(
            bearer_token(&headers("Basic abc")),
            Err(AuthError::Malformed(_))
        ));
        assert!(matches!(
            bearer_token(&headers("Bearer ")),
            Err(AuthError::Malformed(_))
        ));
        assert!(matches!(
            bearer_token(&http::HeaderMap::new()),
            Err(AuthError::MissingToken)
        ));
    }
}
