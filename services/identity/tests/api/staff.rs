//! Staff login: lockout, forced password change, tenant creation rules, tenant isolation.

use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, PASSWORD, assert_reason, authed};

fn login(tenant: &str, name: &str, password: &str) -> pb::LoginStaffRequest {
    pb::LoginStaffRequest {
        tenant_code: tenant.into(),
        identifier: Some(pb::login_staff_request::Identifier::LoginName(name.into())),
        password: password.into(),
    }
}

#[tokio::test]
async fn the_sixth_wrong_password_finds_the_account_locked() {
    let h = Harness::start().await;
    for _ in 0..5 {
        let err = h
            .staff_auth()
            .login_staff(login("platform", "root", "wrong-password-1"))
            .await
            .unwrap_err();
        assert_reason(&err, Code::Unauthenticated, "INVALID_CREDENTIALS");
    }
    let err = h
        .staff_auth()
        .login_staff(login("platform", "root", "wrong-password-1"))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "ACCOUNT_LOCKED");
    // Even the right password is refused while locked.
    let err = h
        .staff_auth()
        .login_staff(login("platform", "root", PASSWORD))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "ACCOUNT_LOCKED");
    // Unknown login names answer exactly like wrong passwords.
    let err = h
        .staff_auth()
        .login_staff(login("platform", "ghost", PASSWORD))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "INVALID_CREDENTIALS");
    let err = h
        .staff_auth()
        .login_staff(login("nope", "root", PASSWORD))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "TENANT_NOT_FOUND");
}

#[tokio::test]
async fn new_tenant_admins_must_change_their_password_and_get_role_claims() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("acme").await;
    let resolved = h
        .tenants()
        .resolve_tenant_by_app_id(pb::ResolveTenantByAppIdRequest {
            app_id: app_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resolved.tenant_id, tenant);
    let got = h
        .tenants()
        .get_tenant(authed(pb::GetTenantRequest::default(), &admin))
        .await
        .unwrap()
        .into_inner()
        .tenant
        .unwrap();
    assert_eq!(got.code, "acme");
    // The initial password no longer works after the forced change.
    let err = h
        .staff_auth()
        .login_staff(login("acme", "admin", PASSWORD))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "INVALID_CREDENTIALS");
    // Tenant admins are not platform callers.
    let err = h
        .tenants()
        .create_tenant(authed(
            pb::CreateTenantRequest {
                code: "x1".into(),
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "PERMISSION_DENIED");
}

#[tokio::test]
async fn create_tenant_bad_input_and_duplicates() {
    let h = Harness::start().await;
    let platform = h.platform_token().await;
    let base = pb::CreateTenantRequest {
        code: "dup".into(),
        name: "Dup".into(),
        admin_login_name: "admin".into(),
        admin_display_name: "A".into(),
        admin_initial_password: PASSWORD.into(),
        ..Default::default()
    };
    let weak = pb::CreateTenantRequest {
        admin_initial_password: "short".into(),
        ..base.clone()
    };
    let err = h
        .tenants()
        .create_tenant(authed(weak, &platform))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "PASSWORD_TOO_WEAK");
    let bad_code = pb::CreateTenantRequest {
        code: "Bad Code!".into(),
        ..base.clone()
    };
    let err = h
        .tenants()
        .create_tenant(authed(bad_code, &platform))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    h.tenants()
        .create_tenant(authed(base.clone(), &platform))
        .await
        .unwrap();
    let err = h
        .tenants()
        .create_tenant(authed(base, &platform))
        .await
        .unwrap_err();
    assert_reason(&err, Code::AlreadyExists, "TENANT_CODE_TAKEN");
    let err = h
        .tenants()
        .resolve_tenant_by_app_id(pb::ResolveTenantByAppIdRequest {
            app_id: "wx_unknown".into(),
        })
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "APP_NOT_FOUND");
}

#[tokio::test]
async fn another_tenants_ids_read_as_not_found() {
    let h = Harness::start().await;
    let (tenant_a, _app_a, _admin_a) = h.tenant_with_app("ta").await;
    let (_tenant_b, app_b, admin_b) = h.tenant_with_app("tb").await;
    let consumer_b = h.wechat_login(&app_b, "o_b").await.tokens.unwrap();
    let err = h
        .tenants()
        .get_tenant(authed(
            pb::GetTenantRequest {
                tenant_id: tenant_a.clone(),
            },
            &admin_b,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "TENANT_NOT_FOUND");
    let err = h
        .audit()
        .verify_audit_chain(authed(
            pb::VerifyAuditChainRequest {
                tenant_id: tenant_a.clone(),
                ..Default::default()
            },
            &admin_b,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "TENANT_NOT_FOUND");
    // A session of tenant A cannot be revoked with a token of tenant B.
    let (_, app_a2, _) = (tenant_a, h.control.register_app().await.unwrap().appid, ());
    let _ = app_a2;
    let a_sessions = h
        .tokens()
        .list_sessions(authed(pb::ListSessionsRequest::default(), &admin_b))
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert!(!a_sessions.is_empty());
    let err = h
        .tokens()
        .revoke_session(authed(
            pb::RevokeSessionRequest {
                session_id: consumer_b.session_id.clone(),
                reason: String::new(),
            },
            &admin_b,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "SESSION_NOT_FOUND");
}
