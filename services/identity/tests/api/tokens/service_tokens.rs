//! IssueServiceToken: tokens in one tenant, and in the platform tenant for the services
//! configured for it (the gateway forwarding PSP notifications).

use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{GATEWAY_SECRET, Harness, SERVICE_SECRET, assert_reason, authed, violations};

fn issue(
    service: &str,
    secret: &str,
    tenant_id: &str,
    platform: bool,
) -> pb::IssueServiceTokenRequest {
    pb::IssueServiceTokenRequest {
        service: service.into(),
        credential: secret.into(),
        tenant_id: tenant_id.into(),
        scopes: Vec::new(),
        platform,
    }
}

/// The tenant id a token acts in (its unverified claims; identity verified it on issue).
fn tenant_claim(token: &str) -> String {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims["tenant"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_service_token_names_the_tenant_it_acts_in() {
    let h = Harness::start().await;
    let (tenant, _, _) = h.tenant_with_app("svt1").await;
    let issued = h
        .tokens()
        .issue_service_token(issue("content", SERVICE_SECRET, &tenant, false))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(issued.tenant_id, tenant);
    assert_eq!(tenant_claim(&issued.access_token), tenant);
}

#[tokio::test]
async fn the_gateway_gets_a_platform_token_and_other_services_do_not() {
    let h = Harness::start().await;
    let platform = h
        .staff()
        .get_current_staff(authed(
            pb::GetCurrentStaffRequest::default(),
            &h.platform_token().await,
        ))
        .await
        .unwrap()
        .into_inner()
        .tenant_id;

    let issued = h
        .tokens()
        .issue_service_token(issue("gateway", GATEWAY_SECRET, "", true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(issued.tenant_id, platform);
    assert_eq!(tenant_claim(&issued.access_token), platform);
    // The token is a live service token: it reads what services read.
    h.tokens()
        .list_token_revocations(authed(
            pb::ListTokenRevocationsRequest::default(),
            &issued.access_token,
        ))
        .await
        .unwrap();

    let refused = h
        .tokens()
        .issue_service_token(issue("content", SERVICE_SECRET, "", true))
        .await
        .unwrap_err();
    assert_reason(
        &refused,
        Code::PermissionDenied,
        "PLATFORM_TOKEN_NOT_ALLOWED",
    );
    // The credential is checked first: a wrong one learns nothing about the allowance.
    let wrong = h
        .tokens()
        .issue_service_token(issue("gateway", SERVICE_SECRET, "", true))
        .await
        .unwrap_err();
    assert_reason(&wrong, Code::Unauthenticated, "SERVICE_CREDENTIALS_INVALID");
    let both = h
        .tokens()
        .issue_service_token(issue("gateway", GATEWAY_SECRET, &platform, true))
        .await
        .unwrap_err();
    assert_reason(&both, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&both), ["tenant_id"]);
}
