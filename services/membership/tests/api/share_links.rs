//! Content's ShareLinkClicked on the real NATS bus: a member who opens a guide's share link is
//! bound to that guide once — the click delivered twice, repeated as another event, and a later
//! click of another guide's link leaving the first guide (the default policy) — while clicks of
//! visitors, of non-members and of links without a guide bind nothing.

use prost::Message;
use sea_orm::Value;
use siyu_proto::common::v1::Attribution;
use siyu_proto::events::v1 as ev;
use siyu_proto::membership::v1 as pb;
use uuid::Uuid;

use crate::bus_events;
use crate::harness::{H, Tenant, with};

const CONTENT: &str = "membership-content";

fn clicked(t: &Tenant, user: &str, guide: Option<Uuid>, store: Uuid) -> Vec<u8> {
    let e = ev::ShareLinkClicked {
        share_link_id: siyu_core::id::new_string(),
        scene_code: "s1".into(),
        user_id: user.into(),
        attribution: Some(Attribution {
            guide_id: guide.map(|g| g.to_string()).unwrap_or_default(),
            store_id: store.to_string(),
            ..Default::default()
        }),
        ..Default::default()
    };
    bus_events::envelope(
        t,
        "content",
        &siyu_core::id::new_string(),
        "ShareLinkClicked",
        e.encode_to_vec(),
    )
}

async fn bindings(h: &H, member: &str, guide: Option<Uuid>) -> i64 {
    let (sql, mut values) = (
        "SELECT COUNT(*) FROM mem_guide_bindings WHERE member_id = $1",
        vec![Value::Uuid(Some(member.parse().unwrap()))],
    );
    let sql = match guide {
        Some(g) => {
            values.push(Value::Uuid(Some(g)));
            format!("{sql} AND guide_id = $2 AND unbound_at_ms IS NULL")
        }
        None => sql.to_owned(),
    };
    h.scalar(&sql, values).await
}

async fn user_of(h: &H, t: &Tenant, member: &str) -> String {
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
        .user_id
}

#[tokio::test]
async fn a_member_opening_a_guides_share_link_is_bound_to_the_guide_once() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let user = user_of(&h, &t, &member).await;
    let (guide, other_guide, store) = (
        siyu_core::id::new(),
        siyu_core::id::new(),
        siyu_core::id::new(),
    );
    // Nothing to bind: a visitor, a user who is not a member, a link without a guide.
    for body in [
        clicked(&t, "", Some(guide), store),
        clicked(&t, &siyu_core::id::new_string(), Some(guide), store),
        clicked(&t, &user, None, store),
    ] {
        bus_events::publish(&bus, "content.share_link_clicked", &body).await;
    }
    bus_events::handled(&h, CONTENT, 3).await;
    assert_eq!(bindings(&h, &member, None).await, 0);

    let body = clicked(&t, &user, Some(guide), store);
    bus_events::publish(&bus, "content.share_link_clicked", &body).await;
    bus_events::publish(&bus, "content.share_link_clicked", &body).await;
    // The same link opened again (a distinct event), then another guide's link.
    bus_events::publish(
        &bus,
        "content.share_link_clicked",
        &clicked(&t, &user, Some(guide), store),
    )
    .await;
    bus_events::publish(
        &bus,
        "content.share_link_clicked",
        &clicked(&t, &user, Some(other_guide), store),
    )
    .await;
    bus_events::handled(&h, CONTENT, 6).await;
    assert_eq!(
        bindings(&h, &member, Some(guide)).await,
        1,
        "bound to the first guide"
    );
    assert_eq!(bindings(&h, &member, None).await, 1, "one binding in all");
}
