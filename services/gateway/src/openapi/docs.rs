//! `/docs`: Swagger UI rendering `/openapi.json`, served from this binary.
//!
//! The viewer's assets come from the `swagger-ui-dist` crate, which ships Swagger UI's released
//! bundle inside the crate: no CDN at run time, no download at build time, and no minified
//! bundle kept in this repository. The page and its start-up script are ours, so that every
//! script is a file from this origin and the Content-Security-Policy can forbid inline scripts.

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, StatusCode};
use swagger_ui_dist::{ApiDefinition, OpenApiSource};
use tower::ServiceExt as _;

/// The page: Swagger UI's container, its bundle and our start-up script.
const INDEX_HTML: &str = include_str!("docs/index.html");
/// Starts Swagger UI on `/openapi.json`.
const INIT_JS: &str = include_str!("docs/init.js");

/// Scripts and styles from this origin only (styles may be inline: Swagger UI sets some),
/// images from this origin or `data:` (the stylesheet's icons), requests to this origin
/// (the document, "try it out"); nothing may frame the page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
    font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The crate's router, asked for the two assets the page loads.
static ASSETS: LazyLock<Router> = LazyLock::new(|| {
    swagger_ui_dist::generate_routes(ApiDefinition {
        uri_prefix: "/assets",
        api_definition: OpenApiSource::Uri("/openapi.json"),
        title: None,
    })
});

/// The routes of the docs page.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/docs",
            get(|| async { page("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/docs/init.js",
            get(|| async { page("text/javascript", INIT_JS) }),
        )
        .route("/docs/{asset}", get(asset))
}

fn page(content_type: &'static str, body: &'static str) -> Response {
    with_policy(
        (
            [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
            body,
        )
            .into_response(),
    )
}

async fn asset(Path(asset): Path<String>) -> Response {
    if !matches!(asset.as_str(), "swagger-ui-bundle.js" | "swagger-ui.css") {
        return with_policy(StatusCode::NOT_FOUND.into_response());
    }
    let request = Request::get(format!("/assets/{asset}")).body(Body::empty());
    let response = match request {
        Ok(request) => match ASSETS.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    };
    let mut response = with_policy(response);
    // The assets change only with the crate's version, i.e. with this binary.
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

fn with_policy(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
