//! A small real identity upstream: TokenService and OrgService from the generated server
//! traits, on port 0. It serves the JWKS the test tokens are signed with, counts mutating
//! calls and answers chosen statuses with rich details, so the gateway (the thing under
//! test) can be observed from the outside.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use payments::wechat_pay_notify_service_server::{
    WechatPayNotifyService, WechatPayNotifyServiceServer,
};
use pb::org_service_server::{OrgService, OrgServiceServer};
use pb::token_service_server::{TokenService, TokenServiceServer};
use siyu_proto::identity::v1 as pb;
use siyu_proto::payments::v1 as payments;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt as _};

/// What the upstream saw.
#[derive(Debug, Default)]
pub struct Seen {
    pub logout_everywhere_calls: AtomicUsize,
    pub revoke_calls: AtomicUsize,
    pub service_token_calls: AtomicUsize,
    pub metadata: Mutex<Vec<HashMap<String, String>>>,
    /// PSP notifications received (the orders side of this upstream).
    pub notifications: Mutex<Vec<payments::HandleWechatPayNotificationRequest>>,
    /// Org unit ids UpdateOrgUnit received (bound from the nested path parameter).
    pub updated_org_units: Mutex<Vec<String>>,
}

/// The gateway's service credential the upstream accepts.
pub const GATEWAY_CREDENTIAL: &str = "gw-secret";

#[derive(Clone)]
pub struct Identity {
    pub seen: Arc<Seen>,
    pub jwks: serde_json::Value,
}

impl Identity {
    fn record<T>(&self, request: &Request<T>) {
        let mut map = HashMap::new();
        for key in [
            "authorization",
            "x-idempotency-key",
            "x-request-id",
            "x-client-ip",
            "traceparent",
        ] {
            if let Some(value) = request.metadata().get(key).and_then(|v| v.to_str().ok()) {
                map.insert(key.to_owned(), value.to_owned());
            }
        }
        self.seen.metadata.lock().unwrap().push(map);
    }

    pub fn last_metadata(&self) -> HashMap<String, String> {
        self.seen
            .metadata
            .lock()
            .unwrap()
            .last()
            .cloned()
            .unwrap_or_default()
    }
}

/// Starts the upstream; returns its URL.
pub async fn start(identity: Identity) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(TokenServiceServer::new(identity.clone()))
            .add_service(OrgServiceServer::new(identity.clone()))
            .add_service(WechatPayNotifyServiceServer::new(identity))
            .serve_with_incoming(TcpListenerStream::new(listener))
            .await
            .unwrap();
    });
    url
}

/// The status `session_id` asks for: `err-<code>` answers that code with ErrorInfo
/// (reason `<CODE>_REASON`) and, for invalid arguments, a field violation.
fn chosen_status(session_id: &str) -> Option<Status> {
    let code = match session_id.strip_prefix("err-")? {
        "invalid" => Code::InvalidArgument,
        "unauthenticated" => Code::Unauthenticated,
        "denied" => Code::PermissionDenied,
        "notfound" => Code::NotFound,
        "exists" => Code::AlreadyExists,
        "precondition" => Code::FailedPrecondition,
        "exhausted" => Code::ResourceExhausted,
        "unavailable" => Code::Unavailable,
        "deadline" => Code::DeadlineExceeded,
        "aborted" => Code::Aborted,
        "internal" => Code::Internal,
        _ => Code::Unknown,
    };
    let reason = format!("{code:?}_REASON").to_uppercase();
    let mut meta = HashMap::new();
    meta.insert("retry_after_seconds".to_owned(), "7".to_owned());
    let mut details = ErrorDetails::with_error_info(reason, "identity.siyu", meta);
    if code == Code::InvalidArgument {
        details.set_bad_request(vec![FieldViolation::new("reason", "must not be empty")]);
    }
    Some(Status::with_error_details(
        code,
        "secret internal detail 42",
        details,
    ))
}

fn unimplemented<T>() -> Result<Response<T>, Status> {
    Err(Status::unimplemented("not in the test upstream"))
}

#[tonic::async_trait]
impl TokenService for Identity {
    async fn refresh_session(
        &self,
        _: Request<pb::RefreshSessionRequest>,
    ) -> Result<Response<pb::RefreshSessionResponse>, Status> {
        unimplemented()
    }
    async fn logout(
        &self,
        _: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        unimplemented()
    }

