//! Routes derived from the contract: each `google.api.http` binding becomes a [`Route`] whose
//! access is the RPC's `siyu.api.v1.access` seen from the binding's surface.
//!
//! The surface is the path prefix: `/api/v1` serves consumers (and guests where the RPC admits
//! them), `/admin/v1` staff, `/open/v1` partners; any other path must be public. A request
//! credential (a login challenge token) is admitted on every surface. Every method whose
//! access admits partners is also reachable through the partner gRPC ingress.

use std::sync::OnceLock;

use http::Method;
use siyu_proto::api::v1 as api;
use siyu_proto::contract::{Contract, HttpBinding, HttpVerb, MethodContract};

use super::{Access, Body, GrpcRoute, Idempotency, RawBinding, RawReply, Route};
use crate::error::GatewayError;

/// What the contract declares for the gateway.
#[derive(Debug, Clone)]
pub struct Derived {
    /// Every REST route, in declaration order.
    pub rest: Vec<Route>,
    /// Every partner-callable method.
    pub grpc: Vec<GrpcRoute>,
}

/// The routes of this build's contract, derived on first use.
pub fn derived() -> Result<&'static Derived, GatewayError> {
    static DERIVED: OnceLock<Result<Derived, String>> = OnceLock::new();
    DERIVED
        .get_or_init(|| {
            let contract = Contract::global().map_err(|e| e.to_string())?;
            derive(contract)
        })
        .as_ref()
        .map_err(|e| GatewayError::RouteTable(e.clone()))
}

/// Derives the routes of `contract`. Role lists are leaked once: the result lives for the
/// whole process (it is computed once, see [`derived`]).
fn derive(contract: &'static Contract) -> Result<Derived, String> {
    let mut rest = Vec::new();
    let mut grpc = Vec::new();
    for method in contract.methods() {
        let Some(access) = &method.access else {
            if !method.bindings.is_empty() {
                return Err(format!("{}: REST binding without access", method.rpc));
            }
            continue;
        };
        if let Some(partner) = &access.partner {
            grpc.push(GrpcRoute {
                rpc: &method.rpc,
                scope: scope(partner),
            });
        }
        let roles: &'static [&'static str] = match &access.staff {
            Some(staff) => Box::leak(
                staff
                    .roles
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .into_boxed_slice(),
            ),
            None => &[],
        };
        for binding in &method.bindings {
            rest.push(route(method, access, binding, roles)?);
        }
    }
    Ok(Derived { rest, grpc })
}

fn route(
    method: &'static MethodContract,
    access: &'static api::Access,
    binding: &'static HttpBinding,
    roles: &'static [&'static str],
) -> Result<Route, String> {
    let bad = |why: &str| {
        format!(
            "{} {} → {}: {why}",
            binding.verb.as_str(),
            binding.path,
            method.rpc
        )
    };
    let verb = match binding.verb {
        HttpVerb::Get => Method::GET,
        HttpVerb::Post => Method::POST,
        HttpVerb::Put => Method::PUT,
        HttpVerb::Patch => Method::PATCH,
        HttpVerb::Delete => Method::DELETE,
    };
    let body = match (&access.raw, binding.body.as_str()) {
        (Some(raw), field) if !field.is_empty() && field != "*" => {
            raw_binding(raw, field).map(Body::Raw).map_err(&bad)?
        }
        (Some(_), _) => return Err(bad("a raw route names its bytes field as its body")),
        (None, "") => Body::None,
        (None, "*") => Body::All,
        (None, _) => return Err(bad("a body must be \"*\" or absent")),
    };
    let idempotency = match api::IdempotencyMode::try_from(access.idempotency) {
        Ok(api::IdempotencyMode::Replay) => Idempotency::Replay,
        Ok(api::IdempotencyMode::Dedupe) => Idempotency::Dedupe,
        Ok(api::IdempotencyMode::Exempt) => Idempotency::Exempt,
        Ok(api::IdempotencyMode::Unspecified) if verb == Method::POST => Idempotency::Replay,
        Ok(api::IdempotencyMode::Unspecified) => Idempotency::Exempt,
        Err(_) => return Err(bad("unknown idempotency mode")),
    };
    let access_here = if access.raw.is_some() {
        // The caller (a PSP) sends no token; the gateway forwards with its own service token.
        Access::Public
    } else {
        surface_access(access, &binding.path, roles).map_err(bad)?
    };
    Ok(Route {
        access: access_here,
        method: verb,
        path: &binding.path,
        rpc: &method.rpc,
        body,
        idempotency,
        oauth: access.oauth_form,
        summary: &method.summary,
    })
}

