//! The route table compiled against the descriptor set: path templates split into segments,
//! methods resolved, and request lookup by HTTP method and path.

use std::collections::HashMap;

use http::Method;
use http::uri::PathAndQuery;
use prost_reflect::{
    Cardinality, DescriptorPool, FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor,
};

use super::{Body, GrpcRoute, Idempotency, Route, upstream_of};
use crate::error::GatewayError;

/// A REST route ready to serve.
#[derive(Debug)]
pub struct CompiledRoute {
    /// The declaration.
    pub route: Route,
    /// The gRPC method, with its request and response descriptors.
    pub method: MethodDescriptor,
    /// The upstream serving it.
    pub upstream: String,
    /// `/package.Service/Method`.
    pub grpc_path: PathAndQuery,
    segments: Vec<Segment>,
}

/// One partner-callable gRPC method.
#[derive(Debug, Clone)]
pub struct CompiledGrpcRoute {
    /// Required scope, if any.
    pub scope: Option<&'static str>,
    /// The upstream serving it.
    pub upstream: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(&'static str),
    Param(&'static str),
}

/// The outcome of a lookup.
#[derive(Debug)]
pub enum Lookup<'a> {
    /// A route, with its path parameters as `(field path, decoded value)`.
    Found(&'a CompiledRoute, Vec<(&'static str, String)>),
    /// The path exists for other methods only.
    MethodNotAllowed(Vec<Method>),
    /// No route has this path.
    NotFound,
}

/// Every REST route and every ingress method, checked against the descriptors.
#[derive(Debug)]
pub struct RouteTable {
    routes: Vec<CompiledRoute>,
    grpc: HashMap<String, CompiledGrpcRoute>,
}

impl RouteTable {
    /// Compiles `routes` and `grpc` against `pool`; any route naming a missing method or field,
    /// a streaming method, or a duplicate (method, path) is an error.
    pub fn compile(
        pool: &DescriptorPool,
        routes: Vec<Route>,
        grpc: Vec<GrpcRoute>,
    ) -> Result<Self, GatewayError> {
        let mut compiled = Vec::with_capacity(routes.len());
        for route in routes {
            compiled.push(compile_route(pool, route)?);
        }
        for (i, a) in compiled.iter().enumerate() {
            if compiled[..i]
                .iter()
                .any(|b| b.route.method == a.route.method && b.segments == a.segments)
            {
                return Err(bad(&a.route, "duplicate method and path"));
            }
        }
        // Most literal segments first, so `/staff/me` wins over `/staff/{staff_id}`.
        compiled.sort_by_key(|r| {
            std::cmp::Reverse(
                r.segments
                    .iter()
                    .filter(|s| matches!(s, Segment::Literal(_)))
                    .count(),
            )
        });
        let mut methods = HashMap::new();
        for entry in grpc {
            let method = resolve_method(pool, entry.rpc).ok_or_else(|| {
                GatewayError::RouteTable(format!("{}: no such method", entry.rpc))
            })?;
            let upstream = upstream_of(entry.rpc)
                .ok_or_else(|| GatewayError::RouteTable(format!("{}: no upstream", entry.rpc)))?;
            methods.insert(
                format!("/{}/{}", method.parent_service().full_name(), method.name()),
                CompiledGrpcRoute {
                    scope: entry.scope,
                    upstream: upstream.to_owned(),
                },
            );
        }
        Ok(Self {
            routes: compiled,
            grpc: methods,
        })
    }

