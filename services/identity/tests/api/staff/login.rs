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

fn employee(tenant: &str, store: &str, no: &str, password: &str) -> pb::LoginStaffRequest {
    pb::LoginStaffRequest {
        tenant_code: tenant.into(),
        identifier: Some(pb::login_staff_request::Identifier::Employee(
            pb::EmployeeLogin {
                store_code: store.into(),
                employee_no: no.into(),
            },
        )),
        password: password.into(),
    }
}

#[tokio::test]
async fn guides_log_in_by_store_code_and_employee_number_with_the_same_lockout() {
    use crate::staff::admin::{create_staff, new_staff, tree};
    let h = Harness::start().await;
    let (_, _, admin) = h.tenant_with_app("acme").await;
    let t = tree(&h, &admin).await;
    let mut req = new_staff("guide1", &t.store_a, &[(pb::StaffRole::Guide, &t.store_a)]);
    if let Some(s) = req.staff.as_mut() {
        s.employee_no = "E100".into();
    }
    create_staff(&h, &admin, req).await.unwrap();
    // First login: the forced password change, as with a login name.
    let first = h
        .staff_auth()
        .login_staff(employee("acme", "SA", "E100", PASSWORD))
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    assert!(matches!(
        first.outcome,
        Some(pb::staff_login_result::Outcome::Challenge(_))
    ));
    // Another store's code, an unknown number, a wrong password: one answer.
    for req in [
        employee("acme", "SB", "E100", PASSWORD),
        employee("acme", "SA", "E999", PASSWORD),
        employee("acme", "NOPE", "E100", PASSWORD),
    ] {
        let err = h.staff_auth().login_staff(req).await.unwrap_err();
        assert_reason(&err, Code::Unauthenticated, "INVALID_CREDENTIALS");
    }
    for _ in 0..5 {
        let err = h
            .staff_auth()
            .login_staff(employee("acme", "SA", "E100", "wrong-password-1"))
            .await
            .unwrap_err();
        assert_reason(&err, Code::Unauthenticated, "INVALID_CREDENTIALS");
    }
    let err = h
        .staff_auth()
        .login_staff(employee("acme", "SA", "E100", PASSWORD))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "ACCOUNT_LOCKED");
    // The lock is the account's: the login name is locked too.
    let err = h
        .staff_auth()
        .login_staff(login("acme", "guide1", PASSWORD))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "ACCOUNT_LOCKED");
    let err = h
        .staff_auth()
        .login_staff(employee("acme", "", "E100", PASSWORD))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(
        crate::helpers::violations(&err),
        vec!["employee.store_code"]
    );
}

#[tokio::test]
async fn a_logged_in_password_change_keeps_this_session_and_revokes_the_others() {
    let h = Harness::start().await;
    let (_, _, admin) = h.tenant_with_app("acme").await;
    let current = format!("{PASSWORD}-new");
    let other = h.staff_login("acme", "admin", &current).await;
    let change = |token: &str, current: &str, new: &str| {
        let mut client = h.staff_auth();
        let req = authed(
            pb::ChangeStaffPasswordRequest {
                current_password: current.into(),
                challenge_token: String::new(),
                new_password: new.into(),
            },
            token,
        );
        async move { client.change_staff_password(req).await }
    };
    let err = change(&admin, "wrong-password-1", "Another-Horse-77")
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "INVALID_CREDENTIALS");
    assert_eq!(
        crate::helpers::count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1",
            "STAFF_LOGIN_FAILED"
        )
        .await,
        1
    );
    let err = change(&admin, &current, "short").await.unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "PASSWORD_TOO_WEAK");
    let err = change(&admin, &current, &current).await.unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "PASSWORD_REUSED");
    let err = change(&admin, "", "Another-Horse-77").await.unwrap_err();
    assert_eq!(crate::helpers::violations(&err), vec!["current_password"]);
    let reply = change(&admin, &current, "Another-Horse-77")
        .await
        .unwrap()
        .into_inner();
    assert!(reply.result.is_none());
    // This session lives on, the other one is revoked, the new password logs in.
    h.staff()
        .get_current_staff(authed(pb::GetCurrentStaffRequest {}, &admin))
        .await
        .unwrap();
    let err = h
        .staff()
        .get_current_staff(authed(pb::GetCurrentStaffRequest {}, &other.access_token))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "TOKEN_REVOKED");
    h.staff_login("acme", "admin", "Another-Horse-77").await;
    assert_eq!(
        crate::helpers::count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1",
            "PASSWORD_CHANGED"
        )
        .await,
        2
    );
}
