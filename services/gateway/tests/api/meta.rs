//! Request ids, health, readiness, the OpenAPI document and the docs page.

use secrecy::SecretString;
use siyu_gateway::{Application, Settings};

use crate::support::{Backend, TestApp, problem};

#[tokio::test]
async fn request_ids_are_echoed_forwarded_and_generated() {
    let app = TestApp::spawn(Backend::Memory).await;
    let response = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .header("x-request-id", "req-abc.123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-abc.123");
    assert_eq!(app.identity.last_metadata()["x-request-id"], "req-abc.123");

    // A hostile id is replaced by a UUIDv7, which also names the problem instance.
    let response = app
        .http
        .get(app.url("/api/v1/sessions"))
        .header("x-request-id", "evil\tline")
        .send()
        .await
        .unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(uuid_version(&id), Some('7'), "{id}");
    let (_, body) = problem(response).await;
    assert_eq!(body["instance"], id);
}

fn uuid_version(id: &str) -> Option<char> {
    (id.len() == 36).then(|| id.chars().nth(14)).flatten()
}

#[tokio::test]
async fn openapi_lists_every_route_and_docs_render_it() {
    let app = TestApp::spawn(Backend::Memory).await;
    let doc: serde_json::Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for route in siyu_gateway::routes::rest_routes() {
        let method = route.method.as_str().to_ascii_lowercase();
        // The document names path parameters plainly (`{product.product_id}` → `{product_id}`).
        let path = route
            .path
            .split('/')
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(field) => format!("{{{}}}", field.rsplit('.').next().unwrap_or(field)),
                    None => s.to_owned(),
                },
            )
            .collect::<Vec<_>>()
            .join("/");
        assert!(
            doc["paths"][&path][&method].is_object(),
            "{method} {path} missing"
        );
    }
    let login = &doc["paths"]["/api/v1/auth/wechat-login"]["post"];
    let schema = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap();
    let name = schema.trim_start_matches("#/components/schemas/");
    assert!(doc["components"]["schemas"][name]["properties"]["appId"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    assert!(
        doc["components"]["securitySchemes"]["partnerOAuth"]["flows"]["clientCredentials"]["scopes"]
            ["catalog.read"]
            .is_string()
    );
    let sessions = &doc["paths"]["/api/v1/sessions"]["get"]["parameters"];
    assert!(
        sessions
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "page.pageSize")
    );

    let docs = app.get("/docs", None).await;
    assert_eq!(docs.status(), 200);
    // The page loads the viewer, which loads the document (see `openapi::docs_render_…`).
    assert!(docs.text().await.unwrap().contains("/docs/init.js"));
}

#[tokio::test]
async fn not_ready_until_the_jwks_is_loaded_but_always_live() {
    let mut settings = Settings::default();
    settings.http_addr = "127.0.0.1:0".parse().unwrap();
    settings.server.grpc_addr = "127.0.0.1:0".parse().unwrap();
    settings.cache.url = SecretString::from("memory://");
    // Nothing listens on the discard port.
    settings.auth.jwks_url = "http://127.0.0.1:9/jwks.json".into();
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.http_port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let live = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);

    let app = TestApp::spawn(Backend::Memory).await;
    assert_eq!(app.get("/readyz", None).await.status(), 200);
}
