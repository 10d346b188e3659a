//! UpdateLocation: field-mask updates, store managers limited to hours and flags, closing only
//! when empty, bad input and tenant isolation.

use prost_types::FieldMask;
use siyu_core::PrincipalKind;
use siyu_proto::catalog::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::harness::{H, Tenant, field, reason, with};

fn update(id: Uuid, l: pb::Location, paths: &[&str]) -> pb::UpdateLocationRequest {
    pb::UpdateLocationRequest {
        location: Some(pb::Location {
            location_id: id.to_string(),
            ..l
        }),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    }
}

#[tokio::test]
async fn update_location_by_mask_with_store_manager_limits_and_closing_rules() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let store = t.store(&h, 31.2).await;
    let changed = pb::Location {
        name: "新名字".into(),
        opening_hours: "09:00-21:00".into(),
        delivery_radius_meters: 8_000,
        pickup_enabled: false,
        ..Default::default()
    };
    let l = h
        .client()
        .update_location(with(
            update(
                store,
                changed.clone(),
                &["name", "opening_hours", "delivery_radius_meters"],
            ),
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .location
        .unwrap();
    assert_eq!(
        (l.name.as_str(), l.delivery_radius_meters),
        ("新名字", 8_000)
    );
    // Not in the mask: unchanged (pickup stays on, coordinates kept).
    assert!(l.pickup_enabled);
    assert!(l.address.unwrap().location.is_some());

    let manager = h.token(
        t.id,
        PrincipalKind::Staff,
        &[("store_manager", format!("{}/{store}", t.root))],
        &[],
    );
    let l = h
        .client()
        .update_location(with(
            update(store, changed.clone(), &["pickup_enabled", "opening_hours"]),
            &manager,
        ))
        .await
        .unwrap()
        .into_inner()
        .location
        .unwrap();
    assert!(!l.pickup_enabled);
    let err = h
        .client()
        .update_location(with(update(store, changed.clone(), &["name"]), &manager))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let other_manager = h.token(
        t.id,
        PrincipalKind::Staff,
        &[(
            "store_manager",
            format!("{}/{}", t.root, siyu_core::id::new()),
        )],
        &[],
    );
    let err = h
        .client()
        .update_location(with(
            update(store, changed, &["opening_hours"]),
            &other_manager,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // Closing: refused while it holds stock, allowed for an empty store.
    let sku = h.sku(t.id).await;
    t.receive(&h, store, sku, 1).await;
    let close = pb::Location {
        status: pb::LocationStatus::Closed as i32,
        ..Default::default()
    };
    let err = h
        .client()
        .update_location(with(update(store, close.clone(), &["status"]), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err)),
        (Code::FailedPrecondition, "LOCATION_NOT_EMPTY".to_owned())
    );
    let empty = t.store(&h, 31.3).await;
    let l = h
        .client()
        .update_location(with(update(empty, close, &["status"]), &t.admin))
        .await
        .unwrap()
        .into_inner()
        .location
        .unwrap();
    assert_eq!(l.status, pb::LocationStatus::Closed as i32);
}

#[tokio::test]
async fn update_location_bad_input_and_other_tenants() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let store = t.store(&h, 31.2).await;
    let l = pb::Location::default();
    let rows: Vec<(pb::UpdateLocationRequest, &str)> = vec![
        (update(store, l.clone(), &[]), "update_mask"),
        (update(store, l.clone(), &["kind"]), "update_mask"),
        (update(store, l.clone(), &["org_path"]), "update_mask"),
        (update(store, l.clone(), &["name"]), "location.name"),
        (
            update(
                store,
                pb::Location {
                    delivery_radius_meters: 100_001,
                    ..l.clone()
                },
                &["delivery_radius_meters"],
            ),
            "location.delivery_radius_meters",
        ),
        (
            update(
                store,
                pb::Location {
                    default_low_stock_threshold: -1,
                    ..l.clone()
                },
                &["default_low_stock_threshold"],
            ),
            "location.default_low_stock_threshold",
        ),
        (
            update(store, l.clone(), &["address"]),
            "location.address.location",
        ),
        (
            update(
                store,
                pb::Location {
                    status: 9,
                    ..l.clone()
                },
                &["status"],
            ),
            "location.status",
        ),
        (
            pb::UpdateLocationRequest {
                location: Some(pb::Location {
                    location_id: "x".into(),
                    ..l.clone()
                }),
                update_mask: None,
            },
            "location.location_id",
        ),
    ];
    for (req, want) in rows {
        let err = h
            .client()
            .update_location(with(req, &t.admin))
            .await
            .unwrap_err();
        assert_eq!(
            (err.code(), field(&err)),
            (Code::InvalidArgument, want.to_owned())
        );
    }
    let b = Tenant::new(&h).await;
    let err = h
        .client()
        .update_location(with(
            update(
                store,
                pb::Location {
                    opening_hours: "x".into(),
                    ..l
                },
                &["opening_hours"],
            ),
            &b.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err)),
        (Code::NotFound, "LOCATION_NOT_FOUND".to_owned())
    );
}
