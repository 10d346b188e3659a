//! The gateway's own service token: kind=service, in the platform tenant, scope `psp.notify`,
//! obtained from identity's `TokenService/IssueServiceToken` with the gateway's credential and
//! kept until shortly before it expires.
//!
//! Only raw PSP callbacks use it: their caller sends no token, and the tenant of a callback is
//! known only once the owning service verified its signature.

use std::time::Duration;

use bytes::Bytes;
use http::uri::PathAndQuery;
use prost::Message as _;
use prost_reflect::{DynamicMessage, MessageDescriptor, Value};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::Mutex;
use tokio::time::Instant;
use tonic::Status;

use super::{BytesCodec, Upstreams};
use crate::settings::ServiceTokenSettings;

/// The scope PSP callbacks are forwarded with.
const SCOPE: &str = "psp.notify";
/// How long a service token lives (`IssueServiceTokenResponse`: five minutes).
const LIFETIME: Duration = Duration::from_secs(300);
/// How long before its expiry a token is replaced.
const MARGIN: Duration = Duration::from_secs(60);
/// The method issuing service tokens.
const ISSUE: &str = "/siyu.identity.v1.TokenService/IssueServiceToken";

/// Obtains and caches the gateway's service token.
#[derive(Debug)]
pub struct ServiceTokens {
    service: String,
    credential: SecretString,
    request: Option<MessageDescriptor>,
    response: Option<MessageDescriptor>,
    /// One refresh at a time: concurrent callbacks wait for the token being fetched.
    cached: Mutex<Option<(String, Instant)>>,
}

impl ServiceTokens {
    /// Tokens for the credential in `settings` (none configured: every call fails).
    pub fn new(settings: &ServiceTokenSettings) -> Self {
        let method = siyu_proto::contract::Contract::global()
            .ok()
            .and_then(|c| c.method(ISSUE))
            .map(|m| m.descriptor.clone());
        Self {
            service: settings.service.clone(),
            credential: settings.credential.clone(),
            request: method.as_ref().map(|m| m.input()),
            response: method.as_ref().map(|m| m.output()),
            cached: Mutex::new(None),
        }
    }

    /// A live token, fetched from identity when none is cached or it expires soon.
    pub async fn get(&self, upstreams: &Upstreams, timeout: Duration) -> Result<String, Status> {
        let mut cached = self.cached.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = self.issue(upstreams, timeout).await?;
        *cached = Some((
            token.clone(),
            Instant::now() + lifetime.saturating_sub(MARGIN),
        ));
        Ok(token)
    }

    async fn issue(
        &self,
        upstreams: &Upstreams,
        timeout: Duration,
    ) -> Result<(String, Duration), Status> {
        let credential = self.credential.expose_secret();
        let (Some(request_desc), Some(response_desc)) = (&self.request, &self.response) else {
            return Err(Status::unavailable(
                "no service token method in the contract",
            ));
        };
        if credential.is_empty() {
            return Err(Status::unavailable("the gateway has no service credential"));
        }
        let mut request = DynamicMessage::new(request_desc.clone());
        let fields: [(&str, Value); 4] = [
            ("service", Value::String(self.service.clone())),
            ("credential", Value::String(credential.to_owned())),
            ("platform", Value::Bool(true)),
            ("scopes", Value::List(vec![Value::String(SCOPE.to_owned())])),
        ];
        for (name, value) in fields {
            let field = request_desc
                .get_field_by_name(name)
                .ok_or_else(|| Status::unavailable(format!("IssueServiceToken lacks {name}")))?;
            request.set_field(&field, value);
        }
        let mut client = upstreams
            .client("identity")
            .ok_or_else(|| Status::unavailable("upstream identity is not configured"))?;
        let call = async {
            client
                .ready()
                .await
                .map_err(|err| Status::unavailable(format!("identity: {err}")))?;
            let path = PathAndQuery::from_static(ISSUE);
            client
                .unary(
                    tonic::Request::new(Bytes::from(request.encode_to_vec())),
                    path,
                    BytesCodec,
                )
                .await
        };
        let reply = tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| Status::deadline_exceeded("identity did not answer in time"))??
            .into_inner();
        let reply = DynamicMessage::decode(response_desc.clone(), reply)
            .map_err(|err| Status::internal(format!("IssueServiceToken reply: {err}")))?;
        let token = match reply.get_field_by_name("access_token").as_deref() {
            Some(Value::String(token)) if !token.is_empty() => token.clone(),
            _ => return Err(Status::internal("IssueServiceToken answered no token")),
        };
        Ok((token, LIFETIME))
    }
}
