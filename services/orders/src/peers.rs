//! The services orders calls over gRPC — catalog (prices, reservations), membership (members,
//! coupons, points, stored value) and identity (app credentials, the payer's openid) — with a
//! service token in the caller's tenant (`siyu_server::peer`), and their answers turned into
//! [`AppError`]: a refusal passes through with its code, reason and metadata; anything else is
//! the peer being unavailable.

use std::collections::BTreeMap;
use std::time::Duration;

use std::sync::Arc;

use siyu_core::{Clock, TenantId};
use siyu_server::peer::{ServiceTokens, channel};
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

use crate::AppError;
use crate::settings::PeerSettings;

/// Channels to the peers and the service tokens to call them with.
#[derive(Debug)]
pub struct Peers {
    /// Service tokens per tenant.
    pub tokens: ServiceTokens,
    /// Identity.
    pub identity: Channel,
    /// Catalog.
    pub catalog: Channel,
    /// Membership.
    pub membership: Channel,
}

impl Peers {
    /// Lazily connected channels to the peers in `settings`; `clock` times service tokens.
    ///
    /// # Errors
    /// A URL that is not a URI.
    pub fn new(settings: &PeerSettings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        use secrecy::ExposeSecret as _;
        let timeout = Duration::from_secs(settings.timeout_secs.max(1));
        let identity = channel(&settings.identity_url, timeout)?;
        Ok(Self {
            tokens: ServiceTokens::new(
                identity.clone(),
                settings.service_name.clone(),
                settings.credential.expose_secret().to_owned(),
                clock,
            ),
            identity,
            catalog: channel(&settings.catalog_url, timeout)?,
            membership: channel(&settings.membership_url, timeout)?,
        })
    }

    /// `message` as a service-token request in `tenant` (token trouble → `service` unavailable).
    pub async fn request<T>(
        &self,
        service: &'static str,
        tenant: TenantId,
        message: T,
        idempotency_key: Option<&str>,
    ) -> Result<tonic::Request<T>, AppError> {
        self.tokens
            .request(tenant, message, idempotency_key)
            .await
            .map_err(|status| AppError::PeerUnavailable {
                service,
                detail: format!("service token: {status}"),
            })
    }
}

/// A peer's answer as an [`AppError`]: refusals of the request pass through; transport
/// failures, timeouts, internal errors and refusals of orders' own credentials are the peer
/// being unavailable (retry).
pub fn refusal(service: &'static str, status: &Status) -> AppError {
    match status.code() {
        Code::InvalidArgument
        | Code::NotFound
        | Code::AlreadyExists
        | Code::FailedPrecondition
        | Code::Aborted
        | Code::OutOfRange => {
            let details = status.get_error_details();
            let (reason, meta) = details
                .error_info()
                .map(|i| {
                    (
                        i.reason.clone(),
                        i.metadata
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect::<BTreeMap<_, _>>(),
                    )
                })
                .unwrap_or_else(|| {
                    (
                        format!("{:?}", status.code()).to_uppercase(),
                        BTreeMap::new(),
                    )
                });
            let fields = details
                .bad_request()
                .map(|b| {
                    b.field_violations
                        .iter()
                        .map(|v| (v.field.clone(), v.description.clone()))
                        .collect()
                })
                .unwrap_or_default();
            AppError::Refused {
                service,
                code: status.code(),
                reason,
                meta,
                fields,
            }
        }
        _ => AppError::PeerUnavailable {
            service,
            detail: status.to_string(),
        },
    }
}
