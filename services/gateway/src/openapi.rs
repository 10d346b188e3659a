//! The OpenAPI 3.1 document, generated from the route table and the message descriptors:
//! one operation per route, request and response schemas from the messages, path and query
//! parameters from the fields, and the two security schemes (bearer JWT, OAuth2 client
//! credentials for partners).

mod comments;
mod constraints;
pub mod docs;
mod errors;
mod responses;
mod schema;

use std::collections::{BTreeSet, HashSet};

use prost_reflect::{Cardinality, Kind, MessageDescriptor};
use serde_json::{Map, Value, json};

use self::comments::Comments;
use self::schema::{Schemas, is_scalar_like};
use crate::routes::table::{CompiledRoute, RouteTable, resolve_field};
use crate::routes::{Access, Body, Idempotency};

/// Nested request messages are flattened into query parameters this deep (`page.pageSize`).
const MAX_QUERY_DEPTH: usize = 2;

/// Renders the document.
pub fn document(table: &RouteTable) -> Value {
    let comments = table
        .routes()
        .first()
        .map(|r| Comments::new(r.method.parent_pool()))
        .unwrap_or_default();
    let request_only = request_only_messages(table);
    let mut schemas = Schemas::new(&comments, &request_only);
    let mut paths = Map::new();
    let mut scopes = BTreeSet::new();
    let mut tags = Map::new();
    for route in table.routes() {
        if let Access::Partner(Some(scope)) = route.route.access {
            scopes.insert(scope);
        }
        let service = route.method.parent_service();
        tags.entry(service.name().to_owned()).or_insert_with(|| {
            json!({"name": service.name(), "description": comments.service(service).unwrap_or_default()})
        });
        let operation = operation(route, &comments, &mut schemas);
        let entry = paths
            .entry(openapi_path(route))
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(methods) = entry {
            methods.insert(route.route.method.as_str().to_ascii_lowercase(), operation);
        }
    }
    let scopes: Map<String, Value> = scopes
        .into_iter()
        .map(|s| (s.to_owned(), Value::String(format!("the {s} scope"))))
        .collect();
    let mut components = schemas.into_map();
    components.insert("Problem".to_owned(), problem_schema());
    components.insert("OAuthError".to_owned(), oauth_error_schema());
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Siyu API",
            "version": "v1",
            "description": "Consumer (/api/v1), staff (/admin/v1) and partner (/open/v1) APIs. \
                Errors are application/problem+json (RFC 9457) with a stable `reason`; each \
                operation lists the statuses it answers and, where the contract names them, \
                their reasons (`x-siyu-reasons`).",
        },
        "servers": [{"url": "/", "description": "This gateway"}],
        "tags": tags.into_iter().map(|(_, tag)| tag).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "partnerOAuth": {
                    "type": "oauth2",
                    "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": scopes}},
                },
            },
        },
    })
}

/// The names of a route's path parameters in the document: the field's own name
/// (`{product.product_id}` → `product_id`), as OpenAPI wants plain names and same-shaped
/// templates to use the same ones; the gateway still binds the value to the nested field.
/// Two parameters ending alike keep their whole path (`product_product_id`).
pub fn path_param_names(route: &CompiledRoute) -> Vec<(String, &'static str)> {
    let fields: Vec<&'static str> = route.path_params().collect();
    let leaf = |field: &str| field.rsplit('.').next().unwrap_or(field).to_owned();
    fields
        .iter()
        .map(|field| {
            let name = leaf(field);
            let clash = fields.iter().filter(|other| leaf(other) == name).count() > 1;
            let name = if clash { field.replace('.', "_") } else { name };
            (name, *field)
        })
        .collect()
}

/// The route's template with plain parameter names.
fn openapi_path(route: &CompiledRoute) -> String {
    let mut path = route.template().to_owned();
    for (name, field) in path_param_names(route) {
        path = path.replace(&format!("{{{field}}}"), &format!("{{{name}}}"));
    }
    path
}

