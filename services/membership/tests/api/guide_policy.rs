//! GetGuidePolicy / UpdateGuidePolicy: the default until set, masked updates that never lose a
//! concurrent change of another field, the callers the contract names, malformed requests, and
//! each tenant its own policy.

use futures::future::join_all;
use prost_types::FieldMask;
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::harness::{H, Tenant, field, keyed, refused, with};

/// Sets the tenant's guide policy through the contract, as its admin: `latest_scan_wins` and
/// `succession` when given.
pub async fn set_guide_policy(
    h: &H,
    t: &Tenant,
    latest_scan_wins: Option<bool>,
    succession: Option<pb::GuideSuccession>,
) -> pb::GuidePolicy {
    let mut paths = Vec::new();
    if latest_scan_wins.is_some() {
        paths.push("latest_scan_wins".to_owned());
    }
    if succession.is_some() {
        paths.push("succession".to_owned());
    }
    h.members()
        .update_guide_policy(with(
            pb::UpdateGuidePolicyRequest {
                policy: Some(pb::GuidePolicy {
                    latest_scan_wins: latest_scan_wins.unwrap_or_default(),
                    succession: succession.map_or(0, |s| s as i32),
                    update_time: None,
                }),
                update_mask: Some(FieldMask { paths }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap()
}

async fn get(h: &H, token: &str) -> Result<pb::GuidePolicy, tonic::Status> {
    h.members()
        .get_guide_policy(with(pb::GetGuidePolicyRequest {}, token))
        .await
        .map(|r| r.into_inner().policy.unwrap())
}

fn update(paths: &[&str], policy: pb::GuidePolicy) -> pb::UpdateGuidePolicyRequest {
    pb::UpdateGuidePolicyRequest {
        policy: Some(policy),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    }
}

async fn policy_is_the_default_until_set_then_changes_field_by_field(h: H) {
    let t = Tenant::new(&h).await;
    let other = Tenant::new(&h).await;
    let store = t.staff(&h, "store_manager", &t.root.to_string());
    let fresh = get(&h, &store).await.unwrap();
    assert!(!fresh.latest_scan_wins);
    assert_eq!(fresh.succession, pb::GuideSuccession::Store as i32);
    assert!(
        fresh.update_time.is_none(),
        "the default has no update time"
    );

    let p = set_guide_policy(&h, &t, Some(true), None).await;
    assert!(p.latest_scan_wins);
    assert_eq!(p.succession, pb::GuideSuccession::Store as i32);
    assert!(p.update_time.is_some());
    let p = set_guide_policy(&h, &t, None, Some(pb::GuideSuccession::StoreGuides)).await;
    assert!(
        p.latest_scan_wins,
        "a field outside the mask keeps its value"
    );
    assert_eq!(p.succession, pb::GuideSuccession::StoreGuides as i32);
    assert_eq!(get(&h, &store).await.unwrap(), p);
    // Another tenant still has the default.
    let theirs = get(&h, &other.admin).await.unwrap();
    assert!(!theirs.latest_scan_wins && theirs.update_time.is_none());

    // A keyed retry answers the first result.
    let req = update(
        &["latest_scan_wins"],
        pb::GuidePolicy {
            latest_scan_wins: false,
            ..Default::default()
        },
    );
    let first = h
        .members()
        .update_guide_policy(keyed(req.clone(), &t.admin, "guide-policy-1"))
        .await
        .unwrap()
        .into_inner();
    let again = h
        .members()
        .update_guide_policy(keyed(req, &t.admin, "guide-policy-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again);
    assert!(!first.policy.unwrap().latest_scan_wins);
}

#[tokio::test]
async fn policy_is_the_default_until_set_then_changes_field_by_field_on_postgres() {
    policy_is_the_default_until_set_then_changes_field_by_field(H::pg().await).await;
}

#[tokio::test]
async fn policy_is_the_default_until_set_then_changes_field_by_field_on_sqlite() {
    policy_is_the_default_until_set_then_changes_field_by_field(H::sqlite().await).await;
}

/// 16 updates of `latest_scan_wins` racing 16 of `succession` on a tenant without a row: each
/// field ends as its own writers set it — no update of one field undoes the other's.
async fn concurrent_updates_of_different_fields_both_land(h: H) {
    let t = Tenant::new(&h).await;
    let calls = (0..32).map(|i| {
        let (h, t) = (&h, &t);
        async move {
            if i % 2 == 0 {
                set_guide_policy(h, t, Some(true), None).await
            } else {
                set_guide_policy(h, t, None, Some(pb::GuideSuccession::StoreGuides)).await
            }
        }
    });
    join_all(calls).await;
    let p = get(&h, &t.admin).await.unwrap();
    assert!(p.latest_scan_wins);
    assert_eq!(p.succession, pb::GuideSuccession::StoreGuides as i32);
}

#[tokio::test]
async fn concurrent_updates_of_different_fields_both_land_on_postgres() {
    concurrent_updates_of_different_fields_both_land(H::pg().await).await;
}

#[tokio::test]
async fn concurrent_updates_of_different_fields_both_land_on_sqlite() {
    concurrent_updates_of_different_fields_both_land(H::sqlite().await).await;
}

#[tokio::test]
async fn malformed_updates_and_callers_outside_the_contract_are_refused() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let m = h.members();
    let bad = |paths: &[&str], succession: i32| {
        update(
            paths,
            pb::GuidePolicy {
                succession,
                ..Default::default()
            },
        )
    };
    let cases: [(pb::UpdateGuidePolicyRequest, &str, &str); 5] = [
        (bad(&[], 1), "INVALID_ARGUMENT", "update_mask"),
        (
            pb::UpdateGuidePolicyRequest {
                policy: None,
                update_mask: None,
            },
            "INVALID_ARGUMENT",
            "update_mask",
        ),
        (
            bad(&["succession"], 0),
            "INVALID_ARGUMENT",
            "policy.succession",
        ),
        (
            bad(&["succession"], 9),
            "INVALID_ARGUMENT",
            "policy.succession",
        ),
        (
            bad(&["update_time"], 1),
            "UNKNOWN_FIELD_PATH",
            "update_mask",
        ),
    ];
    for (req, reason, f) in cases {
        let s = refused(
            m.clone()
                .update_guide_policy(with(req.clone(), &t.admin))
                .await,
            Code::InvalidArgument,
            reason,
        );
        assert_eq!(field(&s), f, "{req:?}: {s:?}");
    }
    // Nothing was written by the refusals.
    assert!(get(&h, &t.admin).await.unwrap().update_time.is_none());
    // Store managers and guides read it; only HQ and the tenant's admin change it.
    let org = t.root.to_string();
    for role in ["store_manager", "guide"] {
        let token = t.staff(&h, role, &org);
        get(&h, &token).await.unwrap();
        refused(
            m.clone()
                .update_guide_policy(with(
                    update(&["latest_scan_wins"], pb::GuidePolicy::default()),
                    &token,
                ))
                .await,
            Code::PermissionDenied,
            "PERMISSION_DENIED",
        );
    }
    let hq = t.staff(&h, "hq_operator", &org);
    m.clone()
        .update_guide_policy(with(
            update(&["latest_scan_wins"], pb::GuidePolicy::default()),
            &hq,
        ))
        .await
        .unwrap();
    // Consumers and partners read neither.
    let (_, consumer) = t.consumer(&h);
    for token in [consumer.as_str(), t.partner.as_str()] {
        refused(
            get(&h, token).await,
            Code::PermissionDenied,
            "PERMISSION_DENIED",
        );
    }
}
