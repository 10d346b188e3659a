//! TokenService admin session views: customer_service ends a consumer's session, a
//! tenant_admin sees staff sessions in scope; out of reach reads as NOT_FOUND / denied.

use futures::future::join_all;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, PASSWORD, assert_reason, authed, count, service_token, violations};
use crate::staff::admin::{create_staff, new_staff, tree};

fn of(kind: pb::PrincipalKind, id: &str) -> pb::ListSessionsRequest {
    pb::ListSessionsRequest {
        principal_kind: kind as i32,
        subject_id: id.into(),
        page: None,
    }
}

fn revoke(sid: &str, reason: &str) -> pb::RevokeSessionRequest {
    pb::RevokeSessionRequest {
        session_id: sid.into(),
        reason: reason.into(),
    }
}

/// (customer_service token, store_manager staff id and token) of a tenant.
async fn staff_of(h: &Harness, code: &str, admin: &str) -> (String, String, String) {
    let t = tree(h, admin).await;
    create_staff(
        h,
        admin,
        new_staff(
            "cs.one",
            &t.root,
            &[(pb::StaffRole::CustomerService, t.root.as_str())],
        ),
    )
    .await
    .unwrap();
    let manager = create_staff(
        h,
        admin,
        new_staff(
            "sm.one",
            &t.store_a,
            &[(pb::StaffRole::StoreManager, t.store_a.as_str())],
        ),
    )
    .await
    .unwrap();
    let cs = h.staff_login(code, "cs.one", PASSWORD).await.access_token;
    let sm = h.staff_login(code, "sm.one", PASSWORD).await.access_token;
    (cs, manager.staff_id, sm)
}

#[tokio::test]
async fn customer_service_ends_a_consumers_session_and_admins_see_staff_sessions() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("sv1").await;
    let (cs, manager_id, sm) = staff_of(&h, "sv1", &admin).await;
    let login = h.wechat_login(&app_id, "o_sv1").await;
    let user = login.user.unwrap().user_id;
    let consumer = login.tokens.unwrap();

    let listed = h
        .tokens()
        .list_sessions(authed(of(pb::PrincipalKind::Consumer, &user), &cs))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.sessions.len(), 1);
    assert_eq!(listed.sessions[0].session_id, consumer.session_id);
    assert!(!listed.sessions[0].current);
    h.tokens()
        .revoke_session(authed(revoke(&consumer.session_id, "lost phone"), &cs))
        .await
        .unwrap();
    let dead = h
        .tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: consumer.refresh_token,
        })
        .await
        .unwrap_err();
    assert_reason(&dead, Code::Unauthenticated, "SESSION_REVOKED");
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_audit_log WHERE tenant_id = $1 \
             AND kind = 'SESSIONS_REVOKED' AND details LIKE '%lost phone%'",
            &tenant,
        )
        .await,
        1
    );
    let svc = service_token(&h, &tenant).await;
    let feed = h
        .tokens()
        .list_token_revocations(authed(pb::ListTokenRevocationsRequest::default(), &svc))
        .await
        .unwrap()
        .into_inner();
    assert!(
        feed.revocations
            .iter()
            .any(|r| r.value == consumer.session_id)
    );

    // tenant_admin sees the store manager's sessions; the store manager may not see the
    // admin's, nor may anyone but customer_service see a consumer's.
    let staff_sessions = h
        .tokens()
        .list_sessions(authed(of(pb::PrincipalKind::Staff, &manager_id), &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(staff_sessions.sessions.len(), 1);
    let admin_id = h
        .staff()
        .get_current_staff(authed(pb::GetCurrentStaffRequest::default(), &admin))
        .await
        .unwrap()
        .into_inner()
        .staff
        .unwrap()
        .staff_id;
    let denied = h
        .tokens()
        .list_sessions(authed(of(pb::PrincipalKind::Staff, &admin_id), &sm))
        .await
        .unwrap_err();
    assert_reason(&denied, Code::PermissionDenied, "PERMISSION_DENIED");
    let denied = h
        .tokens()
        .list_sessions(authed(of(pb::PrincipalKind::Consumer, &user), &admin))
        .await
        .unwrap_err();
    assert_reason(&denied, Code::PermissionDenied, "PERMISSION_DENIED");
    let no_kind = h
        .tokens()
        .list_sessions(authed(of(pb::PrincipalKind::Unspecified, &user), &cs))
        .await
        .unwrap_err();
    assert_eq!(violations(&no_kind), vec!["principal_kind"]);
    let other = h.wechat_login(&app_id, "o_sv1_other").await.tokens.unwrap();
    let nosy = h
        .tokens()
        .list_sessions(authed(
            of(pb::PrincipalKind::Consumer, &user),
            &other.access_token,
        ))
        .await
        .unwrap_err();
    assert_reason(&nosy, Code::NotFound, "USER_NOT_FOUND");
    let not_theirs = h
        .tokens()
        .revoke_session(authed(revoke(&other.session_id, ""), &sm))
        .await
        .unwrap_err();
    assert_reason(&not_theirs, Code::NotFound, "SESSION_NOT_FOUND");
}

#[tokio::test]
async fn parallel_revocations_of_one_session_end_it_once() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("sv2").await;
    let (cs, _, _) = staff_of(&h, "sv2", &admin).await;
    let consumer = h.wechat_login(&app_id, "o_sv2").await.tokens.unwrap();
    let calls = (0..8).map(|_| {
        let mut client = h.tokens();
        let req = authed(revoke(&consumer.session_id, "fraud"), &cs);
        async move { client.revoke_session(req).await }
    });
    for result in join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_token_revocations WHERE value = $1",
            &consumer.session_id,
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = 'SESSIONS_REVOKED' \
             AND target_id = $1",
            &consumer.session_id,
        )
        .await,
        1
    );
    let _ = tenant;
}

#[tokio::test]
async fn another_tenants_sessions_and_subjects_are_not_found() {
    let h = Harness::start().await;
    let (_, app_a, admin_a) = h.tenant_with_app("sv3a").await;
    let (_, _, admin_b) = h.tenant_with_app("sv3b").await;
    let (cs_b, _, _) = staff_of(&h, "sv3b", &admin_b).await;
    let login = h.wechat_login(&app_a, "o_sv3").await;
    let user_a = login.user.unwrap().user_id;
    let session_a = login.tokens.unwrap().session_id;
    let staff_a = h
        .staff()
        .get_current_staff(authed(pb::GetCurrentStaffRequest::default(), &admin_a))
        .await
        .unwrap()
        .into_inner()
        .staff
        .unwrap()
        .staff_id;
    let cases = [
        (
            "ListSessions consumer",
            h.tokens()
                .list_sessions(authed(of(pb::PrincipalKind::Consumer, &user_a), &cs_b))
                .await
                .map(drop),
            "USER_NOT_FOUND",
        ),
        (
            "ListSessions staff",
            h.tokens()
                .list_sessions(authed(of(pb::PrincipalKind::Staff, &staff_a), &admin_b))
                .await
                .map(drop),
            "STAFF_NOT_FOUND",
        ),
        (
            "RevokeSession",
            h.tokens()
                .revoke_session(authed(revoke(&session_a, ""), &cs_b))
                .await
                .map(drop),
            "SESSION_NOT_FOUND",
        ),
    ];
    for (rpc, result, reason) in cases {
        let status = result.expect_err(rpc);
        assert_reason(&status, Code::NotFound, reason);
    }
}
