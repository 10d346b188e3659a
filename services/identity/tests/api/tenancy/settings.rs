//! TenantService: settings under an etag, the platform's tenant list / suspend / reactivate,
//! and tenant isolation of apps and credentials.

use futures::future::join_all;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, PASSWORD, assert_reason, authed, count, service_token, violations};
use crate::idempotency::keyed;

use crate::tenancy::pay_config::{API_V3_KEY, PAY_KEY_PEM, pay};

pub async fn settings(h: &Harness, token: &str) -> pb::TenantSettings {
    h.tenants()
        .get_tenant_settings(authed(pb::GetTenantSettingsRequest {}, token))
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap()
}

fn earn(etag: &str, value: i64) -> pb::UpdateTenantSettingsRequest {
    pb::UpdateTenantSettingsRequest {
        settings: Some(pb::TenantSettings {
            points_defaults: Some(pb::PointsDefaults {
                earn_points_per_yuan: value,
                ..Default::default()
            }),
            etag: etag.into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["points_defaults.earn_points_per_yuan".into()],
        }),
    }
}

pub async fn audits(h: &Harness, tenant: &str, kind: &str) -> i64 {
    count(
        h,
        &format!(
            "SELECT COUNT(*) AS n FROM identity_audit_log WHERE tenant_id = $1 AND kind = '{kind}'"
        ),
        tenant,
    )
    .await
}

#[tokio::test]
async fn settings_default_update_under_the_etag_and_refuse_bad_input() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("ts1").await;
    let first = settings(&h, &admin).await;
    assert_eq!(first.etag, "0");
    assert_eq!(first.points_defaults.unwrap().redeem_points_per_yuan, 100);
    assert_eq!(
        first.order_defaults.clone().unwrap().unpaid_timeout_seconds,
        900
    );
    assert_eq!(first.order_defaults.unwrap().currency_code, "CNY");
    assert_eq!(first.security.unwrap().staff_lockout_threshold, 5);
    assert!(first.wechat_pay.is_none());
    let app = &first.apps[0];
    assert_eq!(app.app_id, app_id);
    assert!(app.app_secret.is_empty() && app.app_secret_set);
    // Services read the masked settings too; consumers do not.
    let svc = service_token(&h, &tenant).await;
    assert_eq!(settings(&h, &svc).await.etag, "0");
    let consumer = h.wechat_login(&app_id, "o_ts1").await.tokens.unwrap();
    let denied = h
        .tenants()
        .get_tenant_settings(authed(
            pb::GetTenantSettingsRequest {},
            &consumer.access_token,
        ))
        .await
        .unwrap_err();
    assert_reason(&denied, Code::PermissionDenied, "PERMISSION_DENIED");

    // Same key twice: one effect, the same reply.
    let a = h
        .tenants()
        .update_tenant_settings(keyed(earn("0", 5), &admin, "ts1-k"))
        .await
        .unwrap()
        .into_inner();
    let b = h
        .tenants()
        .update_tenant_settings(keyed(earn("0", 5), &admin, "ts1-k"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a, b);
    let updated = a.settings.unwrap();
    assert_eq!(updated.etag, "1");
    assert_eq!(updated.points_defaults.unwrap().earn_points_per_yuan, 5);
    assert_eq!(updated.points_defaults.unwrap().redeem_points_per_yuan, 100);
    assert_eq!(audits(&h, &tenant, "TENANT_SETTINGS_UPDATED").await, 1);

    let stale = h
        .tenants()
        .update_tenant_settings(authed(earn("0", 6), &admin))
        .await
        .unwrap_err();
    assert_reason(&stale, Code::Aborted, "CONCURRENT_MODIFICATION");

    let mut bad = earn("1", -1);
    let s = bad.settings.as_mut().unwrap();
    s.order_defaults = Some(pb::OrderDefaults {
        unpaid_timeout_seconds: 10,
        currency_code: "USD".into(),
        ..Default::default()
    });
    bad.update_mask.as_mut().unwrap().paths = vec![
        "points_defaults.earn_points_per_yuan".into(),
        "order_defaults.unpaid_timeout_seconds".into(),
        "order_defaults.currency_code".into(),
        "apps".into(),
    ];
    let status = h
        .tenants()
        .update_tenant_settings(authed(bad, &admin))
        .await
        .unwrap_err();
    assert_reason(&status, Code::InvalidArgument, "INVALID_ARGUMENT");
    let fields = violations(&status);
    for field in [
        "update_mask",
        "settings.points_defaults.earn_points_per_yuan",
        "settings.order_defaults.unpaid_timeout_seconds",
        "settings.order_defaults.currency_code",
    ] {
        assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
    }
    let no_etag = h
        .tenants()
        .update_tenant_settings(authed(earn("", 2), &admin))
        .await
        .unwrap_err();
    assert_eq!(violations(&no_etag), vec!["settings.etag".to_owned()]);

    // The privacy version reaches anonymous app resolution.
    let privacy = pb::UpdateTenantSettingsRequest {
        settings: Some(pb::TenantSettings {
            privacy_policy_version: "2025-08-01".into(),
            etag: "1".into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["privacy_policy_version".into()],
        }),
    };
    h.tenants()
        .update_tenant_settings(authed(privacy, &admin))
        .await
        .unwrap();
    let resolved = h
        .tenants()
        .resolve_tenant_by_app_id(pb::ResolveTenantByAppIdRequest {
            app_id: app_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resolved.privacy_policy_version, "2025-08-01");
    assert_eq!(settings(&h, &admin).await.etag, "2");
}

#[tokio::test]
async fn concurrent_updates_with_one_etag_have_exactly_one_winner() {
    let h = Harness::start().await;
    let (tenant, _, admin) = h.tenant_with_app("ts2").await;
    let calls = (0..8).map(|i| {
        let mut client = h.tenants();
        let req = authed(earn("0", 10 + i), &admin);
        async move { client.update_tenant_settings(req).await }
    });
    let results = join_all(calls).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    for lost in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_reason(lost, Code::Aborted, "CONCURRENT_MODIFICATION");
    }
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_tenant_settings WHERE tenant_id = $1 AND version = 1",
            &tenant,
        )
        .await,
        1
    );
    assert_eq!(audits(&h, &tenant, "TENANT_SETTINGS_UPDATED").await, 1);
}

