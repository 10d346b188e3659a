//! 离职继承 from identity's StaffDisabled on the real NATS bus: by the tenant's rule the
//! departed guide's members go round-robin to the store's other guides, or back to their store
//! when it has none (or the rule says so); the event delivered twice moves nobody twice, and
//! the disabled guide takes no new binding.

use std::time::Duration;

use prost::Message;
use siyu_proto::events::v1 as ev;
use siyu_proto::membership::v1 as pb;
use siyu_store::{Bus, BusMessage};
use tonic::Code;

use crate::bus_events;
use crate::guides::enrol_with;
use crate::harness::{H, Tenant, id, refused, with};

async fn staff_disabled(bus: &Bus, t: &Tenant, guide: &str) {
    let body = ev::EventEnvelope {
        id: id(),
        tenant_id: t.id.to_string(),
        r#type: "siyu.events.v1.StaffDisabled".into(),
        source: "identity".into(),
        subject_id: guide.into(),
        payload: Some(prost_types::Any {
            type_url: "type.googleapis.com/siyu.events.v1.StaffDisabled".into(),
            value: ev::StaffDisabled {
                staff_id: guide.into(),
                was_guide: true,
                reason: "离职".into(),
                ..Default::default()
            }
            .encode_to_vec(),
        }),
        ..Default::default()
    }
    .encode_to_vec();
    for _ in 0..2 {
        bus.publish(BusMessage {
            id: id(),
            subject: "identity.staff_disabled".into(),
            headers: Default::default(),
            payload: body.clone(),
        })
        .await
        .unwrap();
    }
}

async fn handled(h: &H, n: i64) {
    bus_events::handled(h, bus_events::IDENTITY, n).await;
}

async fn guide_of(h: &H, t: &Tenant, member: &str) -> Option<pb::GuideBinding> {
    h.members()
        .get_member(with(
            pb::GetMemberRequest {
                member_id: member.into(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap()
        .guide
}

#[tokio::test]
async fn a_disabled_guides_members_go_to_the_stores_guides_or_back_to_the_store() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    crate::guide_policy::set_guide_policy(&h, &t, None, Some(pb::GuideSuccession::StoreGuides))
        .await;
    let (s1, s2, leaving, stays) = (id(), id(), id(), id());
    let mut book = Vec::new();
    for _ in 0..3 {
        book.push(enrol_with(&h, &t, &s1, &leaving).await);
    }
    enrol_with(&h, &t, &s1, &stays).await;
    let alone = enrol_with(&h, &t, &s2, &leaving).await;
    staff_disabled(&bus, &t, &leaving).await;
    handled(&h, 1).await;
    for m in &book {
        let g = guide_of(&h, &t, &m.member_id).await.unwrap();
        assert_eq!(g.guide_id, stays);
        assert_eq!(g.source, pb::GuideBindingSource::Reassignment as i32);
    }
    // Store 2 has no other guide: the member stays with the store, without a guide.
    assert!(guide_of(&h, &t, &alone.member_id).await.is_none());
    let history = h
        .members()
        .list_guide_binding_history(with(
            pb::ListGuideBindingHistoryRequest {
                member_id: alone.member_id.clone(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .bindings;
    assert_eq!(
        history[0].unbind_reason,
        pb::GuideUnbindReason::GuideResigned as i32
    );
    // The duplicate moved nobody again; the departed guide takes no new binding.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM mem_guide_bindings", vec![])
            .await,
        4 + 1 + 3
    );
    refused(
        h.members()
            .bind_guide(with(
                pb::BindGuideRequest {
                    member_id: alone.member_id.clone(),
                    guide_id: leaving.clone(),
                    store_id: s2.clone(),
                    source: pb::GuideBindingSource::Staff as i32,
                    ..Default::default()
                },
                &t.admin,
            ))
            .await,
        Code::FailedPrecondition,
        "GUIDE_INVALID",
    );
    // By default (no rule set) a departed guide's members go back to their store.
    let other = Tenant::new(&h).await;
    let g = id();
    let m = enrol_with(&h, &other, &s1, &g).await;
    enrol_with(&h, &other, &s1, &id()).await;
    staff_disabled(&bus, &other, &g).await;
    handled(&h, 2).await;
    assert!(guide_of(&h, &other, &m.member_id).await.is_none());
}
