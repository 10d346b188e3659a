//! Tenant isolation, table-driven over every implemented identity RPC that names a resource:
//! a token of tenant B naming tenant A's ids gets NOT_FOUND, never A's data.

use futures::future::BoxFuture;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, authed};
use crate::org::{create, region, store};

type Call<'a> = (&'static str, BoxFuture<'a, Result<(), tonic::Status>>);
type StaffClient = pb::staff_service_client::StaffServiceClient<tonic::transport::Channel>;

/// A StaffService call naming one of tenant A's ids with tenant B's token.
fn staff_call<'a>(
    name: &'static str,
    h: &Harness,
    id: &str,
    token: &str,
    call: impl FnOnce(StaffClient, String, String) -> BoxFuture<'a, Result<(), tonic::Status>>,
) -> Call<'a> {
    (name, call(h.staff(), id.to_owned(), token.to_owned()))
}

#[tokio::test]
async fn every_rpc_answers_not_found_for_another_tenants_ids() {
    let h = Harness::start().await;
    let (tenant_a, app_a, admin_a) = h.tenant_with_app("isoa").await;
    let (_tenant_b, app_b, admin_b) = h.tenant_with_app("isob").await;
    let root_a = h
        .org()
        .get_org_subtree(authed(pb::GetOrgSubtreeRequest::default(), &admin_a))
        .await
        .unwrap()
        .into_inner()
        .org_units[0]
        .org_unit_id
        .clone();
    let region_a = create(&h, &admin_a, region(&root_a, "RA"))
        .await
        .org_unit_id;
    let store_a = create(&h, &admin_a, store(&region_a, "SA", 31.2, 121.4))
        .await
        .org_unit_id;
    let login_a = h.wechat_login(&app_a, "o_iso").await;
    let consumer_a = login_a.tokens.unwrap();
    let user_a = login_a.user.unwrap().user_id;
    let code = h
        .control
        .phone_code(&app_a, crate::consumers::phone_bind::PHONE)
        .await
        .unwrap();
    crate::consumers::phone_bind::bind(&h, &consumer_a.access_token, code)
        .await
        .unwrap();
    let (partner, _) = crate::partners::create(
        &h,
        &admin_a,
        crate::partners::client("POS", &["orders.read"]),
    )
    .await;
    let partner_a = partner.client_id;
    let guide = crate::staff::admin::create_staff(
        &h,
        &admin_a,
        crate::staff::admin::new_staff("guide.iso", &store_a, &[(pb::StaffRole::Guide, &store_a)]),
    )
    .await
    .unwrap();
    let staff_a = guide.staff_id.clone();
    let grant_a = guide.roles[0].grant_id.clone();
    let code_a = h
        .staff()
        .issue_guide_code(authed(
            pb::IssueGuideCodeRequest {
                staff_id: staff_a.clone(),
                ..Default::default()
            },
            &admin_a,
        ))
        .await
        .unwrap()
        .into_inner()
        .guide_code
        .unwrap()
        .code;
    let b = admin_b.as_str();
    let consumer_b = h
        .wechat_login(&app_b, "o_isob")
        .await
        .tokens
        .unwrap()
        .access_token;
    let cb = consumer_b.as_str();

    let calls: Vec<Call<'_>> = vec![
        (
            "GetTenant",
            Box::pin({
                let mut c = h.tenants();
                let t = tenant_a.clone();
                async move {
                    c.get_tenant(authed(pb::GetTenantRequest { tenant_id: t }, b))
                        .await
                        .map(drop)
                }
            }),
        ),
        (
            "VerifyAuditChain",
            Box::pin({
                let mut c = h.audit();
                let t = tenant_a.clone();
                async move {
                    c.verify_audit_chain(authed(
                        pb::VerifyAuditChainRequest {
                            tenant_id: t,
                            ..Default::default()
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "RevokeSession",
            Box::pin({
                let mut c = h.tokens();
                let s = consumer_a.session_id.clone();
                async move {
                    c.revoke_session(authed(
                        pb::RevokeSessionRequest {
                            session_id: s,
                            reason: String::new(),
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "GetOrgUnit",
            Box::pin({
                let mut c = h.org();
                let id = store_a.clone();
                async move {
                    c.get_org_unit(authed(pb::GetOrgUnitRequest { org_unit_id: id }, b))
                        .await
                        .map(drop)
                }
            }),
        ),
        (
            "CreateOrgUnit",
            Box::pin({
                let mut c = h.org();
                let id = region_a.clone();
                async move {
                    c.create_org_unit(authed(region(&id, "RB"), b))
                        .await
                        .map(drop)
                }
            }),
        ),
        (
            "UpdateOrgUnit",
            Box::pin({
                let mut c = h.org();
                let id = region_a.clone();
                async move {
                    c.update_org_unit(authed(
                        pb::UpdateOrgUnitRequest {
                            org_unit: Some(pb::OrgUnit {
                                org_unit_id: id,
                                etag: "1".into(),
                                name: "x".into(),
                                ..Default::default()
                            }),
                            update_mask: Some(prost_types::FieldMask {
                                paths: vec!["name".into()],
                            }),
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "MoveOrgUnit",
            Box::pin({
                let mut c = h.org();
                let (id, p) = (store_a.clone(), root_a.clone());
                async move {
                    c.move_org_unit(authed(
                        pb::MoveOrgUnitRequest {
                            org_unit_id: id,
                            new_parent_id: p,
                            reason: String::new(),
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "DisableOrgUnit",
            Box::pin({
                let mut c = h.org();
                let id = store_a.clone();
                async move {
                    c.disable_org_unit(authed(
                        pb::DisableOrgUnitRequest {
                            org_unit_id: id,
                            cascade: true,
                            reason: String::new(),
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "EnableOrgUnit",
            Box::pin({
                let mut c = h.org();
                let id = store_a.clone();
                async move {
                    c.enable_org_unit(authed(pb::EnableOrgUnitRequest { org_unit_id: id }, b))
                        .await
                        .map(drop)
                }
            }),
        ),
        (
            "ListOrgChildren",
            Box::pin({
                let mut c = h.org();
                let id = region_a.clone();
                async move {
                    c.list_org_children(authed(
                        pb::ListOrgChildrenRequest {
                            parent_id: id,
                            ..Default::default()
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "GetOrgSubtree",
            Box::pin({
                let mut c = h.org();
                let id = region_a.clone();
                async move {
                    c.get_org_subtree(authed(
                        pb::GetOrgSubtreeRequest {
                            org_unit_id: id,
                            ..Default::default()
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "GetOrgPath",
            Box::pin({
                let mut c = h.org();
                let id = store_a.clone();
                async move {
                    c.get_org_path(authed(pb::GetOrgPathRequest { org_unit_id: id }, b))
                        .await
                        .map(drop)
                }
            }),
        ),
        (
            "ListStores",
            Box::pin({
                let mut c = h.org();
                let id = region_a.clone();
                async move {
                    c.list_stores(authed(
                        pb::ListStoresRequest {
                            under_org_unit_id: id,
                            ..Default::default()
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "GetPartnerClient",
            Box::pin({
                let mut c = h.partners();
                let id = partner_a.clone();
                async move {
                    c.get_partner_client(authed(pb::GetPartnerClientRequest { client_id: id }, b))
                        .await
                        .map(drop)
                }
            }),
        ),
        (
            "UpdatePartnerClient",
            Box::pin({
                let mut c = h.partners();
                let id = partner_a.clone();
                async move {
                    c.update_partner_client(authed(
                        pb::UpdatePartnerClientRequest {
                            client: Some(pb::PartnerClient {
                                client_id: id,
                                etag: "1".into(),
                                name: "x".into(),
                                ..Default::default()
                            }),
                            update_mask: Some(prost_types::FieldMask {
                                paths: vec!["name".into()],
                            }),
                            revoke_tokens: true,
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "RotatePartnerClientSecret",
            Box::pin({
                let mut c = h.partners();
                let id = partner_a.clone();
                async move {
                    c.rotate_partner_client_secret(authed(
                        pb::RotatePartnerClientSecretRequest {
                            client_id: id,
                            previous_secret_grace_seconds: 0,
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "RevokePartnerClient",
            Box::pin({
                let mut c = h.partners();
                let id = partner_a.clone();
                async move {
                    c.revoke_partner_client(authed(
                        pb::RevokePartnerClientRequest {
                            client_id: id,
                            reason: String::new(),
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        staff_call("GetStaff", &h, &staff_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.get_staff(authed(pb::GetStaffRequest { staff_id: id }, &t))
                    .await
                    .map(drop)
            })
        }),
        staff_call("UpdateStaff", &h, &staff_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.update_staff(authed(
                    pb::UpdateStaffRequest {
                        staff: Some(pb::Staff {
                            staff_id: id,
                            etag: "1".into(),
                            display_name: "x".into(),
                            ..Default::default()
                        }),
                        update_mask: Some(prost_types::FieldMask {
                            paths: vec!["display_name".into()],
                        }),
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        staff_call("DisableStaff", &h, &staff_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.disable_staff(authed(
                    pb::DisableStaffRequest {
                        staff_id: id,
                        reason: "x".into(),
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        staff_call("EnableStaff", &h, &staff_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.enable_staff(authed(
                    pb::EnableStaffRequest {
                        staff_id: id,
                        reason: String::new(),
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        staff_call("UnlockStaff", &h, &staff_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.unlock_staff(authed(pb::UnlockStaffRequest { staff_id: id }, &t))
                    .await
                    .map(drop)
            })
        }),
        staff_call("ResetStaffPassword", &h, &staff_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.reset_staff_password(authed(
                    pb::ResetStaffPasswordRequest {
                        staff_id: id,
                        ..Default::default()
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        staff_call("GrantRole", &h, &staff_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.grant_role(authed(
                    pb::GrantRoleRequest {
                        staff_id: id,
                        role: pb::StaffRole::Guide as i32,
                        org_unit_id: String::from("01890000-0000-7000-8000-000000000000"),
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        staff_call("GrantRole(unit of A)", &h, &store_a, b, |mut c, unit, t| {
            Box::pin(async move {
                c.grant_role(authed(
                    pb::GrantRoleRequest {
                        staff_id: String::from("01890000-0000-7000-8000-000000000000"),
                        role: pb::StaffRole::Guide as i32,
                        org_unit_id: unit,
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        staff_call("RevokeRole", &h, &grant_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.revoke_role(authed(
                    pb::RevokeRoleRequest {
                        grant_id: id,
                        ..Default::default()
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        staff_call("ListRoleGrants", &h, &store_a, b, |mut c, unit, t| {
            Box::pin(async move {
                c.list_role_grants(authed(
                    pb::ListRoleGrantsRequest {
                        org_unit_id: unit,
                        ..Default::default()
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        staff_call("ListStaff", &h, &store_a, b, |mut c, unit, t| {
            Box::pin(async move {
                c.list_staff(authed(
                    pb::ListStaffRequest {
                        org_unit_id: unit,
                        ..Default::default()
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        staff_call("IssueGuideCode", &h, &staff_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.issue_guide_code(authed(
                    pb::IssueGuideCodeRequest {
                        staff_id: id,
                        ..Default::default()
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        staff_call("ResolveGuideCode", &h, &code_a, b, |mut c, code, t| {
            Box::pin(async move {
                c.resolve_guide_code(authed(
                    pb::ResolveGuideCodeRequest {
                        code,
                        app_id: String::new(),
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
    ];
    let mut calls = calls;
    calls.extend(user_calls(&h, &user_a, &app_a, b, cb));
    for (name, call) in calls {
        let err = call.await.expect_err(name);
        assert_eq!(err.code(), Code::NotFound, "{name}: {err:?}");
    }
    // BatchGetOrgUnits omits unknown ids rather than failing.
    let found = h
        .org()
        .batch_get_org_units(authed(
            pb::BatchGetOrgUnitsRequest {
                org_unit_ids: vec![store_a.clone(), region_a],
            },
            b,
        ))
        .await
        .unwrap()
        .into_inner()
        .org_units;
    assert!(found.is_empty());
    // The OTP RPCs name no resource of A (the tenant comes from B's token): binding the number
    // A's user owns binds it in B, with no merge across tenants.
    let mut send = authed(
        pb::SendPhoneOtpRequest {
            phone: crate::consumers::phone_bind::PHONE.into(),
            purpose: pb::OtpPurpose::Bind as i32,
            app_id: app_a.clone(),
            captcha_ticket: String::new(),
        },
        cb,
    );
    send.metadata_mut()
        .insert("x-client-ip", "10.9.9.9".parse().unwrap());
    h.consumers().send_phone_otp(send).await.unwrap();
    let otp = crate::consumers::otp::sent_code(&h, crate::consumers::phone_bind::E164);
    let binding = h
        .consumers()
        .bind_phone_with_otp(authed(
            pb::BindPhoneWithOtpRequest {
                phone: crate::consumers::phone_bind::PHONE.into(),
                otp,
            },
            cb,
        ))
        .await
        .unwrap()
        .into_inner()
        .binding
        .unwrap();
    assert!(!binding.merged);
    assert_ne!(binding.user.unwrap().user_id, user_a);
    // BatchGetUsers omits them too, and LookupUsers finds nothing of A.
    let users = h
        .users()
        .batch_get_users(authed(
            pb::BatchGetUsersRequest {
                user_ids: vec![user_a.clone()],
            },
            b,
        ))
        .await
        .unwrap()
        .into_inner()
        .users;
    assert!(users.is_empty());
    for (kind, value) in [
        (pb::IdentityKind::WechatOpenid, "o_iso"),
        (pb::IdentityKind::Phone, crate::consumers::phone_bind::PHONE),
    ] {
        let found = h
            .users()
            .lookup_users(authed(
                pb::LookupUsersRequest {
                    kind: kind as i32,
                    value: value.into(),
                    app_id: String::new(),
                    include_inactive: true,
                },
                b,
            ))
            .await
            .unwrap()
            .into_inner()
            .users;
        // (B's own user holds the same number now; A's user never shows.)
        assert!(found.iter().all(|u| u.user_id != user_a), "{found:?}");
    }
}

type UserClient = pb::user_service_client::UserServiceClient<tonic::transport::Channel>;

/// A UserService call naming tenant A's user with a token of tenant B.
fn user_call<'a>(
    name: &'static str,
    h: &Harness,
    user: &str,
    token: &str,
    call: impl FnOnce(UserClient, String, String) -> BoxFuture<'a, Result<(), tonic::Status>>,
) -> Call<'a> {
    (name, call(h.users(), user.to_owned(), token.to_owned()))
}

/// UserService and phone-binding rows: staff of B (`b`) and a consumer of B (`cb`) naming A's
/// user or app.
fn user_calls<'a>(h: &Harness, user_a: &str, app_a: &str, b: &str, cb: &str) -> Vec<Call<'a>> {
    vec![
        user_call("GetUser", h, user_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.get_user(authed(pb::GetUserRequest { user_id: id }, &t))
                    .await
                    .map(drop)
            })
        }),
        user_call("GetUser (consumer)", h, user_a, cb, |mut c, id, t| {
            Box::pin(async move {
                c.get_user(authed(pb::GetUserRequest { user_id: id }, &t))
                    .await
                    .map(drop)
            })
        }),
        user_call("UpdateUserProfile", h, user_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.update_user_profile(authed(
                    pb::UpdateUserProfileRequest {
                        user_id: id,
                        profile: Some(pb::UserProfile {
                            nickname: "x".into(),
                            ..Default::default()
                        }),
                        update_mask: crate::consumers::users::mask(&["nickname"]),
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        user_call("ListLinkedIdentities", h, user_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.list_linked_identities(authed(
                    pb::ListLinkedIdentitiesRequest { user_id: id },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        user_call("RecordConsent", h, user_a, cb, |mut c, id, t| {
            Box::pin(async move {
                c.record_consent(authed(
                    pb::RecordConsentRequest {
                        user_id: id,
                        kind: pb::ConsentKind::PrivacyPolicy as i32,
                        version: "v1".into(),
                        granted: true,
                        ..Default::default()
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        user_call("ListConsents", h, user_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.list_consents(authed(
                    pb::ListConsentsRequest {
                        user_id: id,
                        page: None,
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        user_call("RevealUserPhone", h, user_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.reveal_user_phone(authed(
                    pb::RevealUserPhoneRequest {
                        user_id: id,
                        reason: "ticket 42".into(),
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        user_call("ListUserMerges", h, user_a, b, |mut c, id, t| {
            Box::pin(async move {
                c.list_user_merges(authed(
                    pb::ListUserMergesRequest {
                        user_id: id,
                        page: None,
                    },
                    &t,
                ))
                .await
                .map(drop)
            })
        }),
        (
            "BindPhoneWithWeChat",
            Box::pin({
                let mut c = h.consumers();
                let (app, t) = (app_a.to_owned(), cb.to_owned());
                let control = h.control.clone();
                async move {
                    let code = control.phone_code(&app, "13900001111").await.unwrap();
                    c.bind_phone_with_we_chat(authed(
                        pb::BindPhoneWithWeChatRequest {
                            phone_code: code,
                            app_id: app,
                        },
                        &t,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
    ]
}