    async fn logout_everywhere(
        &self,
        request: Request<pb::LogoutEverywhereRequest>,
    ) -> Result<Response<pb::LogoutEverywhereResponse>, Status> {
        self.record(&request);
        let n = self
            .seen
            .logout_everywhere_calls
            .fetch_add(1, Ordering::SeqCst)
            + 1;
        // Some work, so concurrent duplicates overlap with the first call.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let count = if request.get_ref().keep_current {
            100 + n
        } else {
            n
        };
        Ok(Response::new(pb::LogoutEverywhereResponse {
            revoked_session_count: count as i32,
        }))
    }

    async fn list_sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> Result<Response<pb::ListSessionsResponse>, Status> {
        self.record(&request);
        let req = request.into_inner();
        let page_size = req.page.map(|p| p.page_size).unwrap_or_default();
        Ok(Response::new(pb::ListSessionsResponse {
            sessions: vec![pb::Session {
                session_id: format!("{}:{page_size}", req.subject_id),
                principal_kind: req.principal_kind,
                current: true,
                ..Default::default()
            }],
            page: None,
        }))
    }

    async fn revoke_session(
        &self,
        request: Request<pb::RevokeSessionRequest>,
    ) -> Result<Response<pb::RevokeSessionResponse>, Status> {
        self.record(&request);
        self.seen.revoke_calls.fetch_add(1, Ordering::SeqCst);
        let id = request.get_ref().session_id.clone();
        if id == "slow" {
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        match chosen_status(&id) {
            Some(status) => Err(status),
            None => Ok(Response::new(pb::RevokeSessionResponse {})),
        }
    }

    async fn get_jwks(
        &self,
        request: Request<pb::GetJwksRequest>,
    ) -> Result<Response<pb::GetJwksResponse>, Status> {
        self.record(&request);
        let keys = self.jwks["keys"].as_array().cloned().unwrap_or_default();
        let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
        Ok(Response::new(pb::GetJwksResponse {
            keys: keys
                .iter()
                .map(|k| pb::Jwk {
                    kty: text(k, "kty"),
                    crv: text(k, "crv"),
                    x: text(k, "x"),
                    y: text(k, "y"),
                    kid: text(k, "kid"),
                    alg: text(k, "alg"),
                    r#use: text(k, "use"),
                })
                .collect(),
            max_age_seconds: 300,
        }))
    }

    async fn list_signing_keys(
        &self,
        _: Request<pb::ListSigningKeysRequest>,
    ) -> Result<Response<pb::ListSigningKeysResponse>, Status> {
        unimplemented()
    }
    async fn rotate_signing_key(
        &self,
        _: Request<pb::RotateSigningKeyRequest>,
    ) -> Result<Response<pb::RotateSigningKeyResponse>, Status> {
        unimplemented()
    }
    async fn list_token_revocations(
        &self,
        _: Request<pb::ListTokenRevocationsRequest>,
    ) -> Result<Response<pb::ListTokenRevocationsResponse>, Status> {
        unimplemented()
    }
    async fn issue_service_token(
        &self,
        request: Request<pb::IssueServiceTokenRequest>,
    ) -> Result<Response<pb::IssueServiceTokenResponse>, Status> {
        let req = request.into_inner();
        let n = self.seen.service_token_calls.fetch_add(1, Ordering::SeqCst);
        let expected = req.service == "gateway"
            && req.credential == GATEWAY_CREDENTIAL
            && req.platform
            && req.scopes == ["psp.notify"];
        if !expected {
            return Err(Status::unauthenticated("SERVICE_CREDENTIALS_INVALID"));
        }
        Ok(Response::new(pb::IssueServiceTokenResponse {
            access_token: format!("service-token-{n}"),
            ..Default::default()
        }))
    }

    async fn issue_client_token(
        &self,
        request: Request<pb::IssueClientTokenRequest>,
    ) -> Result<Response<pb::IssueClientTokenResponse>, Status> {
        self.record(&request);
        let req = request.into_inner();
        if req.grant_type != "client_credentials" {
            let details = ErrorDetails::with_error_info(
                "UNSUPPORTED_GRANT_TYPE",
                "identity.siyu",
                HashMap::new(),
            );
            return Err(Status::with_error_details(
                Code::InvalidArgument,
                "unsupported grant",
                details,
            ));
        }
        if req.client_secret != "s3cret" {
            let details =
                ErrorDetails::with_error_info("INVALID_CLIENT", "identity.siyu", HashMap::new());
            return Err(Status::with_error_details(
                Code::Unauthenticated,
                "bad client",
                details,
            ));
        }
        Ok(Response::new(pb::IssueClientTokenResponse {
            access_token: format!("token-for-{}", req.client_id),
            token_type: "Bearer".into(),
            expires_in: 600,
            scope: req.scope,
        }))
    }

    async fn introspect_token(
        &self,
        request: Request<pb::IntrospectTokenRequest>,
    ) -> Result<Response<pb::IntrospectTokenResponse>, Status> {
        self.record(&request);
        let req = request.into_inner();
        Ok(Response::new(pb::IntrospectTokenResponse {
            active: req.token == "live",
            sub: "introspected".into(),
            exp: 9_007_199_254_740_993,
            ..Default::default()
        }))
    }
}

