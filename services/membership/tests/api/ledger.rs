//! LedgerService points: the policy, earning (explicit, by rule, caps), business keys,
//! redemption oldest lots first, expiry on touch, staff adjustments, rules, the journal and the
//! points liability report.

use prost_types::FieldMask;
use siyu_core::Clock as _;
use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::Code;

use crate::harness::{H, Tenant, assert_invariants, cny, id, meta, refused, with};

fn earn(member: &str, key: &str, points: i64) -> pb::EarnPointsRequest {
    pb::EarnPointsRequest {
        member_id: member.into(),
        idempotency_key: key.into(),
        points,
        ..Default::default()
    }
}

fn redeem(key: &str, points: i64) -> pb::RedeemPointsRequest {
    pb::RedeemPointsRequest {
        points,
        idempotency_key: key.into(),
        purpose: pb::RedeemPurpose::PointsMall as i32,
        ..Default::default()
    }
}

async fn rule(h: &H, t: &Tenant, r: pb::EarningRule) -> pb::EarningRule {
    h.ledger()
        .create_earning_rule(with(
            pb::CreateEarningRuleRequest { rule: Some(r) },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .rule
        .unwrap()
}

#[tokio::test]
async fn the_policy_has_defaults_and_changes_by_mask() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (_, consumer) = t.consumer(&h);
    let p = h
        .ledger()
        .get_ledger_policy(with(pb::GetLedgerPolicyRequest {}, &consumer))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((p.points_per_yuan, p.stored_value_enabled), (100, false));
    let update = pb::UpdateLedgerPolicyRequest {
        policy: Some(pb::LedgerPolicy {
            points_per_yuan: 50,
            expiry_mode: pb::PointsExpiryMode::DaysAfterEarn as i32,
            expiry_days: 10,
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec![
                "points_per_yuan".into(),
                "expiry_mode".into(),
                "expiry_days".into(),
            ],
        }),
    };
    let after = h
        .ledger()
        .update_ledger_policy(with(update, &t.admin))
        .await
        .unwrap()
        .into_inner();
    let after = after.policy.unwrap();
    assert_eq!(
        (
            after.points_per_yuan,
            after.expiry_days,
            after.expiry_reminder_days
        ),
        (50, 10, 30)
    );
    // Lots earned now expire 10 days on.
    let (member, _) = t.member(&h).await;
    let lot = t.earn(&h, &member, 10).await.lot.unwrap();
    let expected = h.clock.now() + chrono::Duration::days(10);
    assert_eq!(lot.expires_at.unwrap(), timestamp(expected));
}

#[tokio::test]
async fn an_earn_applies_once_per_key_and_a_reused_key_is_refused() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, token) = t.member(&h).await;
    let first = h
        .ledger()
        .earn_points(with(earn(&member, "review:1", 30), &t.service))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (first.points, first.balances.unwrap().points_available),
        (30, 30)
    );
    let lot = first.lot.unwrap();
    // End of next year, Asia/Shanghai (the clock is June 2025).
    let end = chrono::DateTime::parse_from_rfc3339("2026-12-31T23:59:59+08:00").unwrap();
    assert_eq!(lot.expires_at.unwrap().seconds, end.timestamp());
    let again = h
        .ledger()
        .earn_points(with(earn(&member, "review:1", 30), &t.service))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.entry.unwrap().entry_id, first.entry.unwrap().entry_id);
    assert_eq!(again.lot.unwrap().lot_id, lot.lot_id);
    let conflict = refused(
        h.ledger()
            .earn_points(with(earn(&member, "review:1", 31), &t.service))
            .await,
        Code::AlreadyExists,
        "LEDGER_KEY_CONFLICT",
    );
    assert_eq!(meta(&conflict, "idempotency_key"), "review:1");
    assert_eq!(t.balances(&h, &member).await.points_available, 30);
    // The consumer's journal shows the entry without the tenant's posting.
    let journal = h
        .ledger()
        .list_journal_entries(with(pb::ListJournalEntriesRequest::default(), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(journal.entries.len(), 1);
    assert_eq!(journal.entries[0].postings.len(), 1);
    let staff_view = h
        .ledger()
        .list_journal_entries(with(
            pb::ListJournalEntriesRequest {
                member_id: member.clone(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(staff_view.entries[0].postings.len(), 2);
    assert_invariants(&h).await;
}

#[tokio::test]
async fn rules_compute_points_within_their_daily_cap() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let pos = rule(
        &h,
        &t,
        pb::EarningRule {
            name: "门店消费".into(),
            trigger: pb::EarningTrigger::OrderPaid as i32,
            enabled: true,
            points_per_yuan: 2,
            daily_cap_per_member: 250,
            ..Default::default()
        },
    )
    .await;
    let by_rule = |key: &str, fen: i64| pb::EarnPointsRequest {
        member_id: member.clone(),
        idempotency_key: key.into(),
        rule_id: pos.rule_id.clone(),
        eligible_amount: cny(fen),
        ..Default::default()
    };
    // ¥99.99 at 2 points per yuan: 199 points.
    let first = h
        .ledger()
        .earn_points(with(by_rule("pos:1", 9_999), &t.partner))
        .await
        .unwrap();
    assert_eq!(first.into_inner().points, 199);
    // The cap leaves 51 of the next 200.
    let capped = h
        .ledger()
        .earn_points(with(by_rule("pos:2", 10_000), &t.partner))
        .await
        .unwrap();
    assert_eq!(capped.into_inner().points, 51);
    refused(
        h.ledger()
            .earn_points(with(by_rule("pos:3", 10_000), &t.partner))
            .await,
        Code::FailedPrecondition,
        "EARNING_CAP_REACHED",
    );
    // The next day the cap is fresh.
    h.advance_days(1);
    let next_day = h
        .ledger()
        .earn_points(with(by_rule("pos:4", 5_000), &t.partner))
        .await
        .unwrap();
    assert_eq!(next_day.into_inner().points, 100);
    // A disabled rule earns nothing; an unknown one is not found.
    let disable = pb::UpdateEarningRuleRequest {
        rule: Some(pb::EarningRule {
            rule_id: pos.rule_id.clone(),
            enabled: false,
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["enabled".into()],
        }),
    };
    h.ledger()
        .update_earning_rule(with(disable, &t.admin))
        .await
        .unwrap();
    refused(
        h.ledger()
            .earn_points(with(by_rule("pos:5", 5_000), &t.partner))
            .await,
        Code::FailedPrecondition,
        "EARNING_RULE_DISABLED",
    );
    let mut unknown = by_rule("pos:6", 5_000);
    unknown.rule_id = id();
    refused(
        h.ledger().earn_points(with(unknown, &t.partner)).await,
        Code::NotFound,
        "EARNING_RULE_NOT_FOUND",
    );
}

#[tokio::test]
async fn one_enabled_rule_per_trigger_and_consumers_see_enabled_ones() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let review = |enabled: bool| pb::EarningRule {
        name: "评价".into(),
        trigger: pb::EarningTrigger::Review as i32,
        enabled,
        fixed_points: 10,
        ..Default::default()
    };
    rule(&h, &t, review(true)).await;
    refused(
        h.ledger()
            .create_earning_rule(with(
                pb::CreateEarningRuleRequest {
                    rule: Some(review(true)),
                },
                &t.admin,
            ))
            .await,
        Code::FailedPrecondition,
        "EARNING_RULE_OVERLAP",
    );
    rule(&h, &t, review(false)).await;
    let (_, consumer) = t.consumer(&h);
    let all = pb::ListEarningRulesRequest {
        include_disabled: true,
        ..Default::default()
    };
    let seen = h
        .ledger()
        .list_earning_rules(with(all.clone(), &consumer))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seen.rules.len(), 1);
    let staff = h
        .ledger()
        .list_earning_rules(with(all, &t.admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(staff.rules.len(), 2);
}

#[tokio::test]
async fn redemption_takes_the_oldest_expiring_lots_first() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, token) = t.member(&h).await;
    let expiring = |days: i64| Some(timestamp(h.clock.now() + chrono::Duration::days(days)));
    let credit = |key: &str, points: i64, expires_at| pb::EarnPointsRequest {
        expires_at,
        ..earn(&member, key, points)
    };
    let late = h
        .ledger()
        .earn_points(with(credit("a", 100, expiring(300)), &t.admin))
        .await
        .unwrap();
    let never = h
        .ledger()
        .earn_points(with(credit("b", 100, None), &t.admin))
        .await
        .unwrap();
    let soon = h
        .ledger()
        .earn_points(with(credit("c", 100, expiring(10)), &t.admin))
        .await
        .unwrap();
    let (late, soon) = (
        late.into_inner().lot.unwrap(),
        soon.into_inner().lot.unwrap(),
    );
    drop(never);
    let done = h
        .ledger()
        .redeem_points(with(redeem("mall:1", 150), &token))
        .await
        .unwrap()
        .into_inner();
    let lots: Vec<(String, i64)> = done
        .entry
        .unwrap()
        .postings
        .iter()
        .filter(|p| !p.lot_id.is_empty())
        .map(|p| (p.lot_id.clone(), p.amount))
        .collect();
    assert_eq!(lots, vec![(soon.lot_id, -100), (late.lot_id.clone(), -50)]);
    let short = refused(
        h.ledger()
            .redeem_points(with(redeem("mall:2", 151), &token))
            .await,
        Code::FailedPrecondition,
        "POINTS_INSUFFICIENT",
    );
    assert_eq!(
        (meta(&short, "available"), meta(&short, "requested")),
        ("150".into(), "151".into())
    );
    refused(
        h.ledger()
            .redeem_points(with(
                pb::RedeemPointsRequest {
                    purpose: 2,
                    ..redeem("mall:3", 1)
                },
                &token,
            ))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
    let listed = h
        .ledger()
        .list_points_lots(with(pb::ListPointsLotsRequest::default(), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.total_remaining_points, 150);
    assert_eq!(
        listed.lots[0].lot_id, late.lot_id,
        "soonest expiry first, never-expiring last"
    );
    assert_invariants(&h).await;
}

#[tokio::test]
async fn expired_lots_expire_when_the_member_is_next_touched() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, token) = t.member(&h).await;
    let soon = Some(timestamp(h.clock.now() + chrono::Duration::days(1)));
    h.ledger()
        .earn_points(with(
            pb::EarnPointsRequest {
                expires_at: soon,
                ..earn(&member, "a", 80)
            },
            &t.admin,
        ))
        .await
        .unwrap();
    t.earn(&h, &member, 20).await;
    let b = t.balances(&h, &member).await;
    assert_eq!((b.points_available, b.points_expiring_soon), (100, 80));
    h.advance_days(2);
    refused(
        h.ledger()
            .redeem_points(with(redeem("r", 30), &token))
            .await,
        Code::FailedPrecondition,
        "POINTS_INSUFFICIENT",
    );
    // The refused redemption rolled back, so its expiry did too; the next write expires them.
    h.ledger()
        .redeem_points(with(redeem("r2", 20), &token))
        .await
        .unwrap();
    assert_eq!(t.balances(&h, &member).await.points_available, 0);
    let report = h
        .ledger()
        .get_points_liability_report(with(
            pb::GetPointsLiabilityReportRequest::default(),
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            report.issued_points,
            report.expired_points,
            report.redeemed_points
        ),
        (100, 80, 20)
    );
    assert_eq!(report.outstanding_points, 0);
    assert_invariants(&h).await;
}

#[tokio::test]
async fn staff_adjust_with_a_reason_in_the_journal() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let care = t.staff(&h, "customer_service", &t.root.to_string());
    let adjust = |points: i64, key: &str| pb::AdjustBalanceRequest {
        member_id: member.clone(),
        points,
        reason: "投诉补偿".into(),
        idempotency_key: key.into(),
        ..Default::default()
    };
    let done = h
        .ledger()
        .adjust_balance(with(adjust(500, "adj:1"), &care))
        .await
        .unwrap()
        .into_inner();
    let entry = done.entry.unwrap();
    assert_eq!(
        (entry.reason.as_str(), entry.r#type),
        ("投诉补偿", pb::JournalEntryType::Adjustment as i32)
    );
    assert!(!entry.operator_id.is_empty());
    h.ledger()
        .adjust_balance(with(adjust(-200, "adj:2"), &care))
        .await
        .unwrap();
    refused(
        h.ledger()
            .adjust_balance(with(adjust(-301, "adj:3"), &care))
            .await,
        Code::FailedPrecondition,
        "POINTS_INSUFFICIENT",
    );
    let principal = pb::AdjustBalanceRequest {
        points: 0,
        stored_value: cny(100),
        principal: true,
        ..adjust(0, "adj:4")
    };
    refused(
        h.ledger()
            .adjust_balance(with(principal.clone(), &care))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
    h.ledger()
        .adjust_balance(with(principal, &t.admin))
        .await
        .unwrap();
    let b = t.balances(&h, &member).await;
    assert_eq!(
        (
            b.points_available,
            b.stored_value_principal.unwrap().minor_units
        ),
        (300, 100)
    );
    let report = h
        .ledger()
        .get_points_liability_report(with(
            pb::GetPointsLiabilityReportRequest::default(),
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            report.issued_points,
            report.reversed_points,
            report.outstanding_points
        ),
        (500, 200, 300)
    );
    assert_eq!(
        report.outstanding_value.unwrap().minor_units,
        300,
        "100 points make ¥1"
    );
    assert_invariants(&h).await;
}
