//! StaffService: scoped administration (a store manager manages guides of their own store only,
//! a region manager covers the region), disable revoking sessions at once, grants reaching
//! tokens, guide codes with rotation grace.

use base64::Engine as _;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, PASSWORD, assert_reason, authed, count};
use crate::idempotency::keyed;
use crate::org::{create, region, store};

pub struct Tree {
    pub root: String,
    pub region: String,
    pub store_a: String,
    pub store_b: String,
}

pub async fn tree(h: &Harness, admin: &str) -> Tree {
    let root = h
        .org()
        .get_org_subtree(authed(pb::GetOrgSubtreeRequest::default(), admin))
        .await
        .unwrap()
        .into_inner()
        .org_units[0]
        .org_unit_id
        .clone();
    let region = create(h, admin, region(&root, "R1")).await.org_unit_id;
    let store_a = create(h, admin, store(&region, "SA", 31.2, 121.4))
        .await
        .org_unit_id;
    let store_b = create(h, admin, store(&region, "SB", 31.3, 121.5))
        .await
        .org_unit_id;
    Tree {
        root,
        region,
        store_a,
        store_b,
    }
}

pub fn new_staff(
    login: &str,
    home: &str,
    roles: &[(pb::StaffRole, &str)],
) -> pb::CreateStaffRequest {
    pb::CreateStaffRequest {
        staff: Some(pb::Staff {
            login_name: login.into(),
            display_name: format!("Staff {login}"),
            primary_org_unit_id: home.into(),
            phone: "13812345678".into(),
            ..Default::default()
        }),
        initial_password: PASSWORD.into(),
        roles: roles
            .iter()
            .map(|(role, unit)| pb::RoleGrant {
                role: *role as i32,
                org_unit_id: (*unit).into(),
                ..Default::default()
            })
            .collect(),
    }
}

pub async fn create_staff(
    h: &Harness,
    token: &str,
    req: pb::CreateStaffRequest,
) -> Result<pb::Staff, tonic::Status> {
    h.staff()
        .create_staff(authed(req, token))
        .await
        .map(|r| r.into_inner().staff.unwrap())
}