/// The raw binding of a route whose body is `body_field` (leaked once, like role lists).
fn raw_binding(
    raw: &'static api::RawRequest,
    body_field: &'static str,
) -> Result<RawBinding, &'static str> {
    let reply = match api::RawReply::try_from(raw.reply) {
        Ok(api::RawReply::WechatpayV3) => RawReply::WechatPayV3,
        _ => return Err("a raw route names its reply protocol"),
    };
    let headers: Vec<(&'static str, &'static str)> = raw
        .headers
        .iter()
        .map(|h| (h.header.as_str(), h.field.as_str()))
        .collect();
    Ok(RawBinding {
        body_field,
        headers: Box::leak(headers.into_boxed_slice()),
        reply,
    })
}

/// The access of a route on `path`'s surface.
fn surface_access(
    access: &'static api::Access,
    path: &str,
    roles: &'static [&'static str],
) -> Result<Access, &'static str> {
    if access.public {
        return Ok(Access::Public);
    }
    if path.starts_with("/api/v1/") {
        return if access.guest || access.credential_in_request {
            Ok(Access::Optional)
        } else if access.consumer {
            Ok(Access::Consumer)
        } else {
            Err("the RPC admits neither consumers nor guests on /api/v1")
        };
    }
    if path.starts_with("/admin/v1/") {
        return if access.credential_in_request {
            Ok(Access::Optional)
        } else if access.staff.is_some() {
            Ok(Access::Staff(roles))
        } else {
            Err("the RPC does not admit staff on /admin/v1")
        };
    }
    if path.starts_with("/open/v1/") {
        return match &access.partner {
            Some(partner) => Ok(Access::Partner(scope(partner))),
            None => Err("the RPC does not admit partners on /open/v1"),
        };
    }
    Err("routes outside /api/v1, /admin/v1 and /open/v1 must be public")
}

fn scope(partner: &'static api::PartnerAccess) -> Option<&'static str> {
    Some(partner.scope.as_str()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surfaces_pick_the_audience() {
        let routes = &derived().unwrap().rest;
        let find = |method: &Method, path: &str| {
            routes
                .iter()
                .find(|r| r.method == method && r.path == path)
                .map(|r| r.access)
        };
        // One RPC, three surfaces: guests and consumers, any staff, partners with a scope.
        assert_eq!(find(&Method::GET, "/api/v1/stores"), Some(Access::Optional));
        assert_eq!(
            find(&Method::GET, "/admin/v1/stores"),
            Some(Access::Staff(&[]))
        );
        assert_eq!(
            find(&Method::GET, "/open/v1/stores"),
            Some(Access::Partner(Some("catalog.read")))
        );
        // A challenge token in the request admits tokenless callers on the staff surface.
        assert_eq!(
            find(&Method::POST, "/admin/v1/auth/password"),
            Some(Access::Optional)
        );
        assert_eq!(
            find(&Method::GET, "/.well-known/jwks.json"),
            Some(Access::Public)
        );
    }

    #[test]
    fn partners_reach_every_method_that_admits_them() {
        let derived = derived().unwrap();
        let find = |rpc: &str| derived.grpc.iter().find(|g| g.rpc == rpc).map(|g| g.scope);
        assert_eq!(
            find("siyu.catalog.v1.InventoryService/SyncStock"),
            Some(Some("inventory.write"))
        );
        assert_eq!(
            find("siyu.identity.v1.TokenService/IntrospectToken"),
            Some(None)
        );
        assert_eq!(
            find("siyu.catalog.v1.InventoryService/ConfirmReservation"),
            None
        );
    }

    #[test]
    fn a_route_on_a_surface_the_rpc_does_not_admit_is_refused() {
        let contract = Contract::global().unwrap();
        let confirm = contract
            .method("/siyu.catalog.v1.InventoryService/ConfirmReservation")
            .unwrap();
        let access: &'static api::Access = confirm.access.as_ref().unwrap();
        assert!(surface_access(access, "/admin/v1/x", &[]).is_err());
        assert!(surface_access(access, "/api/v1/x", &[]).is_err());
        assert!(surface_access(access, "/other", &[]).is_err());
    }
}
