//! The OpenAPI document as generators and fuzzers read it: valid path templates, every
//! operation described with the statuses it answers, schemas constrained as the contract says.

use prost_reflect::DescriptorPool;
use serde_json::Value;
use siyu_gateway::routes::table::RouteTable;
use siyu_gateway::routes::{grpc_routes, rest_routes};

use crate::support::{Backend, TestApp};

fn document() -> Value {
    let pool = DescriptorPool::decode(siyu_proto::FILE_DESCRIPTOR_SET).unwrap();
    let table = RouteTable::compile(&pool, rest_routes(), grpc_routes()).unwrap();
    siyu_gateway::openapi::document(&table)
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for (method, op) in methods.as_object().unwrap() {
            out.push((method.clone(), path.clone(), op));
        }
    }
    out
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let schema = &doc["components"]["schemas"][name];
    assert!(schema.is_object(), "no schema {name}");
    schema
}

#[test]
fn path_parameters_are_plain_and_same_shaped_templates_agree() {
    let doc = document();
    let mut shapes = std::collections::HashMap::new();
    for (path, _) in doc["paths"].as_object().unwrap() {
        let names: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for name in &names {
            assert!(!name.contains('.'), "dotted parameter in {path}");
        }
        let shape: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "{}" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        if let Some(other) = shapes.insert(shape, path.clone()) {
            panic!("{path} and {other} have the same shape");
        }
    }
    // The PATCH of a product shares the GET's path, parameter named as the field.
    let product = &doc["paths"]["/admin/v1/products/{product_id}"];
    assert!(product["get"].is_object() && product["patch"].is_object());
    for (method, path, op) in operations(&doc) {
        let declared: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for segment in path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                assert!(
                    declared.contains(&name),
                    "{method} {path}: {name} undeclared"
                );
            }
        }
    }
    let patch = &product["patch"]["parameters"][0];
    assert_eq!(patch["x-siyu-field"], "product.product_id");
    assert_eq!(patch["schema"]["format"], "uuid");
}

#[test]
fn every_operation_is_described_with_its_statuses() {
    let doc = document();
    assert!(doc["servers"][0]["url"].is_string());
    for tag in doc["tags"].as_array().unwrap() {
        assert!(!tag["description"].as_str().unwrap().is_empty(), "{tag}");
    }
    for (method, path, op) in operations(&doc) {
        let at = format!("{method} {path}");
        assert!(!op["summary"].as_str().unwrap().is_empty(), "{at}: summary");
        assert!(
            !op["description"].as_str().unwrap().is_empty(),
            "{at}: description"
        );
        let responses = op["responses"].as_object().unwrap();
        assert!(responses.contains_key("200"), "{at}");
        if op["x-siyu-raw"].is_string()
            || op["requestBody"]["content"]
                .get("application/x-www-form-urlencoded")
                .is_some()
        {
            continue;
        }
        for status in ["400", "429", "503"] {
            assert!(responses.contains_key(status), "{at}: {status}");
        }
        for status in ["429", "503"] {
            assert!(
                responses[status]["headers"]["Retry-After"].is_object(),
                "{at}"
            );
        }
        let public = op["security"].as_array().unwrap().is_empty();
        if !public {
            assert!(
                responses["401"]["headers"]["WWW-Authenticate"].is_object(),
                "{at}"
            );
            assert!(responses.contains_key("403"), "{at}");
        }
    }
    // Public routes answer no 401 or 403 unless their RPC lists it.
    let jwks = &doc["paths"]["/.well-known/jwks.json"]["get"]["responses"];
    assert!(
        jwks.get("401").is_none() && jwks.get("403").is_none(),
        "{jwks}"
    );
    // Reasons come from the RPC's comment.
    let update = &doc["paths"]["/admin/v1/products/{product_id}"]["patch"]["responses"];
    assert!(
        update["404"]["x-siyu-reasons"]
            .as_array()
            .unwrap()
            .contains(&"PRODUCT_NOT_FOUND".into())
    );
    let create = &doc["paths"]["/admin/v1/categories"]["post"]["responses"];
    assert!(
        create["422"]["x-siyu-reasons"]
            .as_array()
            .unwrap()
            .contains(&"CATEGORY_TOO_DEEP".into())
    );
    assert!(
        create["409"]["x-siyu-reasons"]
            .as_array()
            .unwrap()
            .contains(&"CATEGORY_NAME_TAKEN".into())
    );
    // A replayed POST says so.
    assert!(create["200"]["headers"]["Idempotent-Replayed"].is_object());
}

