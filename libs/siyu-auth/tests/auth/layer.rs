//! The server layer: refusing calls without a good token, passing the Ctx, public methods.

use std::convert::Infallible;
use std::sync::Arc;

use siyu_auth::{AuthLayer, Claims, ctx_from};
use tonic::{Code, Status};
use tonic_types::StatusExt;
use tower::{Layer, Service, ServiceExt, service_fn};

use crate::support::{self, JwksServer, NOW, claims};

const LOGIN: &str = "/siyu.identity.v1.AuthService/Login";
const PROFILE: &str = "/siyu.membership.v1.MemberService/GetProfile";

/// The inner service answers with the caller's subject, read through `ctx_from` exactly as
/// a tonic handler would, or `anonymous` when there is no ctx.
fn app(
    layer: &AuthLayer,
) -> impl Service<http::Request<String>, Response = http::Response<String>, Error = Infallible> + Clone
{
    layer.layer(service_fn(|request: http::Request<String>| async move {
        let request = tonic::Request::from_http(request);
        Ok::<_, Infallible>(match ctx_from(&request) {
            Ok(ctx) => http::Response::new(ctx.principal.subject.clone()),
            Err(_) => http::Response::new("anonymous".to_owned()),
        })
    }))
}

fn call(path: &str, authorization: Option<&str>) -> http::Request<String> {
    let mut builder = http::Request::builder()
        .method("POST")
        .uri(format!("http://svc{path}"));
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    builder.body(String::new()).unwrap()
}

fn refusal(response: &http::Response<String>) -> (Code, String) {
    let status = Status::from_header_map(response.headers()).expect("a grpc-status header");
    let reason = status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default();
    (status.code(), reason)
}

async fn setup() -> (JwksServer, AuthLayer, siyu_auth::SigningKey) {
    let key = support::ed_key("k1", 1);
    let server = JwksServer::start(&[&key]).await;
    let layer = AuthLayer::new(Arc::new(support::verifier(&server))).public_method(LOGIN);
    (server, layer, key)
}

#[tokio::test]
async fn a_valid_token_reaches_the_handler_with_its_ctx() {
    let (_server, layer, key) = setup().await;
    let token = key.sign(&claims()).unwrap();
    let response = app(&layer)
        .oneshot(call(PROFILE, Some(&format!("Bearer {token}"))))
        .await
        .unwrap();
    assert_eq!(response.body(), "consumer-1");
}

#[tokio::test]
async fn a_missing_header_is_unauthenticated() {
    let (_server, layer, _key) = setup().await;
    let response = app(&layer).oneshot(call(PROFILE, None)).await.unwrap();
    assert_eq!(
        refusal(&response),
        (Code::Unauthenticated, "TOKEN_MISSING".into())
    );
}

#[tokio::test]
async fn a_garbled_header_is_unauthenticated() {
    let (_server, layer, _key) = setup().await;
    for value in [
        "Bearer not.a.jwt",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "eyJhbGciOiJFZERTQSJ9",
    ] {
        let response = app(&layer)
            .oneshot(call(PROFILE, Some(value)))
            .await
            .unwrap();
        assert_eq!(
            refusal(&response),
            (Code::Unauthenticated, "TOKEN_INVALID".into()),
            "{value}"
        );
    }
}

#[tokio::test]
async fn an_expired_token_says_so() {
    let (_server, layer, key) = setup().await;
    let token = key
        .sign(&Claims {
            exp: NOW - 600,
            iat: NOW - 900,
            ..claims()
        })
        .unwrap();
    let response = app(&layer)
        .oneshot(call(PROFILE, Some(&format!("Bearer {token}"))))
        .await
        .unwrap();
    assert_eq!(
        refusal(&response),
        (Code::Unauthenticated, "TOKEN_EXPIRED".into())
    );
}

#[tokio::test]
async fn a_public_method_needs_no_token_and_gets_no_ctx() {
    let (server, layer, _key) = setup().await;
    let response = app(&layer).oneshot(call(LOGIN, None)).await.unwrap();
    assert_eq!(response.body(), "anonymous");
    assert_eq!(server.hits(), 0, "no verification was attempted");
    // A prefix or sibling of a public path is not public.
    let response = app(&layer)
        .oneshot(call("/siyu.identity.v1.AuthService/LoginX", None))
        .await
        .unwrap();
    assert_eq!(refusal(&response).0, Code::Unauthenticated);
}

#[test]
fn ctx_from_without_the_layer_is_unauthenticated() {
    let status = ctx_from(&tonic::Request::new(())).unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "TOKEN_MISSING"
    );
}
