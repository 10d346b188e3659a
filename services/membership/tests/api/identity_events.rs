//! Identity's events consumed from the real NATS bus: TenantCreated seeds the ledger once,
//! UserPhoneBound credits the PHONE_BOUND rule once per member, UserErased closes and erases
//! the member — each delivered twice, as distinct events, and by many handlers at once.

use futures::future::join_all;
use prost::Message;
use siyu_core::Clock as _;
use siyu_proto::events::v1 as ev;
use siyu_proto::membership::v1 as pb;
use siyu_store::Bus;
use tonic::Code;
use uuid::Uuid;

use crate::bus_events;
use crate::harness::{H, Tenant, reason, with};

fn envelope(t: &Tenant, type_name: &str, payload: Vec<u8>) -> Vec<u8> {
    let event = siyu_core::id::new_string();
    bus_events::envelope(t, "identity", &event, type_name, payload)
}

async fn publish(bus: &Bus, subject: &str, body: &[u8]) {
    bus_events::publish(bus, &format!("identity.{subject}"), body).await;
}

async fn handled(h: &H, n: i64) {
    bus_events::handled(h, bus_events::IDENTITY, n).await;
}

fn tenant_created(t: &Tenant, earn: i64, redeem: i64) -> Vec<u8> {
    let msg = ev::TenantCreated {
        tenant_id: t.id.to_string(),
        code: "brand".into(),
        name: "品牌".into(),
        points: Some(ev::tenant_created::Points {
            earn_points_per_yuan: earn,
            redeem_points_per_yuan: redeem,
            max_points_deduction_bps: 2000,
            points_expiry_years: 2,
        }),
        ..Default::default()
    };
    envelope(t, "TenantCreated", msg.encode_to_vec())
}

async fn user_of(h: &H, t: &Tenant, member: &str) -> Uuid {
    let m = h
        .members()
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
        .unwrap();
    Uuid::parse_str(&m.user_id).unwrap()
}

fn app(h: &H) -> siyu_membership::app::App {
    siyu_membership::app::App::new(h.db.db.clone(), std::sync::Arc::new(h.clock.clone()))
}

async fn order_rules(h: &H, t: &Tenant) -> Vec<pb::EarningRule> {
    h.ledger()
        .list_earning_rules(with(pb::ListEarningRulesRequest::default(), &t.admin))
        .await
        .unwrap()
        .into_inner()
        .rules
        .into_iter()
        .filter(|r| r.trigger == pb::EarningTrigger::OrderPaid as i32)
        .collect()
}

#[tokio::test]
async fn tenant_created_seeds_the_ledger_once_however_delivered() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    let first = tenant_created(&t, 3, 50);
    publish(&bus, "tenant_created", &first).await;
    publish(&bus, "tenant_created", &first).await;
    handled(&h, 1).await;
    // A second, different TenantCreated of the tenant changes nothing that was seeded.
    publish(&bus, "tenant_created", &tenant_created(&t, 9, 9)).await;
    handled(&h, 2).await;
    let policy = h
        .ledger()
        .get_ledger_policy(with(pb::GetLedgerPolicyRequest {}, &t.admin))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    assert_eq!(
        (
            policy.points_per_yuan,
            policy.max_points_deduction_bps,
            policy.expiry_days
        ),
        (50, 2000, 730)
    );
    let rules = order_rules(&h, &t).await;
    assert_eq!(rules.len(), 1);
    assert_eq!((rules[0].points_per_yuan, rules[0].enabled), (3, true));

    // Another tenant's events handled by 12 replicas at once: one policy, one rule.
    let other = Tenant::new(&h).await;
    let bodies: Vec<Vec<u8>> = (0..12)
        .map(|i| tenant_created(&other, 1 + i, 100))
        .collect();
    let runs = bodies.iter().map(|b| {
        let app = app(&h);
        async move {
            siyu_membership::events::consume::handle_for(&app, "membership-identity", b, "m")
                .await
                .unwrap();
        }
    });
    join_all(runs).await;
    assert_eq!(order_rules(&h, &other).await.len(), 1);
}