    /// Finds the route for `method` and `path` (the raw, percent-encoded path).
    pub fn lookup(&self, method: &Method, path: &str) -> Lookup<'_> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut allowed = Vec::new();
        for route in &self.routes {
            let Some(params) = match_segments(&route.segments, &parts) else {
                continue;
            };
            if route.route.method == method {
                return Lookup::Found(route, params);
            }
            if !allowed.contains(&route.route.method) {
                allowed.push(route.route.method.clone());
            }
        }
        if allowed.is_empty() {
            Lookup::NotFound
        } else {
            Lookup::MethodNotAllowed(allowed)
        }
    }

    /// Every REST route, for the OpenAPI document.
    pub fn routes(&self) -> &[CompiledRoute] {
        &self.routes
    }

    /// The ingress entry for a `/package.Service/Method` path, if partners may call it.
    pub fn grpc_route(&self, path: &str) -> Option<&CompiledGrpcRoute> {
        self.grpc.get(path)
    }

    /// Every upstream some route needs.
    pub fn upstreams(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .routes
            .iter()
            .map(|r| r.upstream.as_str())
            .chain(self.grpc.values().map(|g| g.upstream.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

impl CompiledRoute {
    /// The `{field}` paths of the template, in order.
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.segments.iter().filter_map(|s| match s {
            Segment::Param(field) => Some(*field),
            Segment::Literal(_) => None,
        })
    }

    /// The template as declared (`{org_unit.org_unit_id}`); the OpenAPI document names the
    /// parameter plainly (see `openapi::path_param_names`).
    pub fn template(&self) -> &'static str {
        self.route.path
    }
}

fn compile_route(pool: &DescriptorPool, route: Route) -> Result<CompiledRoute, GatewayError> {
    let method = resolve_method(pool, route.rpc).ok_or_else(|| bad(&route, "no such method"))?;
    if method.is_client_streaming() || method.is_server_streaming() {
        return Err(bad(&route, "streaming methods cannot be REST routes"));
    }
    if !route.path.starts_with('/') {
        return Err(bad(&route, "path must start with /"));
    }
    let mut segments = Vec::new();
    for part in route.path.trim_start_matches('/').split('/') {
        if let Some(field) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            let desc = resolve_field(&method.input(), field)
                .ok_or_else(|| bad(&route, &format!("no field {field}")))?;
            if desc.cardinality() == Cardinality::Repeated
                || matches!(desc.kind(), Kind::Message(_))
            {
                return Err(bad(&route, &format!("{field} must be a singular scalar")));
            }
            segments.push(Segment::Param(field));
        } else if part.is_empty() || part.contains(['{', '}']) {
            return Err(bad(&route, "empty or malformed segment"));
        } else {
            segments.push(Segment::Literal(part));
        }
    }
    if let Body::Raw(raw) = route.body {
        let input = method.input();
        let kind_of = |field: &str| {
            input
                .get_field_by_name(field)
                .map(|f| (f.kind(), f.cardinality()))
        };
        if kind_of(raw.body_field) != Some((Kind::Bytes, Cardinality::Optional)) {
            return Err(bad(
                &route,
                "a raw body field must be a singular bytes field",
            ));
        }
        for (header, field) in raw.headers {
            if kind_of(field) != Some((Kind::String, Cardinality::Optional)) {
                return Err(bad(
                    &route,
                    &format!("header {header} needs a singular string field"),
                ));
            }
        }
    }
    if route.oauth && route.body != Body::All {
        return Err(bad(&route, "OAuth routes take a body"));
    }
    // OAuth errors are rendered per RFC 6749, which a stored problem+json replay would not be.
    if route.oauth && route.idempotency == Idempotency::Replay {
        return Err(bad(&route, "OAuth routes cannot be replayed"));
    }
    let upstream = upstream_of(route.rpc).ok_or_else(|| bad(&route, "no upstream"))?;
    let grpc_path = format!("/{}/{}", method.parent_service().full_name(), method.name())
        .parse::<PathAndQuery>()
        .map_err(|_| bad(&route, "bad gRPC path"))?;
    Ok(CompiledRoute {
        upstream: upstream.to_owned(),
        grpc_path,
        method,
        segments,
        route,
    })
}

