//! TenantService WeChat Pay configuration (write-only, sealed at rest, audited), app removal
//! guarded by it, and credential reads by services.

use futures::future::join_all;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, authed, count, service_token, violations};
use crate::idempotency::keyed;
use crate::tenancy::settings::{audits, settings};

pub const PAY_KEY_PEM: &str = include_str!("../fixtures/pay_test_key.pem");
pub const PAY_PUB_PEM: &str = include_str!("../fixtures/pay_test_pub.pem");
/// A well-formed PKCS#8 key of the wrong algorithm (Ed25519, not RSA).
pub const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
    MC4CAQAwBQYDK2VwBCIEIFmCNZdce72MVROc7Ovzp6HCMjudYFayq+EfZFbZ9AUo\n\
    -----END PRIVATE KEY-----\n";
pub const API_V3_KEY: &str = "0123456789abcdefghijABCDEFGHIJ01";

pub fn pay(app_id: &str, api_v3_key: &str, pem: &str) -> pb::SetWeChatPayConfigRequest {
    pb::SetWeChatPayConfigRequest {
        config: Some(pb::WeChatPayConfig {
            mch_id: "1900000109".into(),
            app_id: app_id.into(),
            merchant_serial_no: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1".into(),
            api_v3_key: api_v3_key.into(),
            private_key_pem: pem.into(),
            wechatpay_public_key_id: "PUB_KEY_ID_0119000001092025".into(),
            wechatpay_public_key_pem: PAY_PUB_PEM.into(),
            ..Default::default()
        }),
    }
}

#[tokio::test]
async fn pay_config_is_write_only_sealed_audited_and_read_by_services() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("ts3").await;
    let svc = service_token(&h, &tenant).await;
    let missing = h
        .tenants()
        .get_app_credentials(authed(
            pb::GetAppCredentialsRequest {
                app_id: String::new(),
                wechat_pay: true,
            },
            &svc,
        ))
        .await
        .unwrap_err();
    assert_reason(&missing, Code::FailedPrecondition, "PAY_CONFIG_MISSING");

    let stored = h
        .tenants()
        .set_we_chat_pay_config(keyed(pay(&app_id, API_V3_KEY, PAY_KEY_PEM), &admin, "p1"))
        .await
        .unwrap()
        .into_inner()
        .config
        .unwrap();
    let replayed = h
        .tenants()
        .set_we_chat_pay_config(keyed(pay(&app_id, API_V3_KEY, PAY_KEY_PEM), &admin, "p1"))
        .await
        .unwrap()
        .into_inner()
        .config
        .unwrap();
    assert_eq!(stored, replayed);
    assert!(stored.api_v3_key.is_empty() && stored.private_key_pem.is_empty());
    assert!(stored.api_v3_key_set && stored.private_key_set);
    assert_eq!(stored.wechatpay_public_key_pem, PAY_PUB_PEM);
    let masked = settings(&h, &admin).await.wechat_pay.unwrap();
    assert!(masked.api_v3_key.is_empty() && masked.private_key_pem.is_empty());
    // Sealed at rest: the clear key is nowhere in the row.
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_pay_configs WHERE tenant_id = $1 \
             AND position(convert_to('0123456789abcdef', 'UTF8') in api_v3_key_enc) = 0 \
             AND position(convert_to('PRIVATE KEY', 'UTF8') in private_key_enc) = 0",
            &tenant,
        )
        .await,
        1
    );
    // Empty key fields keep the stored ones.
    h.tenants()
        .set_we_chat_pay_config(authed(pay(&app_id, "", ""), &admin))
        .await
        .unwrap();
    let creds = h
        .tenants()
        .get_app_credentials(authed(
            pb::GetAppCredentialsRequest {
                app_id: String::new(),
                wechat_pay: true,
            },
            &svc,
        ))
        .await
        .unwrap()
        .into_inner();
    let open = creds.wechat_pay.unwrap();
    assert_eq!(open.api_v3_key, API_V3_KEY);
    assert_eq!(open.private_key_pem, PAY_KEY_PEM);
    assert_eq!(creds.app_id, app_id);
    let app = h
        .tenants()
        .get_app_credentials(authed(
            pb::GetAppCredentialsRequest {
                app_id: app_id.clone(),
                wechat_pay: false,
            },
            &svc,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!app.app_secret.is_empty());
    // Staff never read credentials.
    let denied = h
        .tenants()
        .get_app_credentials(authed(
            pb::GetAppCredentialsRequest {
                app_id: app_id.clone(),
                wechat_pay: false,
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&denied, Code::PermissionDenied, "PERMISSION_DENIED");
    assert_eq!(audits(&h, &tenant, "PAY_CONFIG_CHANGED").await, 2);
    assert_eq!(audits(&h, &tenant, "CREDENTIALS_READ").await, 2);
    // No secret in any audit entry.
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_audit_log WHERE tenant_id = $1 \
             AND (details LIKE '%0123456789abcdef%' OR details LIKE '%PRIVATE KEY%')",
            &tenant,
        )
        .await,
        0
    );
}

