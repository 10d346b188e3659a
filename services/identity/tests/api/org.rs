//! The org tree: create, move (cycles refused), disable/enable, reads, stores by distance,
//! idempotent creation.

use siyu_proto::common::v1 as common;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, authed};
use crate::idempotency::keyed;

pub fn region(parent: &str, code: &str) -> pb::CreateOrgUnitRequest {
    pb::CreateOrgUnitRequest {
        parent_id: parent.into(),
        r#type: pb::OrgUnitType::Region as i32,
        name: format!("Region {code}"),
        code: code.into(),
        ..Default::default()
    }
}

pub fn store(parent: &str, code: &str, lat: f64, lng: f64) -> pb::CreateOrgUnitRequest {
    pb::CreateOrgUnitRequest {
        parent_id: parent.into(),
        r#type: pb::OrgUnitType::Store as i32,
        name: format!("Store {code}"),
        code: code.into(),
        store: Some(pb::StoreProfile {
            address: Some(common::Address {
                city: "上海".into(),
                detail: format!("{code} 南京西路 1 号"),
                ..Default::default()
            }),
            geo: Some(common::GeoPoint {
                latitude: lat,
                longitude: lng,
            }),
            pickup_enabled: true,
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub async fn create(h: &Harness, token: &str, req: pb::CreateOrgUnitRequest) -> pb::OrgUnit {
    h.org()
        .create_org_unit(authed(req, token))
        .await
        .unwrap()
        .into_inner()
        .org_unit
        .unwrap()
}

#[tokio::test]
async fn moves_keep_paths_and_refuse_cycles() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("orgs").await;
    let root = h
        .org()
        .get_org_subtree(authed(pb::GetOrgSubtreeRequest::default(), &admin))
        .await
        .unwrap()
        .into_inner()
        .org_units[0]
        .clone();
    let r1 = create(&h, &admin, region(&root.org_unit_id, "R1")).await;
    let r2 = create(&h, &admin, region(&r1.org_unit_id, "R2")).await;
    let s = create(&h, &admin, store(&r2.org_unit_id, "S1", 31.2304, 121.4737)).await;
    let far = create(&h, &admin, store(&root.org_unit_id, "S2", 31.30, 121.60)).await;
    assert_eq!(
        s.ancestor_ids,
        vec![
            root.org_unit_id.clone(),
            r1.org_unit_id.clone(),
            r2.org_unit_id.clone()
        ]
    );
    assert_eq!(s.depth, 3);

    let err = h
        .org()
        .create_org_unit(authed(region(&root.org_unit_id, "R1"), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::AlreadyExists, "ORG_UNIT_CODE_TAKEN");
    let err = h
        .org()
        .create_org_unit(authed(region(&s.org_unit_id, "R9"), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "ORG_INVALID_PARENT");

    let mv = |unit: &str, parent: &str| {
        authed(
            pb::MoveOrgUnitRequest {
                org_unit_id: unit.into(),
                new_parent_id: parent.into(),
                reason: "reorg".into(),
            },
            &admin,
        )
    };
    let err = h
        .org()
        .move_org_unit(mv(&r1.org_unit_id, &r2.org_unit_id))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "ORG_MOVE_CYCLE");
    let err = h
        .org()
        .move_org_unit(mv(&r1.org_unit_id, &r1.org_unit_id))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "ORG_MOVE_CYCLE");
    let err = h
        .org()
        .move_org_unit(mv(&root.org_unit_id, &r1.org_unit_id))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "ORG_ROOT_IMMUTABLE");
    let moved = h
        .org()
        .move_org_unit(mv(&r2.org_unit_id, &root.org_unit_id))
        .await
        .unwrap()
        .into_inner()
        .org_unit
        .unwrap();
    assert_eq!(moved.depth, 1);
    let s_after = h
        .org()
        .get_org_unit(authed(
            pb::GetOrgUnitRequest {
                org_unit_id: s.org_unit_id.clone(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .org_unit
        .unwrap();
    assert_eq!(
        s_after.ancestor_ids,
        vec![root.org_unit_id.clone(), r2.org_unit_id.clone()]
    );
    assert_eq!(s_after.depth, 2);
    let path = h
        .org()
        .get_org_path(authed(
            pb::GetOrgPathRequest {
                org_unit_id: s.org_unit_id.clone(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .path;
    assert_eq!(path.len(), 3);

    // Disable: a unit with active children needs cascade.
    let err = h
        .org()
        .disable_org_unit(authed(
            pb::DisableOrgUnitRequest {
                org_unit_id: r2.org_unit_id.clone(),
                cascade: false,
                reason: String::new(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(
        &err,
        Code::FailedPrecondition,
        "ORG_UNIT_HAS_ACTIVE_CHILDREN",
    );
    let disabled = h
        .org()
        .disable_org_unit(authed(
            pb::DisableOrgUnitRequest {
                org_unit_id: r2.org_unit_id.clone(),
                cascade: true,
                reason: String::new(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(disabled.disabled_count, 2);
    let err = h
        .org()
        .enable_org_unit(authed(
            pb::EnableOrgUnitRequest {
                org_unit_id: s.org_unit_id.clone(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "ORG_UNIT_DISABLED");
    h.org()
        .enable_org_unit(authed(
            pb::EnableOrgUnitRequest {
                org_unit_id: r2.org_unit_id.clone(),
            },
            &admin,
        ))
        .await
        .unwrap();
    h.org()
        .enable_org_unit(authed(
            pb::EnableOrgUnitRequest {
                org_unit_id: s.org_unit_id.clone(),
            },
            &admin,
        ))
        .await
        .unwrap();

    // Public store list by distance (closest first), with the app id selecting the tenant.
    let listed = h
        .org()
        .list_stores(pb::ListStoresRequest {
            app_id: app_id.clone(),
            near: Some(common::GeoPoint {
                latitude: 31.2310,
                longitude: 121.4740,
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .stores;
    let ids: Vec<_> = listed
        .iter()
        .map(|l| l.store.as_ref().unwrap().org_unit_id.clone())
        .collect();
    assert_eq!(ids, vec![s.org_unit_id.clone(), far.org_unit_id.clone()]);
    assert!(listed[0].distance_meters < listed[1].distance_meters);
    let err = h
        .org()
        .list_stores(pb::ListStoresRequest {
            app_id,
            radius_meters: 300_000,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");

    // Stale etag.
    let err = h
        .org()
        .update_org_unit(authed(
            pb::UpdateOrgUnitRequest {
                org_unit: Some(pb::OrgUnit {
                    org_unit_id: r1.org_unit_id.clone(),
                    etag: "0".into(),
                    name: "X".into(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["name".into()],
                }),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Aborted, "CONCURRENT_MODIFICATION");
}

#[tokio::test]
async fn create_org_unit_is_idempotent_by_key() {
    let h = Harness::start().await;
    let (_, _, admin) = h.tenant_with_app("orgidem").await;
    let root = h
        .org()
        .get_org_subtree(authed(pb::GetOrgSubtreeRequest::default(), &admin))
        .await
        .unwrap()
        .into_inner()
        .org_units[0]
        .org_unit_id
        .clone();
    let a = h
        .org()
        .create_org_unit(keyed(region(&root, "RX"), &admin, "org-1"))
        .await
        .unwrap()
        .into_inner();
    let b = h
        .org()
        .create_org_unit(keyed(region(&root, "RX"), &admin, "org-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a, b);
    let err = h
        .org()
        .create_org_unit(keyed(region(&root, "RY"), &admin, "org-1"))
        .await
        .unwrap_err();
    assert_reason(&err, Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED");
    let children = h
        .org()
        .list_org_children(authed(pb::ListOrgChildrenRequest::default(), &admin))
        .await
        .unwrap()
        .into_inner()
        .org_units;
    assert_eq!(children.len(), 1);
}

fn store_update(
    unit: &pb::OrgUnit,
    profile: pb::StoreProfile,
    paths: &[&str],
) -> pb::UpdateOrgUnitRequest {
    pb::UpdateOrgUnitRequest {
        org_unit: Some(pb::OrgUnit {
            org_unit_id: unit.org_unit_id.clone(),
            etag: unit.etag.clone(),
            name: "Renamed".into(),
            store: Some(profile),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    }
}

#[tokio::test]
async fn a_store_manager_updates_only_the_details_of_their_own_store() {
    use crate::staff::admin::{create_staff, new_staff, tree};
    let h = Harness::start().await;
    let (_, _, admin) = h.tenant_with_app("orgsm").await;
    let t = tree(&h, &admin).await;
    create_staff(
        &h,
        &admin,
        new_staff(
            "mgr",
            &t.store_a,
            &[(pb::StaffRole::StoreManager, &t.store_a)],
        ),
    )
    .await
    .unwrap();
    let mgr = h
        .staff_login("orgsm", "mgr", crate::helpers::PASSWORD)
        .await
        .access_token;
    let get = |id: &str| {
        let req = authed(
            pb::GetOrgUnitRequest {
                org_unit_id: id.into(),
            },
            &admin,
        );
        let mut org = h.org();
        async move {
            org.get_org_unit(req)
                .await
                .unwrap()
                .into_inner()
                .org_unit
                .unwrap()
        }
    };
    let store_a = get(&t.store_a).await;
    let details = pb::StoreProfile {
        phone: "021-5555-0101".into(),
        image_url: "https://img.example.com/a.jpg".into(),
        opening_hours: vec![pb::OpeningHours::default()],
        ..Default::default()
    };
    let updated = h
        .org()
        .update_org_unit(authed(
            store_update(
                &store_a,
                details.clone(),
                &["store.phone", "store.image_url", "store.opening_hours"],
            ),
            &mgr,
        ))
        .await
        .unwrap()
        .into_inner()
        .org_unit
        .unwrap();
    let profile = updated.store.unwrap();
    assert_eq!(profile.phone, "021-5555-0101");
    assert_eq!(profile.image_url, "https://img.example.com/a.jpg");
    assert_eq!(profile.opening_hours.len(), 1);
    // Only the named sub-fields changed: address, geo, name stay.
    assert_eq!(profile.address, store_a.store.clone().unwrap().address);
    assert_eq!(profile.geo, store_a.store.clone().unwrap().geo);
    assert_eq!(updated.name, store_a.name);
    // Other fields, another store, a region: PERMISSION_DENIED.
    let store_a = get(&t.store_a).await;
    for paths in [
        &["name"][..],
        &["store.phone", "code"],
        &["store"],
        &["store.geo"],
    ] {
        let err = h
            .org()
            .update_org_unit(authed(store_update(&store_a, details.clone(), paths), &mgr))
            .await
            .unwrap_err();
        assert_reason(&err, Code::PermissionDenied, "PERMISSION_DENIED");
    }
    for other in [&t.store_b, &t.region] {
        let unit = get(other).await;
        let err = h
            .org()
            .update_org_unit(authed(
                store_update(&unit, details.clone(), &["store.phone"]),
                &mgr,
            ))
            .await
            .unwrap_err();
        assert_reason(&err, Code::PermissionDenied, "PERMISSION_DENIED");
    }
    // Bad input and a stale etag.
    let bad = pb::StoreProfile {
        image_url: "http://insecure".into(),
        ..Default::default()
    };
    let err = h
        .org()
        .update_org_unit(authed(
            store_update(&store_a, bad, &["store.image_url"]),
            &mgr,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(
        crate::helpers::violations(&err),
        vec!["org_unit.store.image_url"]
    );
    let mut stale = store_a.clone();
    stale.etag = "1".into();
    let err = h
        .org()
        .update_org_unit(authed(
            store_update(&stale, details.clone(), &["store.phone"]),
            &mgr,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Aborted, "CONCURRENT_MODIFICATION");
    // The tenant admin still edits everything.
    h.org()
        .update_org_unit(authed(store_update(&store_a, details, &["name"]), &admin))
        .await
        .unwrap();
    assert_eq!(get(&t.store_a).await.name, "Renamed");
}