/// Messages some request reaches and no reply does.
fn request_only_messages(table: &RouteTable) -> HashSet<String> {
    let mut inputs = HashSet::new();
    let mut outputs = HashSet::new();
    for route in table.routes() {
        reach(&route.method.input(), &mut inputs);
        reach(&route.method.output(), &mut outputs);
    }
    inputs.difference(&outputs).cloned().collect()
}

fn reach(message: &MessageDescriptor, seen: &mut HashSet<String>) {
    if !seen.insert(message.full_name().to_owned()) {
        return;
    }
    for field in message.fields() {
        if let Kind::Message(inner) = field.kind() {
            reach(&inner, seen);
        }
    }
}

fn operation(route: &CompiledRoute, comments: &Comments, schemas: &mut Schemas<'_>) -> Value {
    let input = route.method.input();
    let output = route.method.output();
    let comment = comments.method(&route.method).unwrap_or_default();
    let mut parameters = Vec::new();
    let path_params: Vec<&str> = route.path_params().collect();
    for (name, field) in path_param_names(route) {
        let mut schema = resolve_field(&input, field)
            .map(|f| schemas.field(&f))
            .unwrap_or_else(|| json!({"type": "string"}));
        let description = schema
            .as_object_mut()
            .and_then(|s| s.remove("description"))
            .unwrap_or_else(|| Value::String(String::new()));
        if schema["type"] == "string" {
            // An empty segment matches no route.
            schema["minLength"] = json!(1);
        }
        parameters.push(json!({
            "name": name, "in": "path", "required": true, "schema": schema,
            "description": description, "x-siyu-field": field,
        }));
    }
    if route.route.body == Body::None {
        query_params(&input, "", 0, &path_params, schemas, &mut parameters);
    }
    if route.route.method == http::Method::POST && route.route.idempotency != Idempotency::Exempt {
        parameters.push(json!({
            "name": "Idempotency-Key", "in": "header",
            "required": route.route.idempotency == Idempotency::Replay,
            "description": if route.route.idempotency == Idempotency::Replay {
                "Required; a retry with the same key replays the first reply."
            } else {
                "Optional; de-duplicates concurrent duplicates only (replies are not replayed)."
            },
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
        }));
    }
    if route.route.access == Access::Optional {
        parameters.push(json!({
            "name": "X-Siyu-App-Id", "in": "header", "required": false,
            "description": "Without a token: the mini-program app id whose store a guest browses \
                (WeChat's Referer from a mini-program names it too).",
            "schema": {"type": "string", "maxLength": 64},
        }));
    }
    let mut ok = json!({"description": "OK", "content": {"application/json": {"schema": schemas.reference(&output)}}});
    if let Some(headers) = responses::success_headers(route) {
        ok["headers"] = headers;
    }
    let mut all = Map::new();
    all.insert("200".into(), ok);
    all.extend(responses::errors(route, &errors::listed(comment)));
    all.insert(
        "default".into(),
        json!({"description": "Any other error (500 masked, 501, 504)", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}),
    );
    let mut op = json!({
        "operationId": operation_id(route),
        "summary": route.route.summary,
        "description": comment,
        "tags": [route.method.parent_service().name()],
        "x-grpc-method": route.route.rpc,
        "x-siyu-access": access_text(route.route.access),
        "parameters": parameters,
        "security": security(route.route.access),
        "responses": all,
    });
    if route.route.oauth {
        let oauth_error = json!({"description": "An RFC 6749 §5.2 error", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}}});
        op["responses"] = json!({
            "200": {"description": "OK (Cache-Control: no-store)", "content": {"application/json": {
                "schema": schemas.reference_proto_names(&output)}}},
            "400": oauth_error.clone(),
            "401": oauth_error.clone(),
            "403": oauth_error.clone(),
            "408": oauth_error.clone(),
            "413": oauth_error,
            "default": {"description": "A server-side error (429, 5xx)", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
        });
    }
    if let Body::Raw(raw) = route.route.body {
        if let Some(parameters) = op["parameters"].as_array_mut() {
            for (header, _) in raw.headers {
                parameters.push(json!({"name": header, "in": "header", "required": false, "schema": {"type": "string"}}));
            }
        }
        op["x-siyu-raw"] = json!(format!("{:?}", raw.reply));
        op["requestBody"] = json!({
            "required": true,
            "description": "The PSP's notification, passed to the service byte for byte (its signature covers the exact bytes).",
            "content": {"application/json": {"schema": {"type": "object"}}},
        });
        op["responses"] = json!({
            "200": {"description": "Acknowledged (no body)"},
            "default": {"description": "Not acknowledged; the PSP retries", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}},
        });
    }
    if route.route.body == Body::All {
        let mut content = Map::new();
        content.insert(
            "application/json".into(),
            json!({"schema": schemas.reference(&input)}),
        );
        if route.route.oauth {
            content.insert(
                "application/x-www-form-urlencoded".into(),
                json!({"schema": schemas.reference(&input)}),
            );
        }
        op["requestBody"] = json!({"required": false, "content": content});
    }
    op
}