#[tokio::test]
async fn pay_config_refuses_bad_keys_and_foreign_apps() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("ts4").await;
    let call = |req: pb::SetWeChatPayConfigRequest| {
        let mut client = h.tenants();
        let req = authed(req, &admin);
        async move { client.set_we_chat_pay_config(req).await.unwrap_err() }
    };
    let first_without_keys = call(pay(&app_id, "", "")).await;
    assert_reason(
        &first_without_keys,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        violations(&first_without_keys),
        vec!["config.api_v3_key", "config.private_key_pem"]
    );
    let short_key = call(pay(&app_id, "too-short", PAY_KEY_PEM)).await;
    assert_reason(&short_key, Code::InvalidArgument, "PAY_KEY_INVALID");
    assert_eq!(violations(&short_key), vec!["config.api_v3_key"]);
    let garbage = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";
    for pem in [garbage, ED25519_PEM, PAY_PUB_PEM] {
        let status = call(pay(&app_id, API_V3_KEY, pem)).await;
        assert_reason(&status, Code::InvalidArgument, "PAY_KEY_INVALID");
        assert_eq!(violations(&status), vec!["config.private_key_pem"]);
    }
    let mut bad_mch = pay(&app_id, API_V3_KEY, PAY_KEY_PEM);
    bad_mch.config.as_mut().unwrap().mch_id = "12ab".into();
    let status = call(bad_mch).await;
    assert_reason(&status, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&status), vec!["config.mch_id"]);
    let unknown = call(pay("wx_not_ours", API_V3_KEY, PAY_KEY_PEM)).await;
    assert_reason(&unknown, Code::FailedPrecondition, "APP_NOT_FOUND");
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_pay_configs WHERE mch_id = $1",
            "1900000109"
        )
        .await,
        0
    );
}

async fn add_app(h: &Harness, admin: &str, app_id: &str, kind: pb::AppKind) {
    h.tenants()
        .upsert_app(authed(
            pb::UpsertAppRequest {
                app: Some(pb::WeChatApp {
                    app_id: app_id.into(),
                    kind: kind as i32,
                    name: "Second".into(),
                    app_secret: "second-app-secret-value".into(),
                    enabled: true,
                    ..Default::default()
                }),
            },
            admin,
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn remove_app_refuses_the_pay_app_and_ends_logins_through_it() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("ts5").await;
    add_app(&h, &admin, "h5_ts5_site", pb::AppKind::H5).await;
    h.tenants()
        .set_we_chat_pay_config(authed(pay(&app_id, API_V3_KEY, PAY_KEY_PEM), &admin))
        .await
        .unwrap();
    let in_use = h
        .tenants()
        .remove_app(authed(
            pb::RemoveAppRequest {
                app_id: app_id.clone(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&in_use, Code::FailedPrecondition, "APP_IN_USE");
    h.tenants()
        .remove_app(keyed(
            pb::RemoveAppRequest {
                app_id: "h5_ts5_site".into(),
            },
            &admin,
            "rm-1",
        ))
        .await
        .unwrap();
    // A retry with the key replays; without it the app is gone.
    h.tenants()
        .remove_app(keyed(
            pb::RemoveAppRequest {
                app_id: "h5_ts5_site".into(),
            },
            &admin,
            "rm-1",
        ))
        .await
        .unwrap();
    let gone = h
        .tenants()
        .remove_app(authed(
            pb::RemoveAppRequest {
                app_id: "h5_ts5_site".into(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&gone, Code::NotFound, "APP_NOT_FOUND");
    let resolve = h
        .tenants()
        .resolve_tenant_by_app_id(pb::ResolveTenantByAppIdRequest {
            app_id: "h5_ts5_site".into(),
        })
        .await
        .unwrap_err();
    assert_reason(&resolve, Code::NotFound, "APP_NOT_FOUND");
    let empty = h
        .tenants()
        .remove_app(authed(pb::RemoveAppRequest::default(), &admin))
        .await
        .unwrap_err();
    assert_eq!(violations(&empty), vec!["app_id"]);
    // One removal audited, the replay added nothing.
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_audit_log WHERE tenant_id = $1 \
             AND kind = 'TENANT_SETTINGS_UPDATED' AND target_kind = 'app'",
            &tenant,
        )
        .await,
        1
    );
}

#[tokio::test]
async fn racing_removal_and_pay_config_never_leave_the_pay_app_removed() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("ts6").await;
    h.tenants()
        .set_we_chat_pay_config(authed(pay(&app_id, API_V3_KEY, PAY_KEY_PEM), &admin))
        .await
        .unwrap();
    for round in 0..4 {
        let second = format!("wx_ts6_second_{round}");
        add_app(&h, &admin, &second, pb::AppKind::MiniProgram).await;
        let calls = (0..8).map(|i| {
            let mut client = h.tenants();
            let (second, admin) = (second.clone(), admin.clone());
            async move {
                if i % 2 == 0 {
                    client
                        .remove_app(authed(pb::RemoveAppRequest { app_id: second }, &admin))
                        .await
                        .map(|_| ())
                } else {
                    client
                        .set_we_chat_pay_config(authed(pay(&second, "", ""), &admin))
                        .await
                        .map(|_| ())
                }
            }
        });
        join_all(calls).await;
        assert_eq!(
            count(
                &h,
                "SELECT COUNT(*) AS n FROM identity_pay_configs p WHERE p.tenant_id = $1 \
                 AND NOT EXISTS (SELECT 1 FROM identity_apps a \
                 WHERE a.app_id = p.app_id AND a.tenant_id = p.tenant_id)",
                &tenant,
            )
            .await,
            0,
            "round {round}"
        );
    }
}