#[test]
fn schemas_carry_comments_and_constraints() {
    let doc = document();
    let sku = schema(&doc, "siyu.catalog.v1.Sku");
    assert!(sku["description"].as_str().unwrap().starts_with("A SKU"));
    let code = &sku["properties"]["skuCode"];
    assert!(code["description"].as_str().unwrap().contains("货号"));
    assert_eq!(code["maxLength"], 64);
    assert_eq!(sku["properties"]["title"]["readOnly"], true);
    assert_eq!(sku["properties"]["weightGrams"]["minimum"], 0);
    let product = schema(&doc, "siyu.catalog.v1.Product");
    assert_eq!(product["properties"]["title"]["minLength"], 1);
    assert_eq!(product["properties"]["title"]["maxLength"], 60);
    let sessions = doc["paths"]["/api/v1/sessions"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let page_size = sessions
        .iter()
        .find(|p| p["name"] == "page.pageSize")
        .unwrap();
    assert_eq!(page_size["schema"]["maximum"], 200);
    assert!(
        page_size["description"]
            .as_str()
            .unwrap()
            .contains("at most 200")
    );
    // 64-bit integers are decimal strings.
    let money = schema(&doc, "siyu.common.v1.Money");
    assert_eq!(money["properties"]["minorUnits"]["type"], "string");
    assert!(money["properties"]["minorUnits"]["pattern"].is_string());
    // Enums are named, each value described.
    let status = schema(&doc, "siyu.catalog.v1.ProductStatus");
    assert!(
        status["description"]
            .as_str()
            .unwrap()
            .contains("PRODUCT_STATUS_DRAFT`: Being edited")
    );
    // Passwords are sent, never shown.
    let login = schema(&doc, "siyu.identity.v1.LoginStaffRequest");
    assert_eq!(login["properties"]["password"]["writeOnly"], true);
    // Proto oneofs are at most one of their members.
    let with_oneof = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .values()
        .find(|s| s["allOf"][0]["oneOf"].is_array());
    assert!(with_oneof.is_some(), "no oneof rendered");
    // Timestamps are RFC 3339.
    let staff = schema(&doc, "siyu.identity.v1.Staff");
    assert_eq!(staff["properties"]["createTime"]["format"], "date-time");
    assert_eq!(staff["properties"]["createTime"]["readOnly"], true);
    // Formatted scalars carry an example generators can copy.
    assert!(staff["properties"]["createTime"]["examples"][0].is_string());
    assert!(money["properties"]["minorUnits"]["examples"][0].is_string());
    let sku_id = &sku["properties"]["skuId"];
    assert_eq!(sku_id["format"], "uuid");
    let example = sku_id["examples"][0].as_str().unwrap();
    assert!(
        example.len() == 36 && example.matches('-').count() == 4,
        "{example}"
    );
}

#[tokio::test]
async fn docs_render_the_document_with_a_strict_policy() {
    let app = TestApp::spawn(Backend::Memory).await;
    let docs = app.get("/docs", None).await;
    assert_eq!(docs.status(), 200);
    let csp = docs.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let scripts = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"));
    assert_eq!(scripts, Some("script-src 'self'"), "{csp}");
    let page = docs.text().await.unwrap();
    assert!(
        !page.contains("<script>"),
        "inline scripts would need 'unsafe-inline'"
    );
    for asset in [
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
        "/docs/init.js",
    ] {
        assert!(page.contains(asset), "{asset}");
        let response = app.get(asset, None).await;
        assert_eq!(response.status(), 200, "{asset}");
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .is_ok()
        );
    }
    let init = app.get("/docs/init.js", None).await.text().await.unwrap();
    assert!(init.contains("/openapi.json"));
}

#[tokio::test]
async fn a_plain_path_parameter_still_binds_the_nested_field() {
    let app = TestApp::spawn(Backend::Memory).await;
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let template = "/admin/v1/org-units/{org_unit_id}";
    assert!(doc["paths"][template]["patch"].is_object(), "{template}");
    let id = "0190b1c2-0000-7000-8000-0000000000b1";
    let response = app
        .http
        .patch(app.url(&template.replace("{org_unit_id}", id)))
        .bearer_auth(app.staff_token(&["tenant_admin"]))
        .json(&serde_json::json!({"orgUnit": {"name": "湖滨店"}, "updateMask": "name"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        *app.identity.seen.updated_org_units.lock().unwrap(),
        vec![id.to_owned()]
    );
}