#[tokio::test]
async fn phone_binding_credits_the_phone_bound_rule_once_per_member() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    h.ledger()
        .create_earning_rule(with(
            pb::CreateEarningRuleRequest {
                rule: Some(pb::EarningRule {
                    name: "绑定手机".into(),
                    trigger: pb::EarningTrigger::PhoneBound as i32,
                    enabled: true,
                    fixed_points: 20,
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    let (member, _) = t.member(&h).await;
    let user = user_of(&h, &t, &member).await;
    let bound = |replaced: bool| {
        envelope(
            &t,
            "UserPhoneBound",
            ev::UserPhoneBound {
                user_id: user.to_string(),
                phone: "+8613800001234".into(),
                replaced_previous: replaced,
                method: "otp".into(),
                ..Default::default()
            }
            .encode_to_vec(),
        )
    };
    let first = bound(false);
    publish(&bus, "user_phone_bound", &first).await;
    publish(&bus, "user_phone_bound", &first).await;
    // A replaced number later earns nothing more; a user who is no member earns nothing.
    publish(&bus, "user_phone_bound", &bound(true)).await;
    let stranger = envelope(
        &t,
        "UserPhoneBound",
        ev::UserPhoneBound {
            user_id: siyu_core::id::new_string(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    publish(&bus, "user_phone_bound", &stranger).await;
    handled(&h, 3).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 20);
    // Eight replicas handling distinct bindings of one member at once: still once.
    let bodies: Vec<Vec<u8>> = (0..8).map(|_| bound(true)).collect();
    let runs = bodies.iter().map(|b| {
        let app = app(&h);
        async move {
            siyu_membership::events::consume::handle_for(&app, "membership-identity", b, "m")
                .await
                .unwrap();
        }
    });
    join_all(runs).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 20);
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_entries WHERE idempotency_key LIKE 'earn:phone_bound:%'",
            vec![]
        )
        .await,
        1
    );
    crate::harness::assert_invariants(&h).await;
}

#[tokio::test]
async fn erasure_closes_the_member_and_clears_its_personal_fields() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    t.earn(&h, &member, 30).await;
    h.members()
        .update_member(with(
            pb::UpdateMemberRequest {
                member: Some(pb::Member {
                    member_id: member.clone(),
                    card_holder_name: "张三".into(),
                    remark: "VIP".into(),
                    ..Default::default()
                }),
                update_mask: crate::bad_input::mask(&["card_holder_name", "remark"]),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap();
    let user = user_of(&h, &t, &member).await;
    let erased = envelope(
        &t,
        "UserErased",
        ev::UserErased {
            user_id: user.to_string(),
            requested_by: "self".into(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    publish(&bus, "user_erased", &erased).await;
    publish(&bus, "user_erased", &erased).await;
    handled(&h, 1).await;
    let m = h
        .members()
        .get_member(with(
            pb::GetMemberRequest {
                member_id: member.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    assert_eq!(m.status, pb::MemberStatus::Closed as i32);
    assert_eq!((m.card_holder_name.as_str(), m.remark.as_str()), ("", ""));
    // The ledger keeps the anonymous member: its balance stands, nothing more is earned.
    assert_eq!(t.balances(&h, &member).await.points_available, 30);
    let refused = h
        .ledger()
        .earn_points(with(
            pb::EarnPointsRequest {
                member_id: member.clone(),
                idempotency_key: "after-erasure".into(),
                points: 5,
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::FailedPrecondition, "MEMBER_CLOSED")
    );
    crate::harness::assert_invariants(&h).await;
}

fn merged(t: &Tenant, merge: Uuid, kept: Uuid, gone: Uuid) -> Vec<u8> {
    envelope(
        t,
        "UsersMerged",
        ev::UsersMerged {
            merge_id: merge.to_string(),
            kept_user_id: kept.to_string(),
            merged_user_id: gone.to_string(),
            reason: "phone_bind".into(),
            ..Default::default()
        }
        .encode_to_vec(),
    )
}

async fn member_of(h: &H, t: &Tenant, member: &str) -> pb::Member {
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
}

#[tokio::test]
async fn users_merged_combines_the_two_members_once() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    t.enable_stored_value(&h).await;
    let (kept, _) = t.member(&h).await;
    let (gone, _) = t.member(&h).await;
    let now = h.clock.now().timestamp_millis();
    h.ledger()
        .earn_points(with(
            pb::EarnPointsRequest {
                member_id: gone.clone(),
                idempotency_key: "soon".into(),
                points: 100,
                expires_at: Some(siyu_proto::time::timestamp_ms(now + 10 * 86_400_000)),
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap();
    t.earn(&h, &gone, 50).await;
    t.top_up(&h, &gone, 5_000).await;
    crate::tiers::adjust(&h, &t, &gone, 30, "g1").await;
    t.earn(&h, &kept, 20).await;
    let (kept_user, gone_user) = (user_of(&h, &t, &kept).await, user_of(&h, &t, &gone).await);
    let merge = siyu_core::id::new();
    let body = merged(&t, merge, kept_user, gone_user);
    publish(&bus, "users_merged", &body).await;
    publish(&bus, "users_merged", &body).await;
    handled(&h, 1).await;
    // Eight replicas handling distinct events of the same merge at once change nothing more.
    let bodies: Vec<Vec<u8>> = (0..8)
        .map(|_| merged(&t, merge, kept_user, gone_user))
        .collect();
    let runs = bodies.iter().map(|b| {
        let app = app(&h);
        async move {
            siyu_membership::events::consume::handle_for(&app, "membership-identity", b, "m")
                .await
                .unwrap();
        }
    });
    join_all(runs).await;
    let k = t.balances(&h, &kept).await;
    assert_eq!(k.points_available, 170);
    assert_eq!(k.stored_value_principal.unwrap().minor_units, 5_000);
    let g = t.balances(&h, &gone).await;
    assert_eq!(
        (
            g.points_available,
            g.stored_value_principal.unwrap().minor_units
        ),
        (0, 0)
    );
    assert_eq!(
        member_of(&h, &t, &gone).await.status,
        pb::MemberStatus::Closed as i32
    );
    assert_eq!(member_of(&h, &t, &kept).await.growth_value, 30);
    // The moved points keep their expiry.
    let lots = h
        .ledger()
        .list_points_lots(with(
            pb::ListPointsLotsRequest {
                member_id: kept.clone(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .lots;
    let soon = lots
        .iter()
        .find(|l| l.remaining_points == 100)
        .and_then(|l| l.expires_at.as_ref())
        .map(|e| e.seconds * 1000);
    assert_eq!(soon, Some(now + 10 * 86_400_000));
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_entries WHERE idempotency_key LIKE 'merge:%'",
            vec![]
        )
        .await,
        2
    );

    // Only the merged user a member: the member now belongs to the kept user.
    let (alone, _) = t.member(&h).await;
    let alone_user = user_of(&h, &t, &alone).await;
    let newcomer = siyu_core::id::new();
    publish(
        &bus,
        "users_merged",
        &merged(&t, siyu_core::id::new(), newcomer, alone_user),
    )
    .await;
    handled(&h, 10).await;
    assert_eq!(
        member_of(&h, &t, &alone).await.user_id,
        newcomer.to_string()
    );
    crate::harness::assert_invariants(&h).await;
}

fn merge_reversed(t: &Tenant, merge: Uuid, kept: Uuid, gone: Uuid) -> Vec<u8> {
    envelope(
        t,
        "UsersMergeReversed",
        ev::UsersMergeReversed {
            merge_id: merge.to_string(),
            kept_user_id: kept.to_string(),
            merged_user_id: gone.to_string(),
            ..Default::default()
        }
        .encode_to_vec(),
    )
}

#[tokio::test]
async fn a_reversed_merge_splits_back_what_the_kept_member_still_has() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    let (kept, _) = t.member(&h).await;
    let (gone, _) = t.member(&h).await;
    t.earn(&h, &gone, 100).await;
    crate::tiers::adjust(&h, &t, &gone, 30, "g1").await;
    t.earn(&h, &kept, 20).await;
    let (kept_user, gone_user) = (user_of(&h, &t, &kept).await, user_of(&h, &t, &gone).await);
    let merge = siyu_core::id::new();
    publish(
        &bus,
        "users_merged",
        &merged(&t, merge, kept_user, gone_user),
    )
    .await;
    handled(&h, 1).await;
    assert_eq!(t.balances(&h, &kept).await.points_available, 120);
    // The kept member spends 110 after the merge: 10 of the merged lot are left to give back.
    h.ledger()
        .redeem_points(with(
            pb::RedeemPointsRequest {
                member_id: kept.clone(),
                points: 110,
                idempotency_key: "spent".into(),
                purpose: 1,
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap();
    let body = merge_reversed(&t, merge, kept_user, gone_user);
    publish(&bus, "users_merge_reversed", &body).await;
    publish(&bus, "users_merge_reversed", &body).await;
    handled(&h, 2).await;
    // Distinct events of the reversal at once: still once.
    let bodies: Vec<Vec<u8>> = (0..6)
        .map(|_| merge_reversed(&t, merge, kept_user, gone_user))
        .collect();
    let runs = bodies.iter().map(|b| {
        let app = app(&h);
        async move {
            siyu_membership::events::consume::handle_for(&app, "membership-identity", b, "m")
                .await
                .unwrap();
        }
    });
    join_all(runs).await;
    let g = member_of(&h, &t, &gone).await;
    assert_eq!(
        (g.status, g.growth_value),
        (pb::MemberStatus::Active as i32, 30)
    );
    assert_eq!(member_of(&h, &t, &kept).await.growth_value, 0);
    assert_eq!(t.balances(&h, &gone).await.points_available, 10);
    assert_eq!(t.balances(&h, &kept).await.points_available, 0);

    // A re-pointed member goes back to the restored user.
    let (alone, _) = t.member(&h).await;
    let alone_user = user_of(&h, &t, &alone).await;
    let (newcomer, second) = (siyu_core::id::new(), siyu_core::id::new());
    publish(
        &bus,
        "users_merged",
        &merged(&t, second, newcomer, alone_user),
    )
    .await;
    handled(&h, 9).await;
    publish(
        &bus,
        "users_merge_reversed",
        &merge_reversed(&t, second, newcomer, alone_user),
    )
    .await;
    handled(&h, 10).await;
    assert_eq!(
        member_of(&h, &t, &alone).await.user_id,
        alone_user.to_string()
    );
    crate::harness::assert_invariants(&h).await;
}