#[tokio::test]
async fn platform_lists_suspends_and_reactivates_tenants() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("ts7").await;
    let (other, _, _) = h.tenant_with_app("ts7-other").await;
    let platform = h.platform_token().await;
    let page = h
        .tenants()
        .list_tenants(authed(
            pb::ListTenantsRequest {
                page: Some(siyu_proto::common::v1::PageRequest {
                    page_size: 1,
                    page_token: String::new(),
                }),
                ..Default::default()
            },
            &platform,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.tenants[0].tenant_id, other, "newest first");
    let next = page.page.unwrap().next_page_token;
    assert!(!next.is_empty());
    let second = h
        .tenants()
        .list_tenants(authed(
            pb::ListTenantsRequest {
                page: Some(siyu_proto::common::v1::PageRequest {
                    page_size: 1,
                    page_token: next,
                }),
                ..Default::default()
            },
            &platform,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.tenants[0].tenant_id, tenant);
    let found = h
        .tenants()
        .list_tenants(authed(
            pb::ListTenantsRequest {
                query: "TS7-OTH".into(),
                ..Default::default()
            },
            &platform,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.tenants.len(), 1);
    let denied = h
        .tenants()
        .list_tenants(authed(pb::ListTenantsRequest::default(), &admin))
        .await
        .unwrap_err();
    assert_reason(&denied, Code::PermissionDenied, "PERMISSION_DENIED");

    let consumer = h.wechat_login(&app_id, "o_ts7").await.tokens.unwrap();
    let suspend = |reason: &str| pb::UpdateTenantRequest {
        tenant: Some(pb::Tenant {
            tenant_id: tenant.clone(),
            status: pb::TenantStatus::Suspended as i32,
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["status".into()],
        }),
        reason: reason.into(),
    };
    let no_reason = h
        .tenants()
        .update_tenant(authed(suspend(""), &platform))
        .await
        .unwrap_err();
    assert_eq!(violations(&no_reason), vec!["reason"]);
    let not_platform = h
        .tenants()
        .update_tenant(authed(suspend("unpaid"), &admin))
        .await
        .unwrap_err();
    assert_reason(&not_platform, Code::PermissionDenied, "PERMISSION_DENIED");
    let mut unknown = suspend("unpaid");
    unknown.tenant.as_mut().unwrap().tenant_id = uuid::Uuid::now_v7().to_string();
    let unknown = h
        .tenants()
        .update_tenant(authed(unknown, &platform))
        .await
        .unwrap_err();
    assert_reason(&unknown, Code::NotFound, "TENANT_NOT_FOUND");

    let suspended = h
        .tenants()
        .update_tenant(keyed(suspend("unpaid invoices"), &platform, "sus-1"))
        .await
        .unwrap()
        .into_inner();
    let replayed = h
        .tenants()
        .update_tenant(keyed(suspend("unpaid invoices"), &platform, "sus-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(suspended, replayed);
    let suspended = suspended.tenant.unwrap();
    assert_eq!(suspended.status, pb::TenantStatus::Suspended as i32);
    let refresh = h
        .tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: consumer.refresh_token.clone(),
        })
        .await
        .unwrap_err();
    assert_reason(&refresh, Code::FailedPrecondition, "TENANT_SUSPENDED");
    let staff = h
        .staff_auth()
        .login_staff(pb::LoginStaffRequest {
            tenant_code: "ts7".into(),
            identifier: Some(pb::login_staff_request::Identifier::LoginName(
                "admin".into(),
            )),
            password: format!("{PASSWORD}-new"),
        })
        .await
        .unwrap_err();
    assert_reason(&staff, Code::FailedPrecondition, "TENANT_SUSPENDED");
    let code = h.control.login_code(&app_id, "o_ts7").await.unwrap();
    let wechat = h
        .consumers()
        .login_with_we_chat(pb::LoginWithWeChatRequest {
            app_id: app_id.clone(),
            code,
            attribution: None,
        })
        .await
        .unwrap_err();
    assert_reason(&wechat, Code::FailedPrecondition, "TENANT_SUSPENDED");
    // Issued access tokens die at identity at once (their sessions were revoked).
    let revoked = h
        .tenants()
        .get_tenant_settings(authed(pb::GetTenantSettingsRequest {}, &admin))
        .await
        .unwrap_err();
    assert_reason(&revoked, Code::Unauthenticated, "TOKEN_REVOKED");
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_sessions WHERE tenant_id = $1 AND revoked_at IS NULL",
            &tenant,
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_audit_log WHERE tenant_id = $1 \
             AND kind = 'TENANT_UPDATED' AND details LIKE '%unpaid invoices%'",
            &tenant,
        )
        .await,
        1
    );

    let mut reactivate = suspend("");
    reactivate.tenant.as_mut().unwrap().status = pb::TenantStatus::Active as i32;
    h.tenants()
        .update_tenant(authed(reactivate, &platform))
        .await
        .unwrap();
    h.staff_login("ts7", "admin", &format!("{PASSWORD}-new"))
        .await;
}

