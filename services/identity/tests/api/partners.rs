//! Partner clients and the client-credentials grant: secrets shown once, scopes narrowed to the
//! requested subset, rotation grace, revocation, IP allow-lists, introspection (RFC 7662).

use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, SERVICE_SECRET, assert_reason, authed, count};
use crate::idempotency::keyed;

pub fn client(name: &str, scopes: &[&str]) -> pb::CreatePartnerClientRequest {
    pb::CreatePartnerClientRequest {
        client: Some(pb::PartnerClient {
            name: name.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        }),
    }
}

pub async fn create(
    h: &Harness,
    admin: &str,
    req: pb::CreatePartnerClientRequest,
) -> (pb::PartnerClient, String) {
    let created = h
        .partners()
        .create_partner_client(authed(req, admin))
        .await
        .unwrap()
        .into_inner();
    (created.client.unwrap(), created.client_secret)
}

pub async fn grant(
    h: &Harness,
    id: &str,
    secret: &str,
    scope: &str,
) -> Result<pb::IssueClientTokenResponse, tonic::Status> {
    grant_from(h, id, secret, scope, None).await
}

async fn grant_from(
    h: &Harness,
    id: &str,
    secret: &str,
    scope: &str,
    ip: Option<&str>,
) -> Result<pb::IssueClientTokenResponse, tonic::Status> {
    let mut request = tonic::Request::new(pb::IssueClientTokenRequest {
        grant_type: "client_credentials".into(),
        client_id: id.into(),
        client_secret: secret.into(),
        scope: scope.into(),
    });
    if let Some(ip) = ip {
        request
            .metadata_mut()
            .insert("x-client-ip", ip.parse().unwrap());
    }
    h.tokens()
        .issue_client_token(request)
        .await
        .map(tonic::Response::into_inner)
}

async fn introspect(h: &Harness, caller: &str, token: &str) -> pb::IntrospectTokenResponse {
    h.tokens()
        .introspect_token(authed(
            pb::IntrospectTokenRequest {
                token: token.into(),
                token_type_hint: String::new(),
            },
            caller,
        ))
        .await
        .unwrap()
        .into_inner()
}

