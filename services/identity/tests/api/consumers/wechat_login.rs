//! WeChat mini-program login.

use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason};

#[tokio::test]
async fn first_login_creates_a_user_and_later_logins_find_it() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("wx1").await;
    let first = h.wechat_login(&app_id, "o_alice").await;
    assert!(first.is_new_user);
    assert!(first.phone_required);
    let again = h.wechat_login(&app_id, "o_alice").await;
    assert!(!again.is_new_user);
    assert_eq!(again.user.unwrap().user_id, first.user.unwrap().user_id);
}

#[tokio::test]
async fn bad_and_used_codes_are_refused() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("wx2").await;
    let login = |code: &str, app: &str| pb::LoginWithWeChatRequest {
        app_id: app.into(),
        code: code.into(),
        attribution: None,
    };
    let err = h
        .consumers()
        .login_with_we_chat(login("bogus", &app_id))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "WECHAT_CODE_INVALID");
    let code = h.control.login_code(&app_id, "o_used").await.unwrap();
    h.consumers()
        .login_with_we_chat(login(&code, &app_id))
        .await
        .unwrap();
    let err = h
        .consumers()
        .login_with_we_chat(login(&code, &app_id))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "WECHAT_CODE_INVALID");
    let err = h
        .consumers()
        .login_with_we_chat(login("x", "wx_nobody"))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "APP_NOT_FOUND");
    let err = h
        .consumers()
        .login_with_we_chat(login("", &app_id))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn sixteen_simultaneous_first_logins_create_exactly_one_user() {
    let h = Harness::start().await;
    let (tenant, app_id, _) = h.tenant_with_app("wx3").await;
    let mut codes = Vec::new();
    for _ in 0..16 {
        codes.push(h.control.login_code(&app_id, "o_crowd").await.unwrap());
    }
    let calls = codes.into_iter().map(|code| {
        let mut client = h.consumers();
        let app_id = app_id.clone();
        async move {
            client
                .login_with_we_chat(pb::LoginWithWeChatRequest {
                    app_id,
                    code,
                    attribution: None,
                })
                .await
        }
    });
    let results = futures::future::join_all(calls).await;
    let ok: Vec<_> = results
        .into_iter()
        .map(|r| r.unwrap().into_inner())
        .collect();
    assert_eq!(ok.iter().filter(|r| r.is_new_user).count(), 1);
    let first = ok[0].user.as_ref().unwrap().user_id.clone();
    assert!(ok.iter().all(|r| r.user.as_ref().unwrap().user_id == first));
    use sea_orm::ConnectionTrait as _;
    let row =
        h.db.db
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT COUNT(*) AS n FROM identity_users WHERE tenant_id = $1",
                [tenant.into()],
            ))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
}

#[tokio::test]
async fn embedded_mode_smoke_on_sqlite() {
    let db = siyu_testkit::TestDb::sqlite::<siyu_identity::Migrator>()
        .await
        .unwrap();
    let h = Harness::start_on(db).await;
    let (_, app_id, _) = h.tenant_with_app("lite").await;
    let login = h.wechat_login(&app_id, "o_lite").await;
    assert!(login.is_new_user);
    h.tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: login.tokens.unwrap().refresh_token,
        })
        .await
        .unwrap();
}
