//! Tenant isolation, table-driven over every implemented identity RPC that names a resource:
//! a token of tenant B naming tenant A's ids gets NOT_FOUND, never A's data.

use futures::future::BoxFuture;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, authed};
use crate::org::{create, region, store};

type Call<'a> = (&'static str, BoxFuture<'a, Result<(), tonic::Status>>);

#[tokio::test]
async fn every_rpc_answers_not_found_for_another_tenants_ids() {
    let h = Harness::start().await;
    let (tenant_a, app_a, admin_a) = h.tenant_with_app("isoa").await;
    let (_tenant_b, _app_b, admin_b) = h.tenant_with_app("isob").await;
    let root_a = h
        .org()
        .get_org_subtree(authed(pb::GetOrgSubtreeRequest::default(), &admin_a))
        .await
        .unwrap()
        .into_inner()
        .org_units[0]
        .org_unit_id
        .clone();
    let region_a = create(&h, &admin_a, region(&root_a, "RA"))
        .await
        .org_unit_id;
    let store_a = create(&h, &admin_a, store(&region_a, "SA", 31.2, 121.4))
        .await
        .org_unit_id;
    let consumer_a = h.wechat_login(&app_a, "o_iso").await.tokens.unwrap();
    let b = admin_b.as_str();

    let calls: Vec<Call<'_>> = vec![
        (
            "GetTenant",
            Box::pin({
                let mut c = h.tenants();
                let t = tenant_a.clone();
                async move {
                    c.get_tenant(authed(pb::GetTenantRequest { tenant_id: t }, b))
                        .await
                        .map(drop)
                }
            }),
        ),
        (
            "VerifyAuditChain",
            Box::pin({
                let mut c = h.audit();
                let t = tenant_a.clone();
                async move {
                    c.verify_audit_chain(authed(
                        pb::VerifyAuditChainRequest {
                            tenant_id: t,
                            ..Default::default()
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "RevokeSession",
            Box::pin({
                let mut c = h.tokens();
                let s = consumer_a.session_id.clone();
                async move {
                    c.revoke_session(authed(
                        pb::RevokeSessionRequest {
                            session_id: s,
                            reason: String::new(),
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "GetOrgUnit",
            Box::pin({
                let mut c = h.org();
                let id = store_a.clone();
                async move {
                    c.get_org_unit(authed(pb::GetOrgUnitRequest { org_unit_id: id }, b))
                        .await
                        .map(drop)
                }
            }),
        ),
        (
            "CreateOrgUnit",
            Box::pin({
                let mut c = h.org();
                let id = region_a.clone();
                async move {
                    c.create_org_unit(authed(region(&id, "RB"), b))
                        .await
                        .map(drop)
                }
            }),
        ),
        (
            "UpdateOrgUnit",
            Box::pin({
                let mut c = h.org();
                let id = region_a.clone();
                async move {
                    c.update_org_unit(authed(
                        pb::UpdateOrgUnitRequest {
                            org_unit: Some(pb::OrgUnit {
                                org_unit_id: id,
                                etag: "1".into(),
                                name: "x".into(),
                                ..Default::default()
                            }),
                            update_mask: Some(prost_types::FieldMask {
                                paths: vec!["name".into()],
                            }),
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "MoveOrgUnit",
            Box::pin({
                let mut c = h.org();
                let (id, p) = (store_a.clone(), root_a.clone());
                async move {
                    c.move_org_unit(authed(
                        pb::MoveOrgUnitRequest {
                            org_unit_id: id,
                            new_parent_id: p,
                            reason: String::new(),
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "DisableOrgUnit",
            Box::pin({
                let mut c = h.org();
                let id = store_a.clone();
                async move {
                    c.disable_org_unit(authed(
                        pb::DisableOrgUnitRequest {
                            org_unit_id: id,
                            cascade: true,
                            reason: String::new(),
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "EnableOrgUnit",
            Box::pin({
                let mut c = h.org();
                let id = store_a.clone();
                async move {
                    c.enable_org_unit(authed(pb::EnableOrgUnitRequest { org_unit_id: id }, b))
                        .await
                        .map(drop)
                }
            }),
        ),
        (
            "ListOrgChildren",
            Box::pin({
                let mut c = h.org();
                let id = region_a.clone();
                async move {
                    c.list_org_children(authed(
                        pb::ListOrgChildrenRequest {
                            parent_id: id,
                            ..Default::default()
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "GetOrgSubtree",
            Box::pin({
                let mut c = h.org();
                let id = region_a.clone();
                async move {
                    c.get_org_subtree(authed(
                        pb::GetOrgSubtreeRequest {
                            org_unit_id: id,
                            ..Default::default()
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
        (
            "GetOrgPath",
            Box::pin({
                let mut c = h.org();
                let id = store_a.clone();
                async move {
                    c.get_org_path(authed(pb::GetOrgPathRequest { org_unit_id: id }, b))
                        .await
                        .map(drop)
                }
            }),
        ),
        (
            "ListStores",
            Box::pin({
                let mut c = h.org();
                let id = region_a.clone();
                async move {
                    c.list_stores(authed(
                        pb::ListStoresRequest {
                            under_org_unit_id: id,
                            ..Default::default()
                        },
                        b,
                    ))
                    .await
                    .map(drop)
                }
            }),
        ),
    ];
    for (name, call) in calls {
        let err = call.await.expect_err(name);
        assert_eq!(err.code(), Code::NotFound, "{name}: {err:?}");
    }
    // BatchGetOrgUnits omits unknown ids rather than failing.
    let found = h
        .org()
        .batch_get_org_units(authed(
            pb::BatchGetOrgUnitsRequest {
                org_unit_ids: vec![store_a.clone(), region_a],
            },
            b,
        ))
        .await
        .unwrap()
        .into_inner()
        .org_units;
    assert!(found.is_empty());
}
