//! HEAD on GET routes, and values the JSON decoder refuses without saying where.

use crate::support::{Backend, TestApp, problem};

#[tokio::test]
async fn head_is_get_without_a_body() {
    let app = TestApp::spawn(Backend::Memory).await;
    let get = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(get.status(), 200);
    let head = app
        .http
        .head(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-type"], "application/json");
    assert!(head.bytes().await.unwrap().is_empty());

    // The Allow header of a GET route names HEAD too.
    let post = app.post("/.well-known/jwks.json", None, None, "{}").await;
    assert_eq!(post.status(), 405);
    let allow = post.headers()["allow"].to_str().unwrap().to_owned();
    assert_eq!(allow, "GET, HEAD");
}

#[tokio::test]
async fn an_out_of_range_integer_names_its_field() {
    let app = TestApp::spawn(Backend::Memory).await;
    let token = app.partner_token(&["catalog.read"]);
    let response = app
        .get("/open/v1/stores?radiusMeters=99999999999", Some(&token))
        .await;
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (400, Some("INVALID_FIELD_VALUE")),
        "{body}"
    );
    assert_eq!(body["errors"][0]["field"], "radius_meters", "{body}");
    assert_eq!(body["errors"][0]["description"], "out of range for int32");
}
