//! PaidMembershipService through the contract: plans, periods bought by paid orders and laid
//! one after another, revocation on refund, auto-renew, the renewal report, refusals, tenants
//! apart, and activations racing on one member.

use chrono::{DateTime, Months, Utc};
use futures::future::join_all;
use prost_types::{FieldMask, Timestamp};
use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::paid_membership_service_client::PaidMembershipServiceClient;
use siyu_proto::time::{millis, timestamp_ms};
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::{H, Tenant, cny, field, id, keyed, refused, with};
use crate::tiers::ladder;

const DAY_MS: i64 = 86_400_000;

fn paid(h: &H) -> PaidMembershipServiceClient<Channel> {
    PaidMembershipServiceClient::new(h.channel.clone())
}

fn plan(name: &str, period: pb::PaidPlanPeriod, price: i64) -> pb::PaidPlan {
    pb::PaidPlan {
        name: name.into(),
        period: period as i32,
        price: cny(price),
        display_benefits: vec!["专享折扣".into()],
        on_sale: true,
        ..Default::default()
    }
}

async fn create(h: &H, t: &Tenant, p: pb::PaidPlan) -> pb::PaidPlan {
    paid(h)
        .create_paid_plan(with(pb::CreatePaidPlanRequest { plan: Some(p) }, &t.admin))
        .await
        .unwrap()
        .into_inner()
        .plan
        .unwrap()
}

fn now_ms(h: &H) -> i64 {
    use siyu_core::Clock;
    h.clock.now().timestamp_millis()
}

fn plus_months(ms: i64, months: u32) -> i64 {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap()
        .checked_add_months(Months::new(months))
        .unwrap()
        .timestamp_millis()
}

fn activation(
    member: &str,
    plan: &str,
    order: &str,
    fen: i64,
    paid_at_ms: i64,
) -> pb::ActivatePaidMembershipRequest {
    pb::ActivatePaidMembershipRequest {
        member_id: member.into(),
        plan_id: plan.into(),
        order_id: order.into(),
        amount_paid: cny(fen),
        paid_at: Some(timestamp_ms(paid_at_ms)),
        auto_renew: true,
    }
}

async fn activate(
    h: &H,
    t: &Tenant,
    req: pb::ActivatePaidMembershipRequest,
) -> pb::ActivatePaidMembershipResponse {
    paid(h)
        .activate_paid_membership(with(req, &t.service))
        .await
        .unwrap()
        .into_inner()
}

fn ms(ts: Option<&Timestamp>) -> i64 {
    millis(ts.unwrap())
}