#[tonic::async_trait]
impl OrgService for Identity {
    async fn create_org_unit(
        &self,
        _: Request<pb::CreateOrgUnitRequest>,
    ) -> Result<Response<pb::CreateOrgUnitResponse>, Status> {
        unimplemented()
    }
    async fn update_org_unit(
        &self,
        request: Request<pb::UpdateOrgUnitRequest>,
    ) -> Result<Response<pb::UpdateOrgUnitResponse>, Status> {
        let unit = request.into_inner().org_unit.unwrap_or_default();
        self.seen
            .updated_org_units
            .lock()
            .unwrap()
            .push(unit.org_unit_id.clone());
        Ok(Response::new(pb::UpdateOrgUnitResponse {
            org_unit: Some(unit),
        }))
    }
    async fn move_org_unit(
        &self,
        _: Request<pb::MoveOrgUnitRequest>,
    ) -> Result<Response<pb::MoveOrgUnitResponse>, Status> {
        unimplemented()
    }
    async fn disable_org_unit(
        &self,
        _: Request<pb::DisableOrgUnitRequest>,
    ) -> Result<Response<pb::DisableOrgUnitResponse>, Status> {
        unimplemented()
    }
    async fn enable_org_unit(
        &self,
        _: Request<pb::EnableOrgUnitRequest>,
    ) -> Result<Response<pb::EnableOrgUnitResponse>, Status> {
        unimplemented()
    }
    async fn get_org_unit(
        &self,
        _: Request<pb::GetOrgUnitRequest>,
    ) -> Result<Response<pb::GetOrgUnitResponse>, Status> {
        unimplemented()
    }
    async fn batch_get_org_units(
        &self,
        _: Request<pb::BatchGetOrgUnitsRequest>,
    ) -> Result<Response<pb::BatchGetOrgUnitsResponse>, Status> {
        unimplemented()
    }
    async fn list_org_children(
        &self,
        _: Request<pb::ListOrgChildrenRequest>,
    ) -> Result<Response<pb::ListOrgChildrenResponse>, Status> {
        unimplemented()
    }
    async fn get_org_subtree(
        &self,
        _: Request<pb::GetOrgSubtreeRequest>,
    ) -> Result<Response<pb::GetOrgSubtreeResponse>, Status> {
        unimplemented()
    }
    async fn get_org_path(
        &self,
        _: Request<pb::GetOrgPathRequest>,
    ) -> Result<Response<pb::GetOrgPathResponse>, Status> {
        unimplemented()
    }

    async fn list_stores(
        &self,
        request: Request<pb::ListStoresRequest>,
    ) -> Result<Response<pb::ListStoresResponse>, Status> {
        self.record(&request);
        if request.get_ref().query == "fail" {
            let details = ErrorDetails::with_error_info(
                "STORE_QUERY_INVALID",
                "identity.siyu",
                HashMap::new(),
            );
            return Err(Status::with_error_details(
                Code::InvalidArgument,
                "bad query",
                details,
            ));
        }
        Ok(Response::new(pb::ListStoresResponse::default()))
    }
}

/// The orders side: WeChat Pay notifications are recorded; a body of `bad-signature` is
/// refused as a service would refuse a signature that does not verify.
#[tonic::async_trait]
impl WechatPayNotifyService for Identity {
    async fn handle_wechat_pay_notification(
        &self,
        request: Request<payments::HandleWechatPayNotificationRequest>,
    ) -> Result<Response<payments::HandleWechatPayNotificationResponse>, Status> {
        self.record(&request);
        let req = request.into_inner();
        let refused = req.body == b"bad-signature";
        self.seen.notifications.lock().unwrap().push(req);
        if refused {
            let details = ErrorDetails::with_error_info(
                "PAYMENT_SIGNATURE_INVALID",
                "payments.siyu",
                HashMap::new(),
            );
            return Err(Status::with_error_details(
                Code::Unauthenticated,
                "signature does not verify",
                details,
            ));
        }
        Ok(Response::new(
            payments::HandleWechatPayNotificationResponse::default(),
        ))
    }
}
