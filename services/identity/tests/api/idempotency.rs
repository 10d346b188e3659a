//! `x-idempotency-key`: a retry replays the first reply with no second effect; the same key
//! with another request is refused; login keys only de-duplicate.

use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, authed};

/// A request with a bearer token and an idempotency key.
pub fn keyed<T>(message: T, token: &str, key: &str) -> tonic::Request<T> {
    let mut request = authed(message, token);
    request
        .metadata_mut()
        .insert("x-idempotency-key", key.parse().unwrap());
    request
}

async fn audit_count(h: &Harness, kind: &str) -> i64 {
    use sea_orm::ConnectionTrait as _;
    let row =
        h.db.db
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1",
                [kind.into()],
            ))
            .await
            .unwrap()
            .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn a_retried_key_replays_the_reply_and_a_reused_key_is_refused() {
    let h = Harness::start().await;
    let (_, _, admin) = h.tenant_with_app("idem").await;
    let app = |name: &str| pb::UpsertAppRequest {
        app: Some(pb::WeChatApp {
            app_id: "wx_idem_h5".into(),
            kind: pb::AppKind::H5 as i32,
            name: name.into(),
            app_secret: "s3cret-value".into(),
            enabled: true,
            ..Default::default()
        }),
    };
    let before = audit_count(&h, "APP_SECRET_CHANGED").await;
    let first = h
        .tenants()
        .upsert_app(keyed(app("H5"), &admin, "k-1"))
        .await
        .unwrap()
        .into_inner();
    assert!(first.created);
    // A fresh run would answer created=false; the replay returns the first reply.
    let again = h
        .tenants()
        .upsert_app(keyed(app("H5"), &admin, "k-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first);
    assert_eq!(audit_count(&h, "APP_SECRET_CHANGED").await, before + 1);
    let err = h
        .tenants()
        .upsert_app(keyed(app("Other name"), &admin, "k-1"))
        .await
        .unwrap_err();
    assert_reason(&err, Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED");
    // Without a key every call runs.
    let plain = h
        .tenants()
        .upsert_app(authed(app("H5"), &admin))
        .await
        .unwrap()
        .into_inner();
    assert!(!plain.created);
    assert_eq!(audit_count(&h, "APP_SECRET_CHANGED").await, before + 2);
}

#[tokio::test]
async fn a_login_key_is_not_replayed() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("idem2").await;
    let code = h.control.login_code(&app_id, "o_idem").await.unwrap();
    let login = |code: &str| {
        let mut request = tonic::Request::new(pb::LoginWithWeChatRequest {
            app_id: app_id.clone(),
            code: code.into(),
            attribution: None,
        });
        request
            .metadata_mut()
            .insert("x-idempotency-key", "login-1".parse().unwrap());
        request
    };
    h.consumers()
        .login_with_we_chat(login(&code))
        .await
        .unwrap();
    // The claim ended with the first call: the retry runs (and the used code is refused)
    // instead of handing out the first call's tokens again.
    let err = h
        .consumers()
        .login_with_we_chat(login(&code))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "WECHAT_CODE_INVALID");
}
