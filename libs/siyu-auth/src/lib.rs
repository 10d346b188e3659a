//! Access tokens for Siyu services: claims, verification against a cached JWKS, a signing
//! helper for the identity service, permission checks and the server-side gRPC layer.
//!
//! A service wires it as:
//! ```ignore
//! let verifier = Arc::new(JwksVerifier::from_settings(settings.auth.clone(), siyu_core::clock::system())?);
//! verifier.refresh().await?;                 // warm the cache before serving
//! let _refresh = verifier.spawn_refresh();   // keep the task alive; it stops on drop
//! Server::builder()
//!     .layer(AuthLayer::new(verifier).public_method("/siyu.identity.v1.AuthService/Login"))
//!     .add_service(svc);
//! // in a handler:
//! let ctx = siyu_auth::ctx_from(&request)?;
//! siyu_auth::require_scope(ctx, "catalog.read")?;
//! ```

mod authenticate;
mod claims;
mod error;
mod jwk;
mod layer;
mod permissions;
mod settings;
mod signing;
mod verifier;

pub use authenticate::{AuthFuture, Authenticate};
pub use claims::{Audience, Claims, RoleClaim};
pub use error::{AuthError, ERROR_DOMAIN};
pub use layer::{AuthLayer, AuthService, bearer_token, ctx_from};
pub use permissions::{require_kind, require_on, require_role_on, require_scope, require_tenant};
pub use settings::VerifierSettings;
pub use signing::{SigningAlgorithm, SigningKey};
pub use verifier::{JwksVerifier, RefreshTask};