fn query_params(
    message: &MessageDescriptor,
    prefix: &str,
    depth: usize,
    bound: &[&str],
    schemas: &mut Schemas<'_>,
    out: &mut Vec<Value>,
) {
    for field in message.fields() {
        let proto_path = format!("{prefix}{}", field.name());
        if bound.contains(&proto_path.as_str()) {
            continue;
        }
        let name = format!("{prefix}{}", field.json_name());
        match field.kind() {
            Kind::Message(inner) if !is_scalar_like(&inner) => {
                if field.cardinality() != Cardinality::Repeated && depth < MAX_QUERY_DEPTH {
                    query_params(&inner, &format!("{name}."), depth + 1, bound, schemas, out);
                }
            }
            _ => {
                let mut schema = schemas.field(&field);
                let description = schema
                    .as_object_mut()
                    .and_then(|s| s.remove("description"))
                    .unwrap_or_else(|| Value::String(String::new()));
                out.push(json!({
                    "name": name, "in": "query", "required": false,
                    "schema": schema, "description": description,
                }));
            }
        }
    }
}

fn operation_id(route: &CompiledRoute) -> String {
    let path: String = route
        .template()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!(
        "{}{}",
        route.route.method.as_str().to_ascii_lowercase(),
        path
    )
}

fn security(access: Access) -> Value {
    match access {
        Access::Public => json!([]),
        Access::Optional => json!([{}, {"bearerAuth": []}]),
        Access::Consumer | Access::Staff(_) => json!([{"bearerAuth": []}]),
        Access::Partner(scope) => json!([{"partnerOAuth": scope.into_iter().collect::<Vec<_>>()}]),
    }
}

fn access_text(access: Access) -> String {
    match access {
        Access::Public => "public".into(),
        Access::Optional => "public; a token, when sent, must be valid".into(),
        Access::Consumer => "consumer".into(),
        Access::Staff([]) => "staff".into(),
        Access::Staff(roles) => format!("staff with one of: {}", roles.join(", ")),
        Access::Partner(None) => "partner".into(),
        Access::Partner(Some(scope)) => format!("partner with scope {scope}"),
    }
}

fn oauth_error_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 6749 §5.2 error response of the OAuth endpoints, with Siyu's reason.",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "enum": [
                "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
                "unsupported_grant_type", "invalid_scope",
            ]},
            "error_description": {"type": "string"},
            "reason": {"type": "string", "examples": ["INVALID_CLIENT"]},
        },
    })
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details with the service's stable reason.",
        "required": ["type", "title", "status", "reason"],
        "properties": {
            "type": {"type": "string", "examples": ["urn:siyu:problem:TOKEN_EXPIRED"]},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string", "description": "The request id (x-request-id)."},
            "reason": {"type": "string"},
            "errors": {"type": "array", "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "description": {"type": "string"}},
            }},
        },
    })
}