/// The method `package.Service/Method`, if the pool has it.
pub fn resolve_method(pool: &DescriptorPool, rpc: &str) -> Option<MethodDescriptor> {
    let (service, method) = rpc.split_once('/')?;
    pool.get_service_by_name(service)?
        .methods()
        .find(|m| m.name() == method)
}

/// The field at a dotted path of proto names (`org_unit.org_unit_id`), through singular
/// message fields.
pub fn resolve_field(message: &MessageDescriptor, path: &str) -> Option<FieldDescriptor> {
    let mut current = message.clone();
    let mut parts = path.split('.').peekable();
    while let Some(name) = parts.next() {
        let field = current.get_field_by_name(name)?;
        if parts.peek().is_none() {
            return Some(field);
        }
        match field.kind() {
            Kind::Message(next) if field.cardinality() != Cardinality::Repeated => current = next,
            _ => return None,
        }
    }
    None
}

fn match_segments(segments: &[Segment], parts: &[&str]) -> Option<Vec<(&'static str, String)>> {
    if segments.len() != parts.len() {
        return None;
    }
    let mut params = Vec::new();
    for (segment, part) in segments.iter().zip(parts) {
        match segment {
            Segment::Literal(literal) if literal == part => {}
            Segment::Literal(_) => return None,
            Segment::Param(field) => {
                let value = percent_decode(part)?;
                if value.is_empty() {
                    return None;
                }
                params.push((*field, value));
            }
        }
    }
    Some(params)
}

/// Decodes `%XX` escapes of a path segment; `None` for bad escapes or non-UTF-8 results,
/// which then match no route (404) rather than reaching a service.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn bad(route: &Route, why: &str) -> GatewayError {
    GatewayError::RouteTable(format!(
        "{} {} → {}: {why}",
        route.method, route.path, route.rpc
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::{Access, grpc_routes, rest_routes};

    fn pool() -> DescriptorPool {
        DescriptorPool::decode(siyu_proto::FILE_DESCRIPTOR_SET).unwrap()
    }

    #[test]
    fn the_real_tables_compile() {
        let table = RouteTable::compile(&pool(), rest_routes(), grpc_routes()).unwrap();
        assert!(table.routes().len() > 90);
        // Every upstream a route needs is one of the suite's services.
        for upstream in table.upstreams() {
            assert!(
                ["identity", "membership", "catalog", "orders", "content"].contains(&upstream),
                "{upstream}"
            );
        }
    }

    #[test]
    fn literals_win_and_params_are_decoded() {
        let table = RouteTable::compile(&pool(), rest_routes(), vec![]).unwrap();
        match table.lookup(&Method::GET, "/admin/v1/staff/me") {
            Lookup::Found(route, params) => {
                assert!(route.route.rpc.ends_with("GetCurrentStaff"));
                assert!(params.is_empty());
            }
            other => panic!("{other:?}"),
        }
        match table.lookup(&Method::GET, "/admin/v1/staff/a%2Fb") {
            Lookup::Found(_, params) => assert_eq!(params, vec![("staff_id", "a/b".to_owned())]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            table.lookup(&Method::PUT, "/admin/v1/staff/me"),
            Lookup::MethodNotAllowed(_)
        ));
        assert!(matches!(
            table.lookup(&Method::GET, "/nope"),
            Lookup::NotFound
        ));
    }

    fn public_get(path: &'static str, rpc: &'static str) -> Route {
        Route {
            method: Method::GET,
            path,
            rpc,
            access: Access::Public,
            body: Body::None,
            idempotency: Idempotency::Exempt,
            oauth: false,
            summary: "",
        }
    }

    #[test]
    fn typos_stop_the_table() {
        let typo = public_get("/x/{nope}", "siyu.identity.v1.TokenService/GetJwks");
        assert!(RouteTable::compile(&pool(), vec![typo], vec![]).is_err());
        let missing = public_get("/x", "siyu.identity.v1.TokenService/Nope");
        assert!(RouteTable::compile(&pool(), vec![missing], vec![]).is_err());
    }
}