pub async fn service_token(h: &Harness, tenant: &str) -> String {
    h.tokens()
        .issue_service_token(pb::IssueServiceTokenRequest {
            service: "content".into(),
            credential: SERVICE_SECRET.into(),
            tenant_id: tenant.into(),
            scopes: vec![],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .access_token
}

#[tokio::test]
async fn a_client_gets_scoped_tokens_that_introspect_until_revoked() {
    let h = Harness::start().await;
    let (tenant, _, admin) = h.tenant_with_app("pc1").await;
    let (c, secret) = create(&h, &admin, client("POS", &["orders.read", "catalog.read"])).await;
    assert!(secret.len() >= 64, "48 random bytes, base64url");
    assert_eq!(c.secret_last4, secret[secret.len() - 4..]);
    assert_eq!(c.rate_limit_per_minute, 600);
    assert_eq!(c.rate_limit_burst, 60);
    assert_eq!(c.token_ttl_seconds, 3600);
    // The stored secret is a hash, never the secret.
    let stored = count(
        &h,
        "SELECT COUNT(*) AS n FROM identity_partner_clients WHERE secret_hash = $1",
        &siyu_identity::crypto::sha256_hex(&secret),
    )
    .await;
    assert_eq!(stored, 1);

    let t = grant(&h, &c.client_id, &secret, "orders.read")
        .await
        .unwrap();
    assert_eq!(t.scope, "orders.read");
    assert_eq!(t.token_type, "Bearer");
    assert_eq!(t.expires_in, 3600);
    let all = grant(&h, &c.client_id, &secret, "").await.unwrap();
    assert_eq!(all.scope, "catalog.read orders.read");

    let seen = introspect(&h, &t.access_token, &t.access_token).await;
    assert!(seen.active);
    assert_eq!(seen.client_id, c.client_id);
    assert_eq!(seen.sub, c.client_id);
    assert_eq!(seen.scope, "orders.read");
    assert_eq!(seen.kind, "partner");
    assert_eq!(seen.tenant, tenant);
    assert_eq!(seen.username, "POS");
    assert_eq!(seen.token_type, "Bearer");
    assert!(seen.exp > seen.iat && seen.iat > 0);

    // A partner introspects only its own tokens; a consumer token answers inactive.
    let (other, other_secret) = create(&h, &admin, client("ERP", &["members.read"])).await;
    let other_token = grant(&h, &other.client_id, &other_secret, "")
        .await
        .unwrap()
        .access_token;
    assert!(!introspect(&h, &t.access_token, &other_token).await.active);
    assert!(!introspect(&h, &t.access_token, "garbage").await.active);

    // A service sees every token of its tenant.
    let svc = service_token(&h, &tenant).await;
    assert!(introspect(&h, &svc, &other_token).await.active);

    // The partner can read its own client, not another.
    let own = h
        .partners()
        .get_partner_client(authed(
            pb::GetPartnerClientRequest::default(),
            &t.access_token,
        ))
        .await
        .unwrap()
        .into_inner()
        .client
        .unwrap();
    assert_eq!(own.client_id, c.client_id);
    let err = h
        .partners()
        .get_partner_client(authed(
            pb::GetPartnerClientRequest {
                client_id: other.client_id.clone(),
            },
            &t.access_token,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "PARTNER_CLIENT_NOT_FOUND");

    // Revocation: no new tokens, issued ones are inactive and refused at identity.
    let revoked = h
        .partners()
        .revoke_partner_client(authed(
            pb::RevokePartnerClientRequest {
                client_id: c.client_id.clone(),
                reason: "contract ended".into(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .client
        .unwrap();
    assert_eq!(revoked.status, pb::PartnerClientStatus::Revoked as i32);
    let err = grant(&h, &c.client_id, &secret, "").await.unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "CLIENT_REVOKED");
    assert!(!introspect(&h, &svc, &t.access_token).await.active);
    let err = h
        .partners()
        .get_partner_client(authed(
            pb::GetPartnerClientRequest::default(),
            &t.access_token,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "TOKEN_REVOKED");
    // Revoking again succeeds; updating a revoked client does not.
    h.partners()
        .revoke_partner_client(authed(
            pb::RevokePartnerClientRequest {
                client_id: c.client_id.clone(),
                reason: String::new(),
            },
            &admin,
        ))
        .await
        .unwrap();
    let err = h
        .partners()
        .update_partner_client(authed(
            pb::UpdatePartnerClientRequest {
                client: Some(pb::PartnerClient {
                    client_id: c.client_id.clone(),
                    etag: revoked.etag.clone(),
                    name: "x".into(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["name".into()],
                }),
                revoke_tokens: false,
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "CLIENT_REVOKED");
    let listed = h
        .partners()
        .list_partner_clients(authed(
            pb::ListPartnerClientsRequest {
                status: pb::PartnerClientStatus::Active as i32,
                page: None,
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .clients;
    assert_eq!(
        listed
            .iter()
            .map(|c| c.client_id.clone())
            .collect::<Vec<_>>(),
        vec![other.client_id]
    );
}

#[tokio::test]
async fn bad_credentials_and_scopes_get_the_documented_reasons() {
    let h = Harness::start().await;
    let (tenant, _, admin) = h.tenant_with_app("pc2").await;
    let (c, secret) = create(&h, &admin, client("POS", &["orders.read"])).await;
    let before = count(
        &h,
        "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1",
        "PARTNER_AUTH_FAILED",
    )
    .await;
    let err = grant(&h, &c.client_id, "wrong-secret", "")
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "INVALID_CLIENT");
    let err = grant(&h, "01890000-0000-7000-8000-000000000000", &secret, "")
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "INVALID_CLIENT");
    let err = grant(&h, &c.client_id, &secret, "orders.read orders.write")
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_SCOPE");
    let err = h
        .tokens()
        .issue_client_token(pb::IssueClientTokenRequest {
            grant_type: "password".into(),
            client_id: c.client_id.clone(),
            client_secret: secret.clone(),
            scope: String::new(),
        })
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "UNSUPPORTED_GRANT_TYPE");
    let after = count(
        &h,
        "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1",
        "PARTNER_AUTH_FAILED",
    )
    .await;
    assert_eq!(after - before, 2, "wrong secret and bad scope are audited");

    // Creation input.
    let err = h
        .partners()
        .create_partner_client(authed(
            client("X", &["orders.read", "orders.delete"]),
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "UNKNOWN_SCOPE");
    let info = tonic_types::StatusExt::get_details_error_info(&err).unwrap();
    assert_eq!(info.metadata.get("scope").unwrap(), "orders.delete");
    let mut bad_cidr = client("X", &["orders.read"]);
    bad_cidr.client.as_mut().unwrap().ip_allow_list = vec!["10.0.0.0/40".into()];
    let err = h
        .partners()
        .create_partner_client(authed(bad_cidr, &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_CIDR");
    let mut bad_ttl = client("X", &["orders.read"]);
    bad_ttl.client.as_mut().unwrap().token_ttl_seconds = 10;
    let err = h
        .partners()
        .create_partner_client(authed(bad_ttl, &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    let err = h
        .partners()
        .create_partner_client(authed(client("", &["orders.read"]), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");

    // Service credentials.
    let err = h
        .tokens()
        .issue_service_token(pb::IssueServiceTokenRequest {
            service: "content".into(),
            credential: "nope".into(),
            tenant_id: tenant.clone(),
            scopes: vec![],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "SERVICE_CREDENTIALS_INVALID");
    let err = h
        .tokens()
        .issue_service_token(pb::IssueServiceTokenRequest {
            service: "content".into(),
            credential: SERVICE_SECRET.into(),
            tenant_id: tenant,
            scopes: vec!["orders.write".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "UNKNOWN_SCOPE");
    // Staff may not introspect.
    let err = h
        .tokens()
        .introspect_token(authed(pb::IntrospectTokenRequest::default(), &admin))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn rotation_grace_ip_allow_list_and_token_revocation_on_update() {
    let h = Harness::start().await;
    let (tenant, _, admin) = h.tenant_with_app("pc3").await;
    let mut req = client("POS", &["orders.read", "catalog.read"]);
    req.client.as_mut().unwrap().ip_allow_list = vec!["10.0.0.0/8".into(), "203.0.113.7".into()];
    // Idempotent creation returns the same client and the same secret.
    let first = h
        .partners()
        .create_partner_client(keyed(req.clone(), &admin, "pc-create"))
        .await
        .unwrap()
        .into_inner();
    let again = h
        .partners()
        .create_partner_client(keyed(req, &admin, "pc-create"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again);
    let c = first.client.unwrap();
    let old_secret = first.client_secret;
    // The idempotency record holds the secret sealed, never in clear.
    let clear = count(
        &h,
        "SELECT COUNT(*) AS n FROM siyu_idempotency WHERE position(convert_to($1, 'UTF8') in response) > 0",
        &old_secret,
    )
    .await;
    assert_eq!(clear, 0);
    let stored = count(
        &h,
        "SELECT COUNT(*) AS n FROM siyu_idempotency WHERE method = $1",
        "CreatePartnerClient",
    )
    .await;
    assert_eq!(stored, 1);

    let err = grant_from(&h, &c.client_id, &old_secret, "", Some("192.168.1.1"))
        .await
        .unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "IP_NOT_ALLOWED");
    let err = grant_from(&h, &c.client_id, &old_secret, "", None)
        .await
        .unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "IP_NOT_ALLOWED");
    grant_from(&h, &c.client_id, &old_secret, "", Some("10.20.30.40"))
        .await
        .unwrap();
    let before = grant_from(&h, &c.client_id, &old_secret, "", Some("203.0.113.7"))
        .await
        .unwrap()
        .access_token;

    // Rotation with grace: both secrets work; without grace only the new one.
    let rotated = h
        .partners()
        .rotate_partner_client_secret(authed(
            pb::RotatePartnerClientSecretRequest {
                client_id: c.client_id.clone(),
                previous_secret_grace_seconds: 3600,
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(rotated.client_secret, old_secret);
    assert!(
        rotated
            .client
            .unwrap()
            .previous_secret_expire_time
            .is_some()
    );
    let ip = Some("10.0.0.1");
    grant_from(&h, &c.client_id, &old_secret, "", ip)
        .await
        .unwrap();
    grant_from(&h, &c.client_id, &rotated.client_secret, "", ip)
        .await
        .unwrap();
    let rotated2 = h
        .partners()
        .rotate_partner_client_secret(authed(
            pb::RotatePartnerClientSecretRequest {
                client_id: c.client_id.clone(),
                previous_secret_grace_seconds: 0,
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let err = grant_from(&h, &c.client_id, &rotated.client_secret, "", ip)
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "INVALID_CLIENT");
    let newest = rotated2.client_secret;
    let current = rotated2.client.unwrap();

    // Narrow scopes and revoke tokens: the earlier token goes inactive at once.
    let svc = service_token(&h, &tenant).await;
    assert!(introspect(&h, &svc, &before).await.active);
    let updated = h
        .partners()
        .update_partner_client(authed(
            pb::UpdatePartnerClientRequest {
                client: Some(pb::PartnerClient {
                    client_id: c.client_id.clone(),
                    etag: current.etag.clone(),
                    scopes: vec!["orders.read".into()],
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["scopes".into()],
                }),
                revoke_tokens: true,
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .client
        .unwrap();
    assert_eq!(updated.scopes, vec!["orders.read".to_owned()]);
    assert!(!introspect(&h, &svc, &before).await.active);
    let fresh = grant_from(&h, &c.client_id, &newest, "", ip).await.unwrap();
    assert_eq!(fresh.scope, "orders.read");
    assert!(introspect(&h, &svc, &fresh.access_token).await.active);
    let err = grant_from(&h, &c.client_id, &newest, "catalog.read", ip)
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_SCOPE");
    // A stale etag is a concurrent modification.
    let err = h
        .partners()
        .update_partner_client(authed(
            pb::UpdatePartnerClientRequest {
                client: Some(pb::PartnerClient {
                    client_id: c.client_id.clone(),
                    etag: current.etag,
                    name: "late".into(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["name".into()],
                }),
                revoke_tokens: false,
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Aborted, "CONCURRENT_MODIFICATION");
    let scopes_changed = count(
        &h,
        "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1",
        "PARTNER_SCOPES_CHANGED",
    )
    .await;
    assert_eq!(scopes_changed, 1);
}
