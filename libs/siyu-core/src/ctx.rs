//! The request context: which tenant a call acts in and who is calling.
//!
//! Every repository query is filtered by `ctx.tenant`; every permission check asks the
//! `ctx.principal`. A `Ctx` is built once at the service edge from a verified token.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::CoreError;

/// A tenant: one retailer or brand group. Nothing of one tenant is visible to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub Uuid);

impl TenantId {
    /// Parses a tenant id received on the wire.
    pub fn parse(value: &str) -> Result<Self, CoreError> {
        crate::id::parse("tenant", value).map(Self)
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What kind of caller a principal is; mirrors the `kind` claim of access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A shopper using the mini-program or H5 store.
    Consumer,
    /// An operator, store manager, guide or auditor using the console.
    Staff,
    /// A partner system (POS, ERP, ISV) using client credentials.
    Partner,
    /// Another Siyu service acting on an event.
    Service,
}

/// The position of an org unit in the tenant's org tree, as the ids from the root down
/// (HQ → region → … → store). A role granted on a unit covers the unit's whole subtree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgPath(pub Vec<Uuid>);

impl OrgPath {
    /// Renders the path as `id/id/id`, the form carried in tokens and stored in databases.
    pub fn to_path_string(&self) -> String {
        self.0
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Parses the `id/id/id` form.
    pub fn parse(value: &str) -> Result<Self, CoreError> {
        if value.is_empty() {
            return Err(CoreError::InvalidId {
                field: "org".into(),
            });
        }
        value
            .split('/')
            .map(|part| crate::id::parse("org", part))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// True when `other` is this unit or lies in its subtree.
    pub fn covers(&self, other: &OrgPath) -> bool {
        !self.0.is_empty() && other.0.starts_with(&self.0)
    }

    /// The unit this path ends at.
    pub fn unit(&self) -> Option<Uuid> {
        self.0.last().copied()
    }
}

/// A role held on an org unit; it applies to that unit's subtree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoleGrant {
    /// Role name, e.g. `store_manager`.
    pub role: String,
    /// Where in the org tree the role holds.
    pub org: OrgPath,
}

/// Who is calling, as established from a verified access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The subject: user id, staff id, partner client id or service name.
    pub subject: String,
    /// What kind of caller this is.
    pub kind: PrincipalKind,
    /// Roles on org units (staff only).
    pub grants: Vec<RoleGrant>,
    /// OAuth scopes (partners and services).
    pub scopes: Vec<String>,
    /// The token id (`jti`), for audit and revocation.
    pub token_id: Option<String>,
}

impl Principal {
    /// True when the principal holds `role` on a unit whose subtree contains `target`.
    pub fn has_role_on(&self, role: &str, target: &OrgPath) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == role && g.org.covers(target))
    }

    /// True when the principal holds any of `roles` on a unit covering `target`.
    pub fn has_any_role_on(&self, roles: &[&str], target: &OrgPath) -> bool {
        self.grants
            .iter()
            .any(|g| roles.contains(&g.role.as_str()) && g.org.covers(target))
    }

    /// True when the principal holds `role` anywhere.
    pub fn has_role(&self, role: &str) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// True when the principal was granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The context every service call runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctx {
    /// The tenant the call acts in; every query is filtered by it.
    pub tenant: TenantId,
    /// The verified caller.
    pub principal: Principal,
    /// The staff roles the called method admits (its contract's `staff.roles`; empty: any
    /// role). Org-scoped checks ask whether the caller holds one of them on the unit acted on,
    /// so no handler keeps its own list of roles.
    pub admitted_roles: Arc<[String]>,
}

impl Ctx {
    /// A context for `principal` acting in `tenant`, with no method roles (any role).
    pub fn new(tenant: TenantId, principal: Principal) -> Self {
        Self {
            tenant,
            principal,
            admitted_roles: Arc::from(Vec::new()),
        }
    }