#[tokio::test]
async fn refreshes_racing_a_suspension_leave_no_usable_session() {
    let h = Harness::start().await;
    let (tenant, app_id, _) = h.tenant_with_app("ts8").await;
    let mut refresh_tokens = Vec::new();
    for i in 0..8 {
        let login = h.wechat_login(&app_id, &format!("o_ts8_{i}")).await;
        refresh_tokens.push(login.tokens.unwrap().refresh_token);
    }
    let platform = h.platform_token().await;
    let refreshes = refresh_tokens.iter().map(|token| {
        let mut client = h.tokens();
        let token = token.clone();
        async move {
            client
                .refresh_session(pb::RefreshSessionRequest {
                    refresh_token: token,
                })
                .await
                .ok()
                .and_then(|r| r.into_inner().tokens)
        }
    });
    let mut client = h.tenants();
    let suspend = authed(
        pb::UpdateTenantRequest {
            tenant: Some(pb::Tenant {
                tenant_id: tenant.clone(),
                status: pb::TenantStatus::Suspended as i32,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["status".into()],
            }),
            reason: "fraud".into(),
        },
        &platform,
    );
    let (pairs, suspended) = futures::join!(join_all(refreshes), client.update_tenant(suspend));
    suspended.unwrap();
    // Whatever a racing refresh got, its refresh token no longer works.
    for pair in pairs.into_iter().flatten() {
        let status = h
            .tokens()
            .refresh_session(pb::RefreshSessionRequest {
                refresh_token: pair.refresh_token,
            })
            .await
            .unwrap_err();
        assert_reason(&status, Code::FailedPrecondition, "TENANT_SUSPENDED");
    }
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_sessions WHERE tenant_id = $1 AND revoked_at IS NULL",
            &tenant,
        )
        .await,
        0
    );
}

#[tokio::test]
async fn another_tenants_apps_and_credentials_are_not_found() {
    let h = Harness::start().await;
    let (_, a_app, _) = h.tenant_with_app("ts9a").await;
    let (b_tenant, _, b_admin) = h.tenant_with_app("ts9b").await;
    let b_service = service_token(&h, &b_tenant).await;
    let cases: Vec<(&str, tonic::Status, Code, &str)> = vec![
        (
            "RemoveApp",
            h.tenants()
                .remove_app(authed(
                    pb::RemoveAppRequest {
                        app_id: a_app.clone(),
                    },
                    &b_admin,
                ))
                .await
                .unwrap_err(),
            Code::NotFound,
            "APP_NOT_FOUND",
        ),
        (
            "SetWeChatPayConfig",
            h.tenants()
                .set_we_chat_pay_config(authed(pay(&a_app, API_V3_KEY, PAY_KEY_PEM), &b_admin))
                .await
                .unwrap_err(),
            Code::FailedPrecondition,
            "APP_NOT_FOUND",
        ),
        (
            "GetAppCredentials",
            h.tenants()
                .get_app_credentials(authed(
                    pb::GetAppCredentialsRequest {
                        app_id: a_app.clone(),
                        wechat_pay: false,
                    },
                    &b_service,
                ))
                .await
                .unwrap_err(),
            Code::NotFound,
            "APP_NOT_FOUND",
        ),
    ];
    for (rpc, status, code, reason) in cases {
        assert_eq!(status.code(), code, "{rpc}: {status:?}");
        assert_reason(&status, code, reason);
    }
    // B's settings list only B's apps.
    let b = settings(&h, &b_admin).await;
    assert!(b.apps.iter().all(|a| a.app_id != a_app));
}
