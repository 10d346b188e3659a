//! TenantCreated seeds the tenant's entry tier once: on the real NATS bus delivered twice, by
//! 12 handlers at once (Postgres and SQLite), and never beside a ladder HQ already built.

use futures::future::join_all;
use prost::Message;
use siyu_proto::events::v1 as ev;
use siyu_proto::membership::v1 as pb;

use crate::bus_events;
use crate::harness::{H, Tenant, with};
use crate::tiers::{ladder, standing, tiers};

fn tenant_created(t: &Tenant, name: &str) -> Vec<u8> {
    let e = ev::TenantCreated {
        tenant_id: t.id.to_string(),
        code: "brand".into(),
        name: name.into(),
        ..Default::default()
    };
    bus_events::envelope(
        t,
        "identity",
        &siyu_core::id::new_string(),
        "TenantCreated",
        e.encode_to_vec(),
    )
}

async fn listed(h: &H, t: &Tenant) -> Vec<pb::Tier> {
    tiers(h)
        .list_tiers(with(pb::ListTiersRequest::default(), &t.admin))
        .await
        .unwrap()
        .into_inner()
        .tiers
}

/// 12 distinct TenantCreated of `t` handled at once, as by 12 replicas.
async fn twelve_at_once(h: &H, t: &Tenant) {
    let bodies: Vec<Vec<u8>> = (0..12)
        .map(|i| tenant_created(t, &format!("品牌{i}")))
        .collect();
    join_all(bodies.iter().map(|b| {
        let app =
            siyu_membership::app::App::new(h.db.db.clone(), std::sync::Arc::new(h.clock.clone()));
        async move {
            siyu_membership::events::consume::handle_for(&app, "membership-identity", b, "m")
                .await
                .unwrap();
        }
    }))
    .await;
}

#[tokio::test]
async fn tenant_created_seeds_one_entry_tier_however_delivered() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    let body = tenant_created(&t, "品牌");
    bus_events::publish(&bus, "identity.tenant_created", &body).await;
    bus_events::publish(&bus, "identity.tenant_created", &body).await;
    bus_events::handled(&h, bus_events::IDENTITY, 1).await;
    bus_events::publish(
        &bus,
        "identity.tenant_created",
        &tenant_created(&t, "另一个"),
    )
    .await;
    bus_events::handled(&h, bus_events::IDENTITY, 2).await;
    let seeded = listed(&h, &t).await;
    assert_eq!(seeded.len(), 1);
    let tier = &seeded[0];
    assert_eq!(
        (
            tier.tier_code.as_str(),
            tier.name.as_str(),
            tier.rank,
            tier.growth_threshold
        ),
        ("MEMBER", "品牌会员", 1, 0)
    );
    let (member, token) = t.member(&h).await;
    assert_eq!(
        standing(&h, &token, &member).await.tier.unwrap().tier_code,
        "MEMBER"
    );

    // A tenant whose ladder exists gets nothing seeded.
    let built = Tenant::new(&h).await;
    ladder(&h, &built).await;
    bus_events::publish(
        &bus,
        "identity.tenant_created",
        &tenant_created(&built, "x"),
    )
    .await;
    bus_events::handled(&h, bus_events::IDENTITY, 3).await;
    let codes: Vec<String> = listed(&h, &built)
        .await
        .into_iter()
        .map(|t| t.tier_code)
        .collect();
    assert_eq!(codes, ["BRONZE", "SILVER", "GOLD"]);
}

async fn racing_seeds(h: H) {
    let t = Tenant::new(&h).await;
    twelve_at_once(&h, &t).await;
    let seeded = listed(&h, &t).await;
    assert_eq!(seeded.len(), 1, "12 seeds, one tier");
    assert_eq!((seeded[0].rank, seeded[0].growth_threshold), (1, 0));
}

#[tokio::test]
async fn racing_seeds_leave_one_tier_on_postgres() {
    racing_seeds(H::pg().await).await;
}

#[tokio::test]
async fn racing_seeds_leave_one_tier_on_sqlite() {
    racing_seeds(H::sqlite().await).await;
}