async fn membership(h: &H, token: &str, member: &str) -> pb::PaidMembership {
    paid(h)
        .get_paid_membership(with(
            pb::GetPaidMembershipRequest {
                member_id: member.into(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .membership
        .unwrap()
}

fn revocation(order: &str, refund: &str) -> pb::RevokePaidMembershipRequest {
    pb::RevokePaidMembershipRequest {
        order_id: order.into(),
        refund_id: refund.into(),
        reason: "整单退款".into(),
    }
}

async fn plans_and_periods(h: H) {
    let t = Tenant::new(&h).await;
    ladder(&h, &t).await;
    let mut black = plan("黑金月卡", pb::PaidPlanPeriod::Month, 3_000);
    black.first_period_price = cny(990);
    black.tier_code = "GOLD".into();
    let black = create(&h, &t, black).await;
    assert_eq!(black.points_multiplier_bps, 10_000, "unset: no extra");
    let mut off = plan("旧年卡", pb::PaidPlanPeriod::Year, 19_900);
    off.on_sale = false;
    let off = create(&h, &t, off).await;
    let (member, token) = t.member(&h).await;

    // Plans: read by anyone of the tenant; consumers never see what is off sale.
    let got = paid(&h)
        .get_paid_plan(with(
            pb::GetPaidPlanRequest {
                plan_id: black.plan_id.clone(),
            },
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .plan
        .unwrap();
    assert_eq!(got, black);
    let list = |token: String, include_off_sale: bool| {
        let h = &h;
        async move {
            paid(h)
                .list_paid_plans(with(pb::ListPaidPlansRequest { include_off_sale }, &token))
                .await
                .unwrap()
                .into_inner()
                .plans
                .into_iter()
                .map(|p| p.plan_id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(token.clone(), true).await, vec![black.plan_id.clone()]);
    assert_eq!(
        list(t.admin.clone(), false).await,
        vec![black.plan_id.clone()]
    );
    assert_eq!(
        list(t.admin.clone(), true).await,
        vec![black.plan_id.clone(), off.plan_id.clone()]
    );
    let updated = paid(&h)
        .update_paid_plan(with(
            pb::UpdatePaidPlanRequest {
                plan: Some(pb::PaidPlan {
                    plan_id: black.plan_id.clone(),
                    price: cny(3_300),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["price".into()],
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .plan
        .unwrap();
    assert_eq!(updated.price, cny(3_300));
    assert_eq!(updated.name, black.name, "unmasked fields kept");
    assert_eq!(updated.first_period_price, cny(990));

    // Never bought: inactive, and there is no preference to change.
    let m = membership(&h, &token, "").await;
    assert!(!m.active && m.periods_bought == 0 && m.expires_at.is_none());
    refused(
        paid(&h)
            .set_paid_auto_renew(with(
                pb::SetPaidAutoRenewRequest {
                    member_id: String::new(),
                    auto_renew: false,
                },
                &token,
            ))
            .await,
        Code::NotFound,
        "PAID_MEMBERSHIP_NOT_FOUND",
    );

    // The first period at the first-period price; never more than the plan's price.
    let now = now_ms(&h);
    let (o1, o2, o3) = (id(), id(), id());
    refused(
        paid(&h)
            .activate_paid_membership(with(
                activation(&member, &black.plan_id, &o1, 991, now),
                &t.service,
            ))
            .await,
        Code::FailedPrecondition,
        "PAID_PLAN_PRICE_MISMATCH",
    );
    let first = activate(&h, &t, activation(&member, &black.plan_id, &o1, 990, now)).await;
    let p1 = first.period.unwrap();
    assert_eq!(ms(p1.starts_at.as_ref()), now);
    assert_eq!(ms(p1.ends_at.as_ref()), plus_months(now, 1));
    assert!(!p1.renewal);
    let again = activate(&h, &t, activation(&member, &black.plan_id, &o1, 990, now)).await;
    assert_eq!(again.period.unwrap().period_id, p1.period_id, "order once");
    // A renewal extends from the current end, at the full price.
    refused(
        paid(&h)
            .activate_paid_membership(with(
                activation(&member, &black.plan_id, &o2, 3_301, now + DAY_MS),
                &t.service,
            ))
            .await,
        Code::FailedPrecondition,
        "PAID_PLAN_PRICE_MISMATCH",
    );
    let second = activate(
        &h,
        &t,
        activation(&member, &black.plan_id, &o2, 3_300, now + DAY_MS),
    )
    .await;
    let p2 = second.period.unwrap();
    assert_eq!(p2.starts_at, p1.ends_at);
    assert_eq!(
        ms(p2.ends_at.as_ref()),
        plus_months(ms(p1.ends_at.as_ref()), 1)
    );
    assert!(p2.renewal);
    let m = membership(&h, &token, "").await;
    assert!(m.active && m.auto_renew);
    assert_eq!(m.current_period.unwrap().period_id, p1.period_id);
    assert_eq!(m.upcoming_periods.len(), 1);
    assert_eq!(m.expires_at, p2.ends_at);
    assert_eq!(m.periods_bought, 2);
    assert_eq!(membership(&h, &t.admin, &member).await.periods_bought, 2);

    // Auto-renew off and off again: a no-op the second time.
    for _ in 0..2 {
        let m = paid(&h)
            .set_paid_auto_renew(keyed(
                pb::SetPaidAutoRenewRequest {
                    member_id: String::new(),
                    auto_renew: false,
                },
                &token,
                &id(),
            ))
            .await
            .unwrap()
            .into_inner()
            .membership
            .unwrap();
        assert!(!m.auto_renew);
    }

    // A refund of the upcoming period removes it; a repeat changes nothing.
    let refund = id();
    for _ in 0..2 {
        let m = paid(&h)
            .revoke_paid_membership(with(revocation(&o2, &refund), &t.admin))
            .await
            .unwrap()
            .into_inner()
            .membership
            .unwrap();
        assert!(m.upcoming_periods.is_empty());
        assert_eq!(m.expires_at, p1.ends_at);
        assert_eq!(m.periods_bought, 1);
    }
    // A period bought later starts at the end of the current one again.
    let p3 = activate(
        &h,
        &t,
        activation(&member, &black.plan_id, &o3, 3_300, now + 2 * DAY_MS),
    )
    .await
    .period
    .unwrap();
    assert_eq!(p3.starts_at, p1.ends_at);
    // Revoking the current period after 10 days: what was left of it comes out of the next.
    h.advance_days(10);
    let later = now_ms(&h);
    let m = paid(&h)
        .revoke_paid_membership(with(revocation(&o1, &id()), &t.service))
        .await
        .unwrap()
        .into_inner()
        .membership
        .unwrap();
    let current = m.current_period.unwrap();
    assert_eq!(current.period_id, p3.period_id);
    assert_eq!(ms(current.starts_at.as_ref()), later);
    assert_eq!(
        ms(current.ends_at.as_ref()) - later,
        ms(p3.ends_at.as_ref()) - ms(p3.starts_at.as_ref()),
        "the later period keeps its length"
    );
    assert_eq!(m.periods_bought, 1);
}

#[tokio::test]
async fn plans_and_periods_on_postgres() {
    plans_and_periods(H::pg().await).await;
}

#[tokio::test]
async fn plans_and_periods_on_sqlite() {
    plans_and_periods(H::sqlite().await).await;
}

#[tokio::test]
async fn the_renewal_report_counts_periods_followed_within_the_window() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let month = create(&h, &t, plan("月卡", pb::PaidPlanPeriod::Month, 1_000)).await;
    let year = create(&h, &t, plan("年卡", pb::PaidPlanPeriod::Year, 9_000)).await;
    let t0 = now_ms(&h);
    let end0 = plus_months(t0, 1);
    let (a, _) = t.member(&h).await;
    let (b, _) = t.member(&h).await;
    let (c, _) = t.member(&h).await;
    let (d, _) = t.member(&h).await;
    // A renews ahead of time, B never, C five days after the end; D holds a year.
    for (m, at) in [
        (&a, t0),
        (&a, t0),
        (&b, t0),
        (&c, t0),
        (&c, end0 + 5 * DAY_MS),
    ] {
        activate(&h, &t, activation(m, &month.plan_id, &id(), 1_000, at)).await;
    }
    activate(&h, &t, activation(&d, &year.plan_id, &id(), 9_000, t0)).await;
    let report = |window: i32, plan_id: &str| pb::GetPaidRenewalReportRequest {
        start_time: Some(timestamp_ms(t0)),
        end_time: Some(timestamp_ms(end0 + 10 * DAY_MS)),
        renewal_window_days: window,
        plan_id: plan_id.into(),
        page: None,
    };
    let r = paid(&h)
        .get_paid_renewal_report(with(report(0, ""), &t.admin))
        .await
        .unwrap()
        .into_inner();
    let row = r.rows.iter().find(|r| r.plan_id == month.plan_id).unwrap();
    assert_eq!(
        (row.expired_count, row.renewed_count, row.renewal_rate_bps),
        (3, 2, 6_666)
    );
    assert_eq!(
        row.active_member_count, 2,
        "A and C at the end of the window"
    );
    let yr = r.rows.iter().find(|r| r.plan_id == year.plan_id).unwrap();
    assert_eq!((yr.expired_count, yr.active_member_count), (0, 1));
    let total = r.total.unwrap();
    assert_eq!(
        (
            total.expired_count,
            total.renewed_count,
            total.active_member_count
        ),
        (3, 2, 3)
    );
    let narrow = paid(&h)
        .get_paid_renewal_report(with(report(3, &month.plan_id), &t.admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(narrow.rows.len(), 1);
    assert_eq!(narrow.rows[0].renewed_count, 1, "C came back too late");
}

#[tokio::test]
async fn bad_input_is_refused_with_its_reason() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let p = create(&h, &t, plan("月卡", pb::PaidPlanPeriod::Month, 1_000)).await;
    let (member, token) = t.member(&h).await;
    let c = paid(&h);
    let now = now_ms(&h);

    // CreatePaidPlan.
    let bad_plan = |f: &dyn Fn(&mut pb::PaidPlan)| {
        let mut p = plan("卡", pb::PaidPlanPeriod::Month, 100);
        f(&mut p);
        pb::CreatePaidPlanRequest { plan: Some(p) }
    };
    let cases: Vec<(pb::CreatePaidPlanRequest, &str, &str)> = vec![
        (
            pb::CreatePaidPlanRequest { plan: None },
            "INVALID_ARGUMENT",
            "plan",
        ),
        (
            bad_plan(&|p| p.name.clear()),
            "INVALID_ARGUMENT",
            "plan.name",
        ),
        (
            bad_plan(&|p| p.period = 0),
            "INVALID_ARGUMENT",
            "plan.period",
        ),
        (
            bad_plan(&|p| p.price = cny(0)),
            "INVALID_ARGUMENT",
            "plan.price.minor_units",
        ),
        (
            bad_plan(&|p| p.price = None),
            "INVALID_ARGUMENT",
            "plan.price",
        ),
        (
            bad_plan(&|p| p.price.as_mut().unwrap().currency_code = "USD".into()),
            "CURRENCY_NOT_SUPPORTED",
            "plan.price.currency_code",
        ),
        (
            bad_plan(&|p| p.first_period_price = cny(-1)),
            "INVALID_ARGUMENT",
            "plan.first_period_price.minor_units",
        ),
        (
            bad_plan(&|p| p.tier_code = "NOPE".into()),
            "INVALID_ARGUMENT",
            "plan.tier_code",
        ),
        (
            bad_plan(&|p| p.monthly_coupon_pack_id = "x".into()),
            "INVALID_ARGUMENT",
            "plan.monthly_coupon_pack_id",
        ),
        (
            bad_plan(&|p| p.monthly_coupon_pack_id = id()),
            "INVALID_ARGUMENT",
            "plan.monthly_coupon_pack_id",
        ),
        (
            bad_plan(&|p| p.points_multiplier_bps = 9_999),
            "INVALID_ARGUMENT",
            "plan.points_multiplier_bps",
        ),
        (
            bad_plan(&|p| p.display_benefits = vec!["长".repeat(51)]),
            "INVALID_ARGUMENT",
            "plan.display_benefits[0]",
        ),
    ];
    for (req, why, f) in cases {
        let s = refused(
            c.clone().create_paid_plan(with(req, &t.admin)).await,
            Code::InvalidArgument,
            why,
        );
        assert_eq!(field(&s), f);
    }
    refused(
        c.clone()
            .create_paid_plan(with(bad_plan(&|_| {}), &token))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );

    // UpdatePaidPlan.
    let update = |plan_id: &str, paths: &[&str]| pb::UpdatePaidPlanRequest {
        plan: Some(pb::PaidPlan {
            plan_id: plan_id.into(),
            name: "新名".into(),
            price: cny(0),
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    };
    for (req, code, why, f) in [
        (
            update(&p.plan_id, &[]),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "update_mask",
        ),
        (
            update(&p.plan_id, &["period"]),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "update_mask",
        ),
        (
            update(&p.plan_id, &["colour"]),
            Code::InvalidArgument,
            "UNKNOWN_FIELD_PATH",
            "update_mask",
        ),
        (
            update("x", &["name"]),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "plan.plan_id",
        ),
        (
            update(&p.plan_id, &["price"]),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "plan.price.minor_units",
        ),
        (
            update(&id(), &["name"]),
            Code::NotFound,
            "PAID_PLAN_NOT_FOUND",
            "",
        ),
    ] {
        let s = refused(
            c.clone().update_paid_plan(with(req, &t.admin)).await,
            code,
            why,
        );
        assert_eq!(field(&s), f);
    }

    // GetPaidPlan.
    for (plan_id, code, why) in [
        ("", Code::InvalidArgument, "INVALID_ARGUMENT"),
        ("x", Code::InvalidArgument, "INVALID_ARGUMENT"),
        (id().as_str(), Code::NotFound, "PAID_PLAN_NOT_FOUND"),
    ] {
        refused(
            c.clone()
                .get_paid_plan(with(
                    pb::GetPaidPlanRequest {
                        plan_id: plan_id.into(),
                    },
                    &token,
                ))
                .await,
            code,
            why,
        );
    }
    // ListPaidPlans takes no input to refuse; a partner needs the members.read scope.
    let bare_partner = h.token_for(t.id, siyu_core::PrincipalKind::Partner, "p", &[], &[]);
    refused(
        c.clone()
            .list_paid_plans(with(pb::ListPaidPlansRequest::default(), &bare_partner))
            .await,
        Code::PermissionDenied,
        "SCOPE_MISSING",
    );

    // ActivatePaidMembership.
    let ok = || activation(&member, &p.plan_id, &id(), 1_000, now);
    let act = |f: &dyn Fn(&mut pb::ActivatePaidMembershipRequest)| {
        let mut r = ok();
        f(&mut r);
        r
    };
    for (req, code, why, f) in [
        (
            act(&|r| r.member_id = "x".into()),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "member_id",
        ),
        (
            act(&|r| r.plan_id.clear()),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "plan_id",
        ),
        (
            act(&|r| r.order_id = "o-1".into()),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "order_id",
        ),
        (
            act(&|r| r.amount_paid = None),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "amount_paid",
        ),
        (
            act(&|r| r.amount_paid = cny(-1)),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "amount_paid.minor_units",
        ),
        (
            act(&|r| r.paid_at = None),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "paid_at",
        ),
        (
            act(&|r| r.member_id = id()),
            Code::NotFound,
            "MEMBER_NOT_FOUND",
            "",
        ),
        (
            act(&|r| r.plan_id = id()),
            Code::NotFound,
            "PAID_PLAN_NOT_FOUND",
            "",
        ),
        (
            act(&|r| r.amount_paid = cny(1_001)),
            Code::FailedPrecondition,
            "PAID_PLAN_PRICE_MISMATCH",
            "",
        ),
    ] {
        let s = refused(
            c.clone()
                .activate_paid_membership(with(req, &t.service))
                .await,
            code,
            why,
        );
        assert_eq!(field(&s), f);
    }
    // Only orders activates; the same order for another member is a conflict.
    for token in [&t.admin, &token] {
        refused(
            c.clone().activate_paid_membership(with(ok(), token)).await,
            Code::PermissionDenied,
            "PERMISSION_DENIED",
        );
    }
    let order = id();
    activate(&h, &t, act(&|r| r.order_id.clone_from(&order))).await;
    let (other, _) = t.member(&h).await;
    refused(
        c.clone()
            .activate_paid_membership(with(
                act(&|r| {
                    r.order_id.clone_from(&order);
                    r.member_id.clone_from(&other);
                }),
                &t.service,
            ))
            .await,
        Code::AlreadyExists,
        "PAID_ORDER_CONFLICT",
    );

    // RevokePaidMembership.
    for (req, code, why, f) in [
        (
            revocation("x", &id()),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "order_id",
        ),
        (
            revocation(&order, ""),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "refund_id",
        ),
        (
            pb::RevokePaidMembershipRequest {
                reason: "长".repeat(201),
                ..revocation(&order, &id())
            },
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "reason",
        ),
        (
            revocation(&id(), &id()),
            Code::NotFound,
            "PAID_PERIOD_NOT_FOUND",
            "",
        ),
    ] {
        let s = refused(
            c.clone().revoke_paid_membership(with(req, &t.admin)).await,
            code,
            why,
        );
        assert_eq!(field(&s), f);
    }
    let hq = t.staff(&h, "hq_operator", &t.root.to_string());
    refused(
        c.clone()
            .revoke_paid_membership(with(revocation(&order, &id()), &hq))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );

    // GetPaidMembership.
    for (member_id, tok, code, why) in [
        ("x", &t.admin, Code::InvalidArgument, "INVALID_ARGUMENT"),
        ("", &t.admin, Code::InvalidArgument, "INVALID_ARGUMENT"),
        (id().as_str(), &t.admin, Code::NotFound, "MEMBER_NOT_FOUND"),
        (other.as_str(), &token, Code::NotFound, "MEMBER_NOT_FOUND"),
        (
            member.as_str(),
            &t.partner,
            Code::PermissionDenied,
            "PERMISSION_DENIED",
        ),
    ] {
        refused(
            c.clone()
                .get_paid_membership(with(
                    pb::GetPaidMembershipRequest {
                        member_id: member_id.into(),
                    },
                    tok,
                ))
                .await,
            code,
            why,
        );
    }

    // SetPaidAutoRenew.
    for (member_id, tok, code, why) in [
        ("x", &t.admin, Code::InvalidArgument, "INVALID_ARGUMENT"),
        (id().as_str(), &t.admin, Code::NotFound, "MEMBER_NOT_FOUND"),
        (
            other.as_str(),
            &t.admin,
            Code::NotFound,
            "PAID_MEMBERSHIP_NOT_FOUND",
        ),
        (
            member.as_str(),
            &t.service,
            Code::PermissionDenied,
            "PERMISSION_DENIED",
        ),
        (
            member.as_str(),
            &hq,
            Code::PermissionDenied,
            "PERMISSION_DENIED",
        ),
    ] {
        refused(
            c.clone()
                .set_paid_auto_renew(with(
                    pb::SetPaidAutoRenewRequest {
                        member_id: member_id.into(),
                        auto_renew: false,
                    },
                    tok,
                ))
                .await,
            code,
            why,
        );
    }

    // GetPaidRenewalReport.
    let report =
        |start: i64, end: i64, window: i32, plan_id: &str| pb::GetPaidRenewalReportRequest {
            start_time: Some(timestamp_ms(start)),
            end_time: Some(timestamp_ms(end)),
            renewal_window_days: window,
            plan_id: plan_id.into(),
            page: None,
        };
    for (req, f) in [
        (
            pb::GetPaidRenewalReportRequest {
                start_time: None,
                ..report(now, now + DAY_MS, 30, "")
            },
            "start_time",
        ),
        (report(now, now, 30, ""), "end_time"),
        (report(now, now + 367 * DAY_MS, 30, ""), "end_time"),
        (report(now, now + DAY_MS, 91, ""), "renewal_window_days"),
        (report(now, now + DAY_MS, -1, ""), "renewal_window_days"),
        (report(now, now + DAY_MS, 30, "x"), "plan_id"),
    ] {
        let s = refused(
            c.clone().get_paid_renewal_report(with(req, &t.admin)).await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(field(&s), f);
    }
    assert!(
        c.clone()
            .get_paid_renewal_report(with(report(now, now + 366 * DAY_MS, 90, ""), &t.admin))
            .await
            .is_ok(),
        "366 days is the longest window"
    );
    refused(
        c.clone()
            .get_paid_renewal_report(with(report(now, now + DAY_MS, 30, ""), &token))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
}

#[tokio::test]
async fn another_tenants_plans_members_and_orders_are_not_found() {
    let h = H::pg().await;
    let a = Tenant::new(&h).await;
    let b = Tenant::new(&h).await;
    let p = create(&h, &a, plan("月卡", pb::PaidPlanPeriod::Month, 1_000)).await;
    let (member, _) = a.member(&h).await;
    let order = id();
    activate(
        &h,
        &a,
        activation(&member, &p.plan_id, &order, 1_000, now_ms(&h)),
    )
    .await;
    let (b_member, _) = b.member(&h).await;
    let c = paid(&h);

    refused(
        c.clone()
            .get_paid_plan(with(
                pb::GetPaidPlanRequest {
                    plan_id: p.plan_id.clone(),
                },
                &b.admin,
            ))
            .await,
        Code::NotFound,
        "PAID_PLAN_NOT_FOUND",
    );
    refused(
        c.clone()
            .update_paid_plan(with(
                pb::UpdatePaidPlanRequest {
                    plan: Some(pb::PaidPlan {
                        plan_id: p.plan_id.clone(),
                        on_sale: false,
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["on_sale".into()],
                    }),
                },
                &b.admin,
            ))
            .await,
        Code::NotFound,
        "PAID_PLAN_NOT_FOUND",
    );
    assert!(
        c.clone()
            .list_paid_plans(with(
                pb::ListPaidPlansRequest {
                    include_off_sale: true
                },
                &b.admin
            ))
            .await
            .unwrap()
            .into_inner()
            .plans
            .is_empty()
    );
    // B's member with A's plan, A's member with B's token.
    refused(
        c.clone()
            .activate_paid_membership(with(
                activation(&b_member, &p.plan_id, &id(), 1_000, now_ms(&h)),
                &b.service,
            ))
            .await,
        Code::NotFound,
        "PAID_PLAN_NOT_FOUND",
    );
    let b_plan = create(&h, &b, plan("月卡", pb::PaidPlanPeriod::Month, 1_000)).await;
    refused(
        c.clone()
            .activate_paid_membership(with(
                activation(&member, &b_plan.plan_id, &id(), 1_000, now_ms(&h)),
                &b.service,
            ))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    refused(
        c.clone()
            .revoke_paid_membership(with(revocation(&order, &id()), &b.service))
            .await,
        Code::NotFound,
        "PAID_PERIOD_NOT_FOUND",
    );
    refused(
        c.clone()
            .get_paid_membership(with(
                pb::GetPaidMembershipRequest {
                    member_id: member.clone(),
                },
                &b.admin,
            ))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    refused(
        c.clone()
            .set_paid_auto_renew(with(
                pb::SetPaidAutoRenewRequest {
                    member_id: member.clone(),
                    auto_renew: false,
                },
                &b.admin,
            ))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    let r = c
        .clone()
        .get_paid_renewal_report(with(
            pb::GetPaidRenewalReportRequest {
                start_time: Some(timestamp_ms(now_ms(&h) - DAY_MS)),
                end_time: Some(timestamp_ms(now_ms(&h) + DAY_MS)),
                ..Default::default()
            },
            &b.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(r.rows.is_empty());
    assert_eq!(r.total.unwrap().active_member_count, 0);
    // A's membership is untouched.
    assert!(membership(&h, &a.admin, &member).await.active);
}

/// 16 activations of one order under one key add one period; 16 orders at once add 16 periods
/// laid end to end after it, none overlapping.
async fn racing_activations(h: H) {
    let t = Tenant::new(&h).await;
    let p = create(&h, &t, plan("月卡", pb::PaidPlanPeriod::Month, 1_000)).await;
    let (member, _) = t.member(&h).await;
    let now = now_ms(&h);
    let order = id();
    let key = id();
    let same = join_all((0..16).map(|_| {
        let mut c = paid(&h);
        let req = keyed(
            activation(&member, &p.plan_id, &order, 1_000, now),
            &t.service,
            &key,
        );
        async move { c.activate_paid_membership(req).await }
    }))
    .await;
    let ids: std::collections::HashSet<_> = same
        .into_iter()
        .map(|r| r.unwrap().into_inner().period.unwrap().period_id)
        .collect();
    assert_eq!(ids.len(), 1, "one period for one order");
    let m = membership(&h, &t.admin, &member).await;
    assert_eq!(m.periods_bought, 1);
    assert_eq!(ms(m.expires_at.as_ref()), plus_months(now, 1));

    let renewals = join_all((0..16).map(|_| {
        let mut c = paid(&h);
        let req = keyed(
            activation(&member, &p.plan_id, &id(), 1_000, now),
            &t.service,
            &id(),
        );
        async move { c.activate_paid_membership(req).await }
    }))
    .await;
    for r in renewals {
        assert!(r.unwrap().into_inner().period.unwrap().renewal);
    }
    let m = membership(&h, &t.admin, &member).await;
    assert_eq!(m.periods_bought, 17);
    let mut periods: Vec<_> = m
        .current_period
        .into_iter()
        .chain(m.upcoming_periods)
        .collect();
    assert_eq!(periods.len(), 17);
    periods.sort_by_key(|p| ms(p.starts_at.as_ref()));
    let mut end = now;
    for p in &periods {
        assert_eq!(
            ms(p.starts_at.as_ref()),
            end,
            "each starts where the last ended"
        );
        end = plus_months(end, 1);
        assert_eq!(ms(p.ends_at.as_ref()), end);
    }
    assert_eq!(ms(m.expires_at.as_ref()), end);
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_paid_periods WHERE tenant = $1",
            vec![sea_orm::Value::Uuid(Some(t.id.0))],
        )
        .await,
        17
    );
}

#[tokio::test]
async fn racing_activations_on_postgres() {
    racing_activations(H::pg().await).await;
}

#[tokio::test]
async fn racing_activations_on_sqlite() {
    racing_activations(H::sqlite().await).await;
}
