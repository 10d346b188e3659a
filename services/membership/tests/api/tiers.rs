//! TierService through the contract: the ladder, growth and the upgrade at once, never a
//! downgrade on a growth decrease, the tier on members and in earning, tenants apart, one key
//! applied once under concurrency.

use futures::future::join_all;
use sea_orm::Value;
use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::tier_service_client::TierServiceClient;
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::{H, Tenant, cny, field, id, refused, with};

pub fn tiers(h: &H) -> TierServiceClient<Channel> {
    TierServiceClient::new(h.channel.clone())
}

fn tier(code: &str, rank: i32, threshold: i64, multiplier_bps: i32) -> pb::Tier {
    pb::Tier {
        tier_code: code.into(),
        name: format!("{code} 卡"),
        rank,
        growth_threshold: threshold,
        retain_growth: threshold / 2,
        benefits: Some(pb::TierBenefits {
            discount_bps: 9_500,
            points_multiplier_bps: multiplier_bps,
            free_shipping: rank >= 3,
            display_benefits: vec!["专属客服".into()],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// BRONZE (entry), SILVER at 100 growth (1.5× points), GOLD at 500 (2×).
pub async fn ladder(h: &H, t: &Tenant) {
    for tr in [
        tier("BRONZE", 1, 0, 10_000),
        tier("SILVER", 2, 100, 15_000),
        tier("GOLD", 3, 500, 20_000),
    ] {
        tiers(h)
            .create_tier(with(pb::CreateTierRequest { tier: Some(tr) }, &t.admin))
            .await
            .unwrap();
    }
}

pub async fn adjust(
    h: &H,
    t: &Tenant,
    member: &str,
    delta: i64,
    key: &str,
) -> pb::AdjustGrowthResponse {
    tiers(h)
        .adjust_growth(with(
            pb::AdjustGrowthRequest {
                member_id: member.into(),
                delta,
                reason: "客诉补偿".into(),
                idempotency_key: key.into(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
}

pub async fn standing(h: &H, token: &str, member: &str) -> pb::GetMemberTierResponse {
    tiers(h)
        .get_member_tier(with(
            pb::GetMemberTierRequest {
                member_id: member.into(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn member_tier_code(h: &H, t: &Tenant, member: &str) -> String {
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
        .tier
        .map(|t| t.tier_code)
        .unwrap_or_default()
}

#[tokio::test]
async fn growth_upgrades_at_once_and_a_decrease_never_downgrades() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, token) = t.member(&h).await;
    assert_eq!(
        member_tier_code(&h, &t, &member).await,
        "",
        "no ladder, no tier"
    );
    ladder(&h, &t).await;
    let listed = tiers(&h)
        .list_tiers(with(pb::ListTiersRequest::default(), &token))
        .await
        .unwrap()
        .into_inner()
        .tiers;
    let codes: Vec<_> = listed.iter().map(|t| t.tier_code.as_str()).collect();
    assert_eq!(codes, ["BRONZE", "SILVER", "GOLD"]);
    let start = standing(&h, &token, "").await;
    assert_eq!(start.tier.unwrap().tier_code, "BRONZE");
    assert_eq!((start.growth_value, start.growth_to_next_tier), (0, 100));
    assert_eq!(start.next_tier.unwrap().tier_code, "SILVER");
    assert_eq!(member_tier_code(&h, &t, &member).await, "BRONZE");

    let up = adjust(&h, &t, &member, 120, "ticket:1").await;
    assert_eq!(
        up.tier.unwrap().tier_code,
        "SILVER",
        "upgraded in the same call"
    );
    assert_eq!(up.change.as_ref().unwrap().balance_after, 120);
    assert_eq!(member_tier_code(&h, &t, &member).await, "SILVER");
    let down = adjust(&h, &t, &member, -100, "ticket:2").await;
    assert_eq!(down.tier.unwrap().tier_code, "SILVER", "never down at once");
    let now = standing(&h, &token, "").await;
    assert_eq!((now.growth_value, now.window_growth), (20, 20));
    assert_eq!(now.growth_to_next_tier, 480);
    // A repeat of a key answers the first change; the key with another delta is refused.
    let again = adjust(&h, &t, &member, 120, "ticket:1").await;
    assert_eq!(
        again.change.unwrap().change_id,
        up.change.unwrap().change_id
    );
    refused(
        tiers(&h)
            .adjust_growth(with(
                pb::AdjustGrowthRequest {
                    member_id: member.clone(),
                    delta: 7,
                    reason: "客诉补偿".into(),
                    idempotency_key: "ticket:1".into(),
                },
                &t.admin,
            ))
            .await,
        Code::AlreadyExists,
        "LEDGER_KEY_CONFLICT",
    );
    let short = refused(
        tiers(&h)
            .adjust_growth(with(
                pb::AdjustGrowthRequest {
                    member_id: member.clone(),
                    delta: -21,
                    reason: "更正".into(),
                    idempotency_key: "ticket:3".into(),
                },
                &t.admin,
            ))
            .await,
        Code::FailedPrecondition,
        "GROWTH_INSUFFICIENT",
    );
    assert_eq!(crate::harness::meta(&short, "available"), "20");
    let history = tiers(&h)
        .list_growth_history(with(pb::ListGrowthHistoryRequest::default(), &token))
        .await
        .unwrap()
        .into_inner()
        .changes;
    let deltas: Vec<i64> = history.iter().map(|c| c.delta).collect();
    assert_eq!(deltas.len(), 2);
    assert!(deltas.contains(&120) && deltas.contains(&-100));
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM siyu_outbox WHERE event_type = $1",
            vec![Value::from("membership.tier_changed")],
        )
        .await,
        1
    );
    // ListMembers by tier: members without a tier row are in the entry tier.
    let (other, _) = t.member(&h).await;
    let by = |codes: &[&str]| pb::ListMembersRequest {
        tier_codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        ..Default::default()
    };
    let silver = h
        .members()
        .list_members(with(by(&["SILVER"]), &t.admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(silver.members.len(), 1);
    assert_eq!(silver.members[0].member_id, member);
    assert_eq!(silver.members[0].tier.as_ref().unwrap().tier_code, "SILVER");
    let bronze = h
        .members()
        .list_members(with(by(&["BRONZE", "GOLD"]), &t.admin))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = bronze.members.iter().map(|m| m.member_id.clone()).collect();
    assert_eq!(ids, [other]);
}

#[tokio::test]
async fn order_points_carry_the_tier_multiplier() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    ladder(&h, &t).await;
    let (member, _) = t.member(&h).await;
    let rule = h
        .ledger()
        .create_earning_rule(with(
            pb::CreateEarningRuleRequest {
                rule: Some(pb::EarningRule {
                    name: "消费积分".into(),
                    trigger: pb::EarningTrigger::OrderPaid as i32,
                    enabled: true,
                    points_per_yuan: 1,
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .rule
        .unwrap();
    let earn = |key: &str| pb::EarnPointsRequest {
        member_id: member.clone(),
        idempotency_key: key.into(),
        rule_id: rule.rule_id.clone(),
        eligible_amount: cny(10_001),
        ..Default::default()
    };
    let base = h
        .ledger()
        .earn_points(with(earn("earn:order:1"), &t.service))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(base.points, 100, "BRONZE earns 1× (floor of 100.01)");
    adjust(&h, &t, &member, 100, "ticket:up").await;
    let silver = h
        .ledger()
        .earn_points(with(earn("earn:order:2"), &t.service))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(silver.points, 150, "SILVER earns 1.5×");
}

#[tokio::test]
async fn tiers_are_archived_only_when_free_and_not_the_entry() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    ladder(&h, &t).await;
    let (member, token) = t.member(&h).await;
    adjust(&h, &t, &member, 100, "ticket:1").await;
    let archive = |code: &str| pb::ArchiveTierRequest {
        tier_code: code.into(),
    };
    refused(
        tiers(&h)
            .archive_tier(with(archive("BRONZE"), &t.admin))
            .await,
        Code::FailedPrecondition,
        "TIER_IS_ENTRY",
    );
    refused(
        tiers(&h)
            .archive_tier(with(archive("SILVER"), &t.admin))
            .await,
        Code::FailedPrecondition,
        "TIER_IN_USE",
    );
    let gold = tiers(&h)
        .archive_tier(with(archive("GOLD"), &t.admin))
        .await
        .unwrap()
        .into_inner()
        .tier
        .unwrap();
    assert!(gold.archived);
    let all = pb::ListTiersRequest {
        include_archived: true,
    };
    let staff = tiers(&h)
        .list_tiers(with(all, &t.admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(staff.tiers.len(), 3);
    let consumer = tiers(&h)
        .list_tiers(with(all, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        consumer.tiers.len(),
        2,
        "consumers never see archived tiers"
    );
    // The top is SILVER now: nothing ahead.
    let s = standing(&h, &token, "").await;
    assert!(s.next_tier.is_none());
    assert_eq!(s.growth_to_next_tier, 0);
    // Updating by mask: the multiplier only; the rest stays.
    let updated = tiers(&h)
        .update_tier(with(
            pb::UpdateTierRequest {
                tier: Some(pb::Tier {
                    tier_code: "SILVER".into(),
                    benefits: Some(pb::TierBenefits {
                        points_multiplier_bps: 18_000,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["benefits.points_multiplier_bps".into()],
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .tier
        .unwrap();
    let b = updated.benefits.unwrap();
    assert_eq!((b.points_multiplier_bps, b.discount_bps), (18_000, 9_500));
    assert_eq!(updated.growth_threshold, 100);
    let policy = tiers(&h)
        .update_tier_policy(with(
            pb::UpdateTierPolicyRequest {
                policy: Some(pb::TierPolicy {
                    grace_period_days: 7,
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["grace_period_days".into()],
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    assert_eq!(
        (
            policy.grace_period_days,
            policy.evaluation_period_months,
            policy.growth_per_yuan
        ),
        (7, 12, 1)
    );
}

#[tokio::test]
async fn tier_rpcs_refuse_malformed_input() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    ladder(&h, &t).await;
    let (member, consumer) = t.member(&h).await;
    let create = |tr: pb::Tier| pb::CreateTierRequest { tier: Some(tr) };
    let mut long = tier("PLATINUM", 4, 900, 10_000);
    long.name = "名".repeat(33);
    let mut multiplier = tier("PLATINUM", 4, 900, 5_000);
    multiplier.benefits.as_mut().unwrap().discount_bps = 9_000;
    let cases: Vec<(&str, pb::CreateTierRequest, Code, &str, &str)> = vec![
        (
            "no tier",
            pb::CreateTierRequest { tier: None },
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "tier",
        ),
        (
            "lower case code",
            create(tier("platinum", 4, 900, 10_000)),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "tier.tier_code",
        ),
        (
            "over-long name",
            create(long),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "tier.name",
        ),
        (
            "negative threshold",
            create(tier("PLATINUM", 4, -1, 10_000)),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "tier.growth_threshold",
        ),
        (
            "multiplier below 1x",
            create(multiplier),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "tier.benefits.points_multiplier_bps",
        ),
        (
            "rank 0",
            create(tier("PLATINUM", 0, 900, 10_000)),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "tier.rank",
        ),
        (
            "threshold below a lower rank",
            create(tier("PLATINUM", 4, 400, 10_000)),
            Code::InvalidArgument,
            "TIER_THRESHOLD_CONFLICT",
            "tier.growth_threshold",
        ),
        (
            "rank taken",
            create(tier("PLATINUM", 3, 900, 10_000)),
            Code::InvalidArgument,
            "TIER_THRESHOLD_CONFLICT",
            "tier.growth_threshold",
        ),
        (
            "code taken",
            create(tier("GOLD", 4, 900, 10_000)),
            Code::AlreadyExists,
            "TIER_CODE_TAKEN",
            "",
        ),
    ];
    for (what, req, code, why, at) in cases {
        let s = refused(tiers(&h).create_tier(with(req, &t.admin)).await, code, why);
        assert_eq!(field(&s), at, "{what}");
    }
    let update = |code: &str, path: &str| pb::UpdateTierRequest {
        tier: Some(pb::Tier {
            tier_code: code.into(),
            growth_threshold: 50,
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec![path.into()],
        }),
    };
    refused(
        tiers(&h)
            .update_tier(with(update("IRON", "growth_threshold"), &t.admin))
            .await,
        Code::NotFound,
        "TIER_NOT_FOUND",
    );
    refused(
        tiers(&h)
            .update_tier(with(update("SILVER", "tier_code"), &t.admin))
            .await,
        Code::InvalidArgument,
        "UNKNOWN_FIELD_PATH",
    );
    refused(
        tiers(&h)
            .update_tier(with(update("GOLD", "growth_threshold"), &t.admin))
            .await,
        Code::InvalidArgument,
        "TIER_THRESHOLD_CONFLICT",
    );
    let s = refused(
        tiers(&h)
            .archive_tier(with(pb::ArchiveTierRequest::default(), &t.admin))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(field(&s), "tier_code");
    let s = refused(
        tiers(&h)
            .update_tier_policy(with(
                pb::UpdateTierPolicyRequest {
                    policy: Some(pb::TierPolicy {
                        grace_period_days: 181,
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["grace_period_days".into()],
                    }),
                },
                &t.admin,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(field(&s), "policy.grace_period_days");
    let s = refused(
        tiers(&h)
            .get_member_tier(with(
                pb::GetMemberTierRequest {
                    member_id: "x".into(),
                },
                &t.admin,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(field(&s), "member_id");
    refused(
        tiers(&h)
            .get_member_tier(with(pb::GetMemberTierRequest { member_id: id() }, &t.admin))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    refused(
        tiers(&h)
            .list_growth_history(with(
                pb::ListGrowthHistoryRequest {
                    member_id: id(),
                    page: None,
                },
                &t.admin,
            ))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    let adjust = |delta: i64, reason: &str, key: &str, member: &str| pb::AdjustGrowthRequest {
        member_id: member.into(),
        delta,
        reason: reason.into(),
        idempotency_key: key.into(),
    };
    let bad = [
        (adjust(0, "补偿", "k", &member), "delta"),
        (adjust(1_000_001, "补偿", "k", &member), "delta"),
        (adjust(5, "补", "k", &member), "reason"),
        (adjust(5, "补偿", "", &member), "idempotency_key"),
        (
            adjust(5, "补偿", &"k".repeat(129), &member),
            "idempotency_key",
        ),
        (adjust(5, "补偿", "k", ""), "member_id"),
    ];
    for (req, at) in bad {
        let s = refused(
            tiers(&h).adjust_growth(with(req, &t.admin)).await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(field(&s), at);
    }
    refused(
        tiers(&h)
            .adjust_growth(with(adjust(5, "补偿", "k", &id()), &t.admin))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    // Callers outside the contract: consumers neither read the policy nor adjust growth.
    refused(
        tiers(&h)
            .get_tier_policy(with(pb::GetTierPolicyRequest {}, &consumer))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
    refused(
        tiers(&h)
            .adjust_growth(with(adjust(5, "补偿", "k", &member), &consumer))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
}

#[tokio::test]
async fn another_tenants_tiers_and_members_are_not_found() {
    let h = H::pg().await;
    let a = Tenant::new(&h).await;
    let b = Tenant::new(&h).await;
    ladder(&h, &a).await;
    let (member, _) = a.member(&h).await;
    adjust(&h, &a, &member, 10, "ticket:a").await;
    let listed = tiers(&h)
        .list_tiers(with(pb::ListTiersRequest::default(), &b.admin))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.tiers.is_empty());
    refused(
        tiers(&h)
            .update_tier(with(
                pb::UpdateTierRequest {
                    tier: Some(pb::Tier {
                        tier_code: "SILVER".into(),
                        name: "改".into(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["name".into()],
                    }),
                },
                &b.admin,
            ))
            .await,
        Code::NotFound,
        "TIER_NOT_FOUND",
    );
    refused(
        tiers(&h)
            .archive_tier(with(
                pb::ArchiveTierRequest {
                    tier_code: "GOLD".into(),
                },
                &b.admin,
            ))
            .await,
        Code::NotFound,
        "TIER_NOT_FOUND",
    );
    refused(
        tiers(&h)
            .get_member_tier(with(
                pb::GetMemberTierRequest {
                    member_id: member.clone(),
                },
                &b.admin,
            ))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    refused(
        tiers(&h)
            .list_growth_history(with(
                pb::ListGrowthHistoryRequest {
                    member_id: member.clone(),
                    page: None,
                },
                &b.admin,
            ))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    refused(
        tiers(&h)
            .adjust_growth(with(
                pb::AdjustGrowthRequest {
                    member_id: member.clone(),
                    delta: 5,
                    reason: "补偿".into(),
                    idempotency_key: "ticket:b".into(),
                },
                &b.admin,
            ))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    // B may use the same codes and keys for its own ladder.
    ladder(&h, &b).await;
    let (b_member, _) = b.member(&h).await;
    adjust(&h, &b, &b_member, 10, "ticket:a").await;
    assert_eq!(standing(&h, &a.admin, &member).await.growth_value, 10);
}

async fn concurrent_growth(h: &H) {
    let t = Tenant::new(h).await;
    ladder(h, &t).await;
    let (member, token) = t.member(h).await;
    // 32 callers with one key: one change.
    let same = (0..32).map(|_| {
        let mut c = tiers(h);
        let req = with(
            pb::AdjustGrowthRequest {
                member_id: member.clone(),
                delta: 30,
                reason: "活动补偿".into(),
                idempotency_key: "campaign:1".into(),
            },
            &t.admin,
        );
        async move { c.adjust_growth(req).await }
    });
    let ids: std::collections::HashSet<String> = join_all(same)
        .await
        .into_iter()
        .map(|r| r.unwrap().into_inner().change.unwrap().change_id)
        .collect();
    assert_eq!(ids.len(), 1);
    // 32 callers with their own keys: every one counts, the member moves up exactly once per tier.
    let many = (0..32).map(|i| {
        let mut c = tiers(h);
        let req = with(
            pb::AdjustGrowthRequest {
                member_id: member.clone(),
                delta: 15,
                reason: "活动补偿".into(),
                idempotency_key: format!("campaign:many:{i}"),
            },
            &t.admin,
        );
        async move { c.adjust_growth(req).await }
    });
    for r in join_all(many).await {
        r.unwrap();
    }
    let s = standing(h, &token, "").await;
    assert_eq!(s.growth_value, 30 + 32 * 15);
    assert_eq!(s.tier.unwrap().tier_code, "GOLD");
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM mem_tier_changes", vec![])
            .await,
        2,
        "BRONZE → SILVER → GOLD, each once"
    );
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_growth_changes WHERE member_id IS NOT NULL",
            vec![]
        )
        .await,
        33
    );
}

#[tokio::test]
async fn concurrent_growth_changes_count_once_each_on_postgres() {
    concurrent_growth(&H::pg().await).await;
}

#[tokio::test]
async fn concurrent_growth_changes_count_once_each_on_sqlite() {
    concurrent_growth(&H::sqlite().await).await;
}
