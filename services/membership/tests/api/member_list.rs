//! ListMembers and GetMember for staff: filters, paging, the org scope of store managers and
//! guides, auditors' masked names.

use siyu_proto::common::v1::{Attribution, PageRequest};
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::harness::{H, Tenant, id, refused, with};

async fn enrol(
    h: &H,
    t: &Tenant,
    store: &str,
    guide: &str,
    name: &str,
    birthday: &str,
) -> pb::Member {
    h.members()
        .enroll_member(with(
            pb::EnrollMemberRequest {
                user_id: id(),
                card_holder_name: name.into(),
                birthday: birthday.into(),
                attribution: Some(Attribution {
                    store_id: store.into(),
                    guide_id: guide.into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap()
}

async fn list(h: &H, token: &str, req: pb::ListMembersRequest) -> pb::ListMembersResponse {
    h.members()
        .list_members(with(req, token))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn staff_list_within_their_stores_and_page_without_gaps() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (store_a, store_b, guide) = (id(), id(), id());
    let mut in_a = Vec::new();
    for i in 0..5 {
        in_a.push(
            enrol(&h, &t, &store_a, &guide, &format!("王{i}"), "")
                .await
                .member_id,
        );
        h.clock.advance(chrono::Duration::seconds(1));
    }
    let other = enrol(&h, &t, &store_b, "", "李四", "1990-06-20").await;

    // The admin pages through everyone, newest first, two at a time.
    let (mut seen, mut token) = (Vec::new(), String::new());
    loop {
        let page = list(
            &h,
            &t.admin,
            pb::ListMembersRequest {
                page: Some(PageRequest {
                    page_size: 2,
                    page_token: token,
                }),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(page.total_count, 6);
        seen.extend(page.members.into_iter().map(|m| m.member_id));
        token = page.page.unwrap().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(seen.len(), 6);
    assert_eq!(seen[0], other.member_id, "newest first");

    // A store manager of store A sees A's members only, and not B's member by id.
    let manager = t.staff(&h, "store_manager", &format!("{}/{store_a}", t.root));
    let mine = list(&h, &manager, pb::ListMembersRequest::default()).await;
    assert_eq!(mine.total_count, 5);
    refused(
        h.members()
            .get_member(with(
                pb::GetMemberRequest {
                    member_id: other.member_id.clone(),
                },
                &manager,
            ))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    h.members()
        .get_member(with(
            pb::GetMemberRequest {
                member_id: in_a[0].clone(),
            },
            &manager,
        ))
        .await
        .unwrap();
    // A guide sees the members bound to them.
    let guide_token = h.token_for(
        t.id,
        siyu_core::PrincipalKind::Staff,
        &guide,
        &[("guide", t.root.to_string())],
        &[],
    );
    assert_eq!(
        list(&h, &guide_token, pb::ListMembersRequest::default())
            .await
            .total_count,
        5
    );

    // Filters: card number, name prefix, store, guide, birthday window.
    let by_card = pb::ListMembersRequest {
        query: other.card_number.clone(),
        ..Default::default()
    };
    assert_eq!(
        list(&h, &t.admin, by_card).await.members[0].member_id,
        other.member_id
    );
    let by_name = pb::ListMembersRequest {
        query: "王".into(),
        ..Default::default()
    };
    assert_eq!(list(&h, &t.admin, by_name).await.total_count, 5);
    let by_store = pb::ListMembersRequest {
        store_ids: vec![store_b.clone()],
        ..Default::default()
    };
    assert_eq!(list(&h, &t.admin, by_store).await.total_count, 1);
    let by_guide = pb::ListMembersRequest {
        guide_id: guide.clone(),
        ..Default::default()
    };
    assert_eq!(list(&h, &t.admin, by_guide).await.total_count, 5);
    // The clock is 2025-06-15: a 20 June birthday is within 7 days.
    let birthdays = pb::ListMembersRequest {
        birthday_within_days: 7,
        ..Default::default()
    };
    assert_eq!(list(&h, &t.admin, birthdays).await.total_count, 1);

    // An auditor sees card holder names masked.
    let auditor = t.staff(&h, "auditor", &t.root.to_string());
    let masked = list(
        &h,
        &auditor,
        pb::ListMembersRequest {
            query: "李".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(masked.members[0].card_holder_name, "李*");
}

#[tokio::test]
async fn a_segment_filter_names_no_segment_yet() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let req = pb::ListMembersRequest {
        segment_id: id(),
        ..Default::default()
    };
    refused(
        h.members().list_members(with(req, &t.admin)).await,
        Code::NotFound,
        "SEGMENT_NOT_FOUND",
    );
}
