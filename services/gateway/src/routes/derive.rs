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

use super::{Access, Body, GrpcRoute, Idempotency, Route};
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
        // Raw PSP callbacks have their own handler (not a transcoded route).
        if access.raw.is_some() {
            continue;
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
    let body = match binding.body.as_str() {
        "" => Body::None,
        "*" => Body::All,
        _ => return Err(bad("a body must be \"*\" or absent")),
    };
    let idempotency = match api::IdempotencyMode::try_from(access.idempotency) {
        Ok(api::IdempotencyMode::Replay) => Idempotency::Replay,
        Ok(api::IdempotencyMode::Dedupe) => Idempotency::Dedupe,
        Ok(api::IdempotencyMode::Exempt) => Idempotency::Exempt,
        Ok(api::IdempotencyMode::Unspecified) if verb == Method::POST => Idempotency::Replay,
        Ok(api::IdempotencyMode::Unspecified) => Idempotency::Exempt,
        Err(_) => return Err(bad("unknown idempotency mode")),
    };
    Ok(Route {
        access: surface_access(access, &binding.path, roles).map_err(bad)?,
        method: verb,
        path: &binding.path,
        rpc: &method.rpc,
        body,
        idempotency,
        oauth: access.oauth_form,
        summary: &method.summary,
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
    use std::collections::BTreeSet;

    use super::*;
    use crate::routes::legacy;

    /// A route as a comparable row: method, path, RPC, access, body, idempotency, OAuth.
    fn row(
        method: &Method,
        path: &str,
        rpc: &str,
        access: String,
        body: bool,
        idempotency: &str,
        oauth: bool,
    ) -> String {
        format!("{method} {path} {rpc} {access} body={body} {idempotency} oauth={oauth}")
    }

    fn access_text(access: Access) -> String {
        match access {
            Access::Public => "public".into(),
            Access::Optional => "optional".into(),
            Access::Consumer => "consumer".into(),
            Access::Staff(roles) => {
                let roles: BTreeSet<_> = roles.iter().collect();
                format!("staff{roles:?}")
            }
            Access::Partner(scope) => format!("partner({})", scope.unwrap_or("any")),
        }
    }

    fn derived_rows() -> BTreeSet<String> {
        derived()
            .unwrap()
            .rest
            .iter()
            .map(|r| {
                row(
                    &r.method,
                    r.path,
                    r.rpc,
                    access_text(r.access),
                    r.body == Body::All,
                    &format!("{:?}", r.idempotency),
                    r.oauth,
                )
            })
            .collect()
    }

    fn legacy_rows() -> BTreeSet<String> {
        legacy::rest_routes()
            .iter()
            .map(|r| {
                let access = match r.access {
                    legacy::Access::Public => Access::Public,
                    legacy::Access::Optional => Access::Optional,
                    legacy::Access::Consumer => Access::Consumer,
                    legacy::Access::Staff(roles) => Access::Staff(roles),
                    legacy::Access::Partner(scope) => Access::Partner(scope),
                };
                row(
                    &r.method,
                    r.path,
                    r.rpc,
                    access_text(access),
                    r.body == legacy::Body::All,
                    &format!("{:?}", r.idempotency),
                    r.oauth,
                )
            })
            .collect()
    }

    /// Routes whose access the old table got wrong: it disagreed with what the service enforces
    /// and with the RPC's "Callers:" line, and the contract now says it once for both.
    const CORRECTED: &[(&str, &str)] = &[
        // Any guide lists their own codes; HQ operators list those in their scope.
        ("GET /admin/v1/guide-codes", "+hq_operator"),
        // Auditors read linked identities (phones masked), as they read consents.
        ("GET /admin/v1/users/{user_id}/identities", "+auditor"),
        // HQ operators edit units in scope; store managers their own store's details.
        (
            "PATCH /admin/v1/org-units/{org_unit.org_unit_id}",
            "+hq_operator +store_manager",
        ),
        // Every staff member edits their own display name, avatar and e-mail.
        ("PATCH /admin/v1/staff/{staff.staff_id}", "any staff"),
        // Revealing a phone is for customer service, store managers and tenant admins only.
        (
            "POST /admin/v1/users/{user_id}/reveal-phone",
            "-hq_operator -guide",
        ),
    ];

    #[test]
    fn the_derived_table_equals_the_hand_kept_one() {
        let derived = derived_rows();
        let legacy = legacy_rows();
        let key = |row: &String| row.split(' ').take(2).collect::<Vec<_>>().join(" ");
        let differing: BTreeSet<String> = legacy.symmetric_difference(&derived).map(key).collect();
        let corrected: BTreeSet<String> = CORRECTED.iter().map(|(k, _)| (*k).to_owned()).collect();
        assert_eq!(
            differing,
            corrected,
            "only in the old table:\n{}\nonly derived:\n{}",
            legacy
                .difference(&derived)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
            derived
                .difference(&legacy)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_eq!(derived.len(), legacy.len());
        assert_eq!(legacy.len(), 157);
    }

    #[test]
    fn the_derived_ingress_holds_every_method_of_the_old_one() {
        let derived: BTreeSet<(&str, Option<&str>)> = derived()
            .unwrap()
            .grpc
            .iter()
            .map(|g| (g.rpc, g.scope))
            .collect();
        for old in legacy::grpc_routes() {
            assert!(
                derived.contains(&(old.rpc, old.scope)),
                "{} ({:?}) is no longer reachable as it was",
                old.rpc,
                old.scope
            );
        }
    }
}
