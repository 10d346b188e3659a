//! Permission checks on org subtrees, scopes, kinds and tenants.

use siyu_auth::{AuthError, require_kind, require_role_on, require_scope, require_tenant};
use siyu_core::{OrgPath, PrincipalKind, TenantId};

use crate::support::{self, claims};

const HQ: &str = "0190b1c2-0000-7000-8000-0000000000a0";
const EAST: &str = "0190b1c2-0000-7000-8000-0000000000a1";
const WEST: &str = "0190b1c2-0000-7000-8000-0000000000a2";
const STORE: &str = "0190b1c2-0000-7000-8000-0000000000a3";

fn path(s: &str) -> OrgPath {
    OrgPath::parse(s).unwrap()
}

#[test]
fn a_role_on_a_region_covers_its_stores_but_not_its_siblings_or_parent() {
    let east = format!("{HQ}/{EAST}");
    let ctx = support::staff_claims(&[("region_manager", &east)])
        .to_ctx()
        .unwrap();
    assert!(
        require_role_on(
            &ctx,
            &["region_manager"],
            &path(&format!("{HQ}/{EAST}/{STORE}"))
        )
        .is_ok()
    );
    assert!(require_role_on(&ctx, &["guide", "region_manager"], &path(&east)).is_ok());
    for target in [
        format!("{HQ}/{WEST}"),
        HQ.to_owned(),
        format!("{HQ}/{WEST}/{STORE}"),
    ] {
        let err = require_role_on(&ctx, &["region_manager"], &path(&target)).unwrap_err();
        assert!(matches!(err, AuthError::PermissionDenied(_)), "{target}");
    }
    assert!(
        require_role_on(&ctx, &["hq_admin"], &path(&east)).is_err(),
        "another role does not count"
    );
}

#[test]
fn a_hand_built_consumer_ctx_with_grants_gets_no_roles() {
    let mut ctx = support::staff_claims(&[("hq_admin", HQ)]).to_ctx().unwrap();
    ctx.principal.kind = PrincipalKind::Consumer;
    assert!(require_role_on(&ctx, &["hq_admin"], &path(HQ)).is_err());
}

#[test]
fn scopes_must_be_granted_exactly() {
    let partner = siyu_auth::Claims {
        kind: PrincipalKind::Partner,
        client_id: Some("pos-1".into()),
        scopes: vec!["stock.write".into()],
        ..claims()
    };
    let ctx = partner.to_ctx().unwrap();
    assert!(require_scope(&ctx, "stock.write").is_ok());
    assert!(matches!(
        require_scope(&ctx, "stock.read"),
        Err(AuthError::PermissionDenied(_))
    ));
    assert!(require_scope(&ctx, "stock").is_err());
}

#[test]
fn kinds_and_tenants_are_checked() {
    let ctx = claims().to_ctx().unwrap();
    assert!(require_kind(&ctx, &[PrincipalKind::Consumer]).is_ok());
    assert!(matches!(
        require_kind(&ctx, &[PrincipalKind::Staff, PrincipalKind::Service]),
        Err(AuthError::PermissionDenied(_))
    ));
    assert!(require_tenant(&ctx, support::tenant()).is_ok());
    let other = TenantId::parse("0190b1c2-0000-7000-8000-0000000000ff").unwrap();
    assert_eq!(require_tenant(&ctx, other), Err(AuthError::TenantMismatch));
    assert_eq!(
        tonic::Status::from(AuthError::TenantMismatch).code(),
        tonic::Code::NotFound
    );
}
