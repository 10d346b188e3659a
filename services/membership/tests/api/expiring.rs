//! ListMembersWithExpiringPoints: members with points expiring in the window, most first,
//! paged, within the caller's org scope and tenant; malformed windows refused.

use siyu_core::Clock as _;
use siyu_proto::common::v1::PageRequest;
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::harness::{H, Tenant, field, refused, with};

async fn earn(h: &H, t: &Tenant, member: &str, points: i64, days: i64) {
    h.ledger()
        .earn_points(with(
            pb::EarnPointsRequest {
                member_id: member.into(),
                idempotency_key: siyu_core::id::new_string(),
                points,
                expires_at: Some(siyu_proto::time::timestamp(
                    h.clock.now() + chrono::Duration::days(days),
                )),
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap();
}

fn within(
    days: i32,
    min: i64,
    page: Option<PageRequest>,
) -> pb::ListMembersWithExpiringPointsRequest {
    pb::ListMembersWithExpiringPointsRequest {
        within_days: days,
        min_points: min,
        page,
        ..Default::default()
    }
}

async fn list(
    h: &H,
    token: &str,
    req: pb::ListMembersWithExpiringPointsRequest,
) -> pb::ListMembersWithExpiringPointsResponse {
    h.ledger()
        .list_members_with_expiring_points(with(req, token))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn members_with_the_most_expiring_points_come_first_within_scope() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let other = Tenant::new(&h).await;
    let (a, _) = t.member(&h).await;
    let (b, _) = t.member(&h).await;
    let (c, _) = t.member(&h).await;
    earn(&h, &t, &a, 100, 10).await;
    earn(&h, &t, &a, 50, 60).await;
    earn(&h, &t, &b, 300, 20).await;
    t.earn(&h, &c, 500).await;
    let all = list(&h, &t.admin, within(30, 0, None)).await;
    let rows: Vec<(String, i64)> = all
        .rows
        .iter()
        .map(|r| (r.member_id.clone(), r.expiring_points))
        .collect();
    assert_eq!(rows, [(b.clone(), 300), (a.clone(), 100)]);
    assert_eq!(all.total_count, 2);
    let soon = h.clock.now() + chrono::Duration::days(10);
    assert_eq!(
        all.rows[1].earliest_expiry_at.unwrap().seconds,
        soon.timestamp()
    );
    assert_eq!(
        list(&h, &t.admin, within(90, 0, None)).await.rows[1].expiring_points,
        150
    );
    let big = list(&h, &t.admin, within(30, 200, None)).await;
    assert_eq!((big.rows.len(), big.total_count), (1, 1));
    // Pages of one, without gaps.
    let first = list(
        &h,
        &t.admin,
        within(
            30,
            0,
            Some(PageRequest {
                page_size: 1,
                page_token: String::new(),
            }),
        ),
    )
    .await;
    assert_eq!(first.rows[0].member_id, b);
    let token = first.page.unwrap().next_page_token;
    assert!(!token.is_empty());
    let second = list(
        &h,
        &t.admin,
        within(
            30,
            0,
            Some(PageRequest {
                page_size: 1,
                page_token: token,
            }),
        ),
    )
    .await;
    assert_eq!(second.rows[0].member_id, a);
    // A store manager sees the store's members only (these have no home store); a guide their
    // own (none bound); another tenant nothing.
    let store = t.staff(
        &h,
        "store_manager",
        &format!("{}/{}", t.root, siyu_core::id::new()),
    );
    assert!(list(&h, &store, within(30, 0, None)).await.rows.is_empty());
    let guide = t.staff(&h, "guide", &t.root.to_string());
    assert!(list(&h, &guide, within(30, 0, None)).await.rows.is_empty());
    assert!(
        list(&h, &other.admin, within(30, 0, None))
            .await
            .rows
            .is_empty()
    );
}

#[tokio::test]
async fn expiring_lists_refuse_malformed_windows() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (_, consumer) = t.member(&h).await;
    let cases = [
        (within(0, 0, None), "within_days"),
        (within(91, 0, None), "within_days"),
        (within(30, -1, None), "min_points"),
        (
            pb::ListMembersWithExpiringPointsRequest {
                guide_id: "g".into(),
                ..within(30, 0, None)
            },
            "guide_id",
        ),
        (
            pb::ListMembersWithExpiringPointsRequest {
                store_id: "s".into(),
                ..within(30, 0, None)
            },
            "store_id",
        ),
    ];
    for (req, at) in cases {
        let s = refused(
            h.ledger()
                .list_members_with_expiring_points(with(req, &t.admin))
                .await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(field(&s), at);
    }
    refused(
        h.ledger()
            .list_members_with_expiring_points(with(within(30, 0, None), &consumer))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
}
