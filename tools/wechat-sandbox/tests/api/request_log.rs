//! `GET /sandbox/requests`: what the suite called, for assertions.

use serde_json::json;

use crate::helpers::TestSandbox;

#[tokio::test]
async fn protocol_calls_are_recorded_with_their_errcode() {
    let t = TestSandbox::start().await;
    let code = t.login_code("o_user_1").await;
    t.jscode2session(&t.app.appid, &t.app.secret, &code).await;
    t.jscode2session(&t.app.appid, &t.app.secret, &code).await;
    let token = t.access_token().await;
    t.phone_number(&token, "nope").await;

    let all = t.control.requests(None).await.unwrap();
    let paths: Vec<&str> = all.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/sns/jscode2session",
            "/sns/jscode2session",
            "/cgi-bin/token",
            "/wxa/business/getuserphonenumber"
        ],
        "control calls must not be recorded"
    );

    let first = &all[0];
    assert_eq!(first.method, "GET");
    assert_eq!(first.query["appid"], t.app.appid);
    assert_eq!(first.query["js_code"], code);
    assert_eq!(first.errcode, 0);
    assert_eq!(all[1].errcode, 40163);

    let phone = &all[3];
    assert_eq!(phone.method, "POST");
    assert_eq!(phone.query["access_token"], token);
    assert_eq!(phone.body, Some(json!({ "code": "nope" })));
    assert_eq!(phone.errcode, 40029);
}

#[tokio::test]
async fn the_log_filters_by_path_and_can_be_cleared() {
    let t = TestSandbox::start().await;
    t.access_token().await;
    t.jscode2session(&t.app.appid, &t.app.secret, "nope").await;

    let sessions = t
        .control
        .requests(Some("/sns/jscode2session"))
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].errcode, 40029);

    t.control.clear_requests().await.unwrap();
    assert!(t.control.requests(None).await.unwrap().is_empty());
}