fn claims(access_token: &str) -> serde_json::Value {
    let payload = access_token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn disable(
    h: &Harness,
    token: &str,
    id: &str,
) -> Result<pb::DisableStaffResponse, tonic::Status> {
    h.staff()
        .disable_staff(authed(
            pb::DisableStaffRequest {
                staff_id: id.into(),
                reason: "离职".into(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_store_manager_manages_only_their_store_and_a_region_manager_covers_both() {
    let h = Harness::start().await;
    let (_, _, admin) = h.tenant_with_app("sa1").await;
    let t = tree(&h, &admin).await;
    use pb::StaffRole::{Guide, StoreManager, TenantAdmin};
    create_staff(
        &h,
        &admin,
        new_staff("mgr.a", &t.store_a, &[(StoreManager, &t.store_a)]),
    )
    .await
    .unwrap();
    create_staff(
        &h,
        &admin,
        new_staff("mgr.r", &t.region, &[(StoreManager, &t.region)]),
    )
    .await
    .unwrap();
    let guide_b = create_staff(
        &h,
        &admin,
        new_staff("guide.b", &t.store_b, &[(Guide, &t.store_b)]),
    )
    .await
    .unwrap();
    let mgr_a = h.staff_login("sa1", "mgr.a", PASSWORD).await.access_token;
    let mgr_r = h.staff_login("sa1", "mgr.r", PASSWORD).await.access_token;

    // Store A's manager: a guide at A yes; at B, or a non-guide role, no.
    let guide_a = create_staff(
        &h,
        &mgr_a,
        new_staff("guide.a", &t.store_a, &[(Guide, &t.store_a)]),
    )
    .await
    .unwrap();
    assert_eq!(guide_a.phone, "138****5678", "masked for a store manager");
    let err = create_staff(
        &h,
        &mgr_a,
        new_staff("guide.x", &t.store_b, &[(Guide, &t.store_b)]),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = create_staff(
        &h,
        &mgr_a,
        new_staff("boss.x", &t.store_a, &[(TenantAdmin, &t.store_a)]),
    )
    .await
    .unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "ROLE_NOT_GRANTABLE");
    let err = disable(&h, &mgr_a, &guide_b.staff_id).await.unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "PERMISSION_DENIED");
    let err = h
        .staff()
        .get_staff(authed(
            pb::GetStaffRequest {
                staff_id: guide_b.staff_id.clone(),
            },
            &mgr_a,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let listed = h
        .staff()
        .list_staff(authed(pb::ListStaffRequest::default(), &mgr_a))
        .await
        .unwrap()
        .into_inner()
        .staff;
    let logins: Vec<_> = listed.iter().map(|s| s.login_name.as_str()).collect();
    assert!(
        logins.contains(&"guide.a") && !logins.contains(&"guide.b"),
        "{logins:?}"
    );

    // The region manager covers both stores.
    disable(&h, &mgr_r, &guide_b.staff_id).await.unwrap();
    disable(&h, &mgr_r, &guide_a.staff_id).await.unwrap();
    // …but not a store manager (only guides).
    let mgr_a_id = listed
        .iter()
        .find(|s| s.login_name == "mgr.a")
        .unwrap()
        .staff_id
        .clone();
    let err = disable(&h, &mgr_r, &mgr_a_id).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // Nobody disables themself.
    let me = h
        .staff()
        .get_current_staff(authed(pb::GetCurrentStaffRequest {}, &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.tenant_name, "Tenant sa1");
    let err = disable(&h, &admin, &me.staff.unwrap().staff_id)
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "CANNOT_MODIFY_SELF");
}

#[tokio::test]
async fn disable_revokes_every_session_at_once_and_publishes_once() {
    let h = Harness::start().await;
    let (_, _, admin) = h.tenant_with_app("sa2").await;
    let t = tree(&h, &admin).await;
    let guide = create_staff(
        &h,
        &admin,
        new_staff("guide.d", &t.store_a, &[(pb::StaffRole::Guide, &t.store_a)]),
    )
    .await
    .unwrap();
    let first = h.staff_login("sa2", "guide.d", PASSWORD).await;
    let new_password = format!("{PASSWORD}-new");
    let second = h.staff_login("sa2", "guide.d", &new_password).await;
    h.staff()
        .get_current_staff(authed(pb::GetCurrentStaffRequest {}, &second.access_token))
        .await
        .unwrap();

    let disabled = h
        .staff()
        .disable_staff(keyed(
            pb::DisableStaffRequest {
                staff_id: guide.staff_id.clone(),
                reason: "离职".into(),
            },
            &admin,
            "dis-1",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(disabled.revoked_session_count, 2);
    assert_eq!(
        disabled.staff.unwrap().status,
        pb::StaffStatus::Disabled as i32
    );
    for pair in [&first, &second] {
        let err = h
            .tokens()
            .refresh_session(pb::RefreshSessionRequest {
                refresh_token: pair.refresh_token.clone(),
            })
            .await
            .unwrap_err();
        assert_reason(&err, Code::Unauthenticated, "SESSION_REVOKED");
        let err = h
            .staff()
            .get_current_staff(authed(pb::GetCurrentStaffRequest {}, &pair.access_token))
            .await
            .unwrap_err();
        assert_reason(&err, Code::Unauthenticated, "TOKEN_REVOKED");
    }
    let err = h
        .staff_auth()
        .login_staff(pb::LoginStaffRequest {
            tenant_code: "sa2".into(),
            identifier: Some(pb::login_staff_request::Identifier::LoginName(
                "guide.d".into(),
            )),
            password: new_password.clone(),
        })
        .await
        .unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "ACCOUNT_DISABLED");
    // Disabling again (other key) succeeds without a second event.
    let again = disable(&h, &admin, &guide.staff_id).await.unwrap();
    assert_eq!(again.revoked_session_count, 0);
    let events = count(
        &h,
        "SELECT COUNT(*) AS n FROM siyu_outbox WHERE subject = $1",
        "identity.staff_disabled",
    )
    .await;
    assert_eq!(events, 1);

    // Enable: a fresh login works again.
    h.staff()
        .enable_staff(authed(
            pb::EnableStaffRequest {
                staff_id: guide.staff_id.clone(),
                reason: "rehired".into(),
            },
            &admin,
        ))
        .await
        .unwrap();
    h.staff_login("sa2", "guide.d", &new_password).await;
}

#[tokio::test]
async fn grants_reach_refreshed_tokens_and_revocation_removes_them() {
    let h = Harness::start().await;
    let (_, _, admin) = h.tenant_with_app("sa3").await;
    let t = tree(&h, &admin).await;
    let ops = create_staff(&h, &admin, new_staff("ops.one", &t.region, &[]))
        .await
        .unwrap();
    let tokens = h.staff_login("sa3", "ops.one", PASSWORD).await;
    assert!(
        claims(&tokens.access_token)["roles"].is_null(),
        "no roles yet"
    );
    let grant = h
        .staff()
        .grant_role(authed(
            pb::GrantRoleRequest {
                staff_id: ops.staff_id.clone(),
                role: pb::StaffRole::HqOperator as i32,
                org_unit_id: t.region.clone(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .grant
        .unwrap();
    // Granting again returns the same grant.
    let same = h
        .staff()
        .grant_role(authed(
            pb::GrantRoleRequest {
                staff_id: ops.staff_id.clone(),
                role: pb::StaffRole::HqOperator as i32,
                org_unit_id: t.region.clone(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .grant
        .unwrap();
    assert_eq!(grant.grant_id, same.grant_id);
    let refreshed = h
        .tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: tokens.refresh_token.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .tokens
        .unwrap();
    assert_eq!(
        claims(&refreshed.access_token)["roles"],
        serde_json::json!([{ "role": "hq_operator", "org": format!("{}/{}", t.root, t.region) }])
    );
    let on_store = h
        .staff()
        .list_role_grants(authed(
            pb::ListRoleGrantsRequest {
                org_unit_id: t.store_a.clone(),
                include_ancestors: true,
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .grants;
    assert!(on_store.iter().any(|g| g.grant_id == grant.grant_id));
    assert!(
        on_store
            .iter()
            .any(|g| g.role == pb::StaffRole::TenantAdmin as i32)
    );
    h.staff()
        .revoke_role(authed(
            pb::RevokeRoleRequest {
                grant_id: grant.grant_id.clone(),
                revoke_sessions: true,
                reason: "moved".into(),
            },
            &admin,
        ))
        .await
        .unwrap();
    let err = h
        .tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: refreshed.refresh_token,
        })
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "SESSION_REVOKED");
    let err = h
        .staff()
        .revoke_role(authed(
            pb::RevokeRoleRequest {
                grant_id: grant.grant_id,
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "ROLE_GRANT_NOT_FOUND");
}

#[tokio::test]
async fn guide_codes_resolve_rotate_with_grace_and_die_with_the_guide() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("sa4").await;
    let t = tree(&h, &admin).await;
    let guide = create_staff(
        &h,
        &admin,
        new_staff("guide.g", &t.store_a, &[(pb::StaffRole::Guide, &t.store_a)]),
    )
    .await
    .unwrap();
    let plain = create_staff(&h, &admin, new_staff("clerk.c", &t.store_a, &[]))
        .await
        .unwrap();
    let guide_token = h.staff_login("sa4", "guide.g", PASSWORD).await.access_token;
    let issue = |grace: i32| {
        let mut c = h.staff();
        let token = guide_token.clone();
        async move {
            c.issue_guide_code(authed(
                pb::IssueGuideCodeRequest {
                    staff_id: String::new(),
                    store_id: String::new(),
                    grace_seconds: grace,
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner()
        }
    };
    let resolve = |code: String| {
        let mut c = h.staff();
        let app = app_id.clone();
        async move {
            c.resolve_guide_code(pb::ResolveGuideCodeRequest { code, app_id: app })
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let first = issue(0).await;
    assert!(first.previous.is_none());
    let code1 = first.guide_code.unwrap().code;
    assert_eq!(code1.len(), 8);
    let found = resolve(code1.to_lowercase()).await.unwrap();
    assert_eq!(found.guide_id, guide.staff_id);
    assert_eq!(found.store_id, t.store_a);
    assert_eq!(found.store_name, "Store SA");

    let second = issue(3600).await;
    assert_eq!(second.previous.unwrap().code, code1);
    let code2 = second.guide_code.unwrap().code;
    assert!(
        resolve(code1.clone()).await.unwrap().retire_time.is_some(),
        "in grace"
    );
    resolve(code2.clone()).await.unwrap();
    let third = issue(0).await;
    let code3 = third.guide_code.unwrap().code;
    let err = resolve(code2).await.unwrap_err();
    assert_reason(&err, Code::NotFound, "GUIDE_CODE_NOT_FOUND");
    resolve(code1.clone()).await.unwrap();

    // A non-guide cannot get a code; a disabled guide's codes stop resolving.
    let err = h
        .staff()
        .issue_guide_code(authed(
            pb::IssueGuideCodeRequest {
                staff_id: plain.staff_id.clone(),
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "STAFF_NOT_GUIDE");
    disable(&h, &admin, &guide.staff_id).await.unwrap();
    for code in [code1, code3] {
        let err = resolve(code).await.unwrap_err();
        assert_reason(&err, Code::NotFound, "GUIDE_CODE_NOT_FOUND");
    }
    let err = resolve("ZZZZZZZZ".into()).await.unwrap_err();
    assert_reason(&err, Code::NotFound, "GUIDE_CODE_NOT_FOUND");
    let err = resolve("short".into()).await.unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn staff_admin_bad_input_and_conflicts() {
    let h = Harness::start().await;
    let (_, _, admin) = h.tenant_with_app("sa5").await;
    let t = tree(&h, &admin).await;
    let s = create_staff(&h, &admin, new_staff("dup.one", &t.store_a, &[]))
        .await
        .unwrap();
    let err = create_staff(&h, &admin, new_staff("dup.one", &t.store_a, &[]))
        .await
        .unwrap_err();
    assert_reason(&err, Code::AlreadyExists, "LOGIN_NAME_TAKEN");
    let mut weak = new_staff("weak.one", &t.store_a, &[]);
    weak.initial_password = "short".into();
    let err = create_staff(&h, &admin, weak).await.unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "PASSWORD_TOO_WEAK");
    let mut bad_phone = new_staff("phone.one", &t.store_a, &[]);
    bad_phone.staff.as_mut().unwrap().phone = "12345".into();
    let err = create_staff(&h, &admin, bad_phone).await.unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    let err = create_staff(&h, &admin, new_staff("Bad Name", &t.store_a, &[]))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    let err = create_staff(
        &h,
        &admin,
        new_staff("no.unit", "01890000-0000-7000-8000-000000000000", &[]),
    )
    .await
    .unwrap_err();
    assert_reason(&err, Code::NotFound, "ORG_UNIT_NOT_FOUND");

    // Update with a stale etag; reset password forces a change and revokes sessions.
    let update = |etag: &str| pb::UpdateStaffRequest {
        staff: Some(pb::Staff {
            staff_id: s.staff_id.clone(),
            etag: etag.into(),
            display_name: "新名字".into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["display_name".into()],
        }),
    };
    let updated = h
        .staff()
        .update_staff(authed(update(&s.etag), &admin))
        .await
        .unwrap()
        .into_inner()
        .staff
        .unwrap();
    assert_eq!(updated.display_name, "新名字");
    let err = h
        .staff()
        .update_staff(authed(update(&s.etag), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Aborted, "CONCURRENT_MODIFICATION");

    let session = h.staff_login("sa5", "dup.one", PASSWORD).await;
    let reset = |key: &'static str| {
        let mut c = h.staff();
        let (token, id) = (admin.clone(), s.staff_id.clone());
        async move {
            c.reset_staff_password(keyed(
                pb::ResetStaffPasswordRequest {
                    staff_id: id,
                    reason: "forgot".into(),
                    ..Default::default()
                },
                &token,
                key,
            ))
            .await
            .unwrap()
            .into_inner()
            .generated_password
        }
    };
    let generated = reset("reset-1").await;
    assert_eq!(generated.len(), 16);
    assert_eq!(
        reset("reset-1").await,
        generated,
        "a retry returns the same password"
    );
    let err = h
        .tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: session.refresh_token,
        })
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "SESSION_REVOKED");
    // The generated password logs in through the forced change.
    h.staff_login("sa5", "dup.one", &generated).await;
}