    /// The same context for a method admitting staff with `roles` (empty: any role).
    pub fn with_admitted_roles(mut self, roles: Arc<[String]>) -> Self {
        self.admitted_roles = roles;
        self
    }

    /// True when the caller may act on `target`: staff must hold one of the admitted roles
    /// (any role when the method names none) on `target` or an ancestor; other kinds were
    /// admitted by kind or scope, which does not depend on the org tree.
    pub fn may_act_on(&self, target: &OrgPath) -> bool {
        if self.principal.kind != PrincipalKind::Staff {
            return true;
        }
        self.principal.grants.iter().any(|g| {
            g.org.covers(target)
                && (self.admitted_roles.is_empty() || self.admitted_roles.contains(&g.role))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(ids: &[Uuid]) -> OrgPath {
        OrgPath(ids.to_vec())
    }

    #[test]
    fn a_grant_covers_its_subtree_only() {
        let (hq, east, west, store) = (
            crate::id::new(),
            crate::id::new(),
            crate::id::new(),
            crate::id::new(),
        );
        let east_path = path(&[hq, east]);
        assert!(east_path.covers(&path(&[hq, east, store])));
        assert!(east_path.covers(&east_path));
        assert!(!east_path.covers(&path(&[hq, west])));
        assert!(!east_path.covers(&path(&[hq])));
        assert!(!path(&[]).covers(&east_path));
    }

    #[test]
    fn org_path_round_trips_through_its_string_form() {
        let p = path(&[crate::id::new(), crate::id::new()]);
        assert_eq!(OrgPath::parse(&p.to_path_string()).unwrap(), p);
        assert!(OrgPath::parse("").is_err());
        assert!(OrgPath::parse("abc/def").is_err());
    }

    #[test]
    fn roles_are_checked_against_the_target_unit() {
        let (hq, store_a, store_b) = (crate::id::new(), crate::id::new(), crate::id::new());
        let principal = Principal {
            subject: "staff-1".into(),
            kind: PrincipalKind::Staff,
            grants: vec![RoleGrant {
                role: "store_manager".into(),
                org: path(&[hq, store_a]),
            }],
            scopes: vec![],
            token_id: None,
        };
        assert!(principal.has_role_on("store_manager", &path(&[hq, store_a])));
        assert!(!principal.has_role_on("store_manager", &path(&[hq, store_b])));
        assert!(principal.has_any_role_on(&["guide", "store_manager"], &path(&[hq, store_a])));
        assert!(!principal.has_scope("catalog.read"));
    }

    #[test]
    fn a_method_admits_staff_on_units_covered_by_its_roles() {
        let (hq, store_a, store_b) = (crate::id::new(), crate::id::new(), crate::id::new());
        let grant = |role: &str, org: &[Uuid]| RoleGrant {
            role: role.into(),
            org: path(org),
        };
        let staff = Principal {
            subject: "staff-1".into(),
            kind: PrincipalKind::Staff,
            grants: vec![
                grant("store_manager", &[hq, store_a]),
                grant("guide", &[hq]),
            ],
            scopes: vec![],
            token_id: None,
        };
        let tenant = TenantId(crate::id::new());
        let roles: Arc<[String]> = Arc::from(vec!["store_manager".to_owned()]);
        let ctx = Ctx::new(tenant, staff.clone()).with_admitted_roles(roles);
        assert!(ctx.may_act_on(&path(&[hq, store_a])));
        assert!(!ctx.may_act_on(&path(&[hq, store_b])));
        // No roles named: any grant covering the unit will do (the guide's, on HQ).
        assert!(Ctx::new(tenant, staff.clone()).may_act_on(&path(&[hq, store_b])));
        let partner = Principal {
            kind: PrincipalKind::Partner,
            grants: vec![],
            ..staff
        };
        assert!(Ctx::new(tenant, partner).may_act_on(&path(&[hq, store_b])));
    }
}
