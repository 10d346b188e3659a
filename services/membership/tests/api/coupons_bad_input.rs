//! Malformed or hostile CouponService requests, one or more per RPC: the exact code, reason and
//! field; and callers the contract does not admit refused before any handler runs.

use siyu_core::PrincipalKind;
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::bad_input::{BAD, Case, INVALID, check, mask, ok};
use crate::coupons::{
    amount_off, claim, coupons, current_validity, ended_validity, order, published, usd,
};
use crate::harness::{H, Tenant, cny, id, reason, with};

const FAILED: Code = Code::FailedPrecondition;
const MISSING: Code = Code::NotFound;

#[tokio::test]
async fn coupon_rpcs_refuse_malformed_input() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let tpl = published(&h, &t, amount_off(0, 0)).await;
    let (m, consumer) = t.member(&h).await;
    let cp = claim(&h, &consumer, &tpl).await.unwrap();
    let mut c = coupons(&h);
    let (admin, svc) = (t.admin.clone(), t.service.clone());
    let create = |f: fn(&mut pb::CouponTemplate)| {
        let mut tpl = amount_off(0, 0);
        f(&mut tpl);
        pb::CreateCouponTemplateRequest {
            template: Some(tpl),
        }
    };
    let cases: Vec<Case> = vec![
        (
            "create: no template",
            ok(
                c.create_coupon_template(with(pb::CreateCouponTemplateRequest::default(), &admin))
                    .await,
            ),
            BAD,
            INVALID,
            "template",
        ),
        (
            "create: name over 64 characters",
            ok(
                c.create_coupon_template(with(create(|t| t.name = "券".repeat(65)), &admin))
                    .await,
            ),
            BAD,
            INVALID,
            "template.name",
        ),
        (
            "create: zero amount off",
            ok(c.create_coupon_template(with(
                create(|t| t.rule.as_mut().unwrap().amount_off = cny(0)),
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "template.rule.amount_off.minor_units",
        ),
        (
            "create: negative threshold",
            ok(c.create_coupon_template(with(
                create(|t| t.rule.as_mut().unwrap().threshold = cny(-1)),
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "template.rule.threshold.minor_units",
        ),
        (
            "create: dollars",
            ok(c.create_coupon_template(with(
                create(|t| t.rule.as_mut().unwrap().amount_off = usd(100)),
                &admin,
            ))
            .await),
            BAD,
            "CURRENCY_NOT_SUPPORTED",
            "template.rule.amount_off.currency_code",
        ),
        (
            "create: discount rate 100%",
            ok(c.create_coupon_template(with(
                create(|t| {
                    let r = t.rule.as_mut().unwrap();
                    r.kind = pb::CouponKind::PercentOff as i32;
                    r.percent_bps = 10_000;
                }),
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "template.rule.percent_bps",
        ),
        (
            "create: discount rate 0",
            ok(c.create_coupon_template(with(
                create(|t| t.rule.as_mut().unwrap().kind = pb::CouponKind::PercentOff as i32),
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "template.rule.percent_bps",
        ),
        (
            "create: exchange without a gift",
            ok(c.create_coupon_template(with(
                create(|t| t.rule.as_mut().unwrap().kind = pb::CouponKind::Exchange as i32),
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "template.rule.gift_quantity",
        ),
        (
            "create: no kind",
            ok(c.create_coupon_template(with(
                create(|t| t.rule.as_mut().unwrap().kind = 0),
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "template.rule.kind",
        ),
        (
            "create: validity ended",
            ok(
                c.create_coupon_template(with(create(|t| t.validity = ended_validity()), &admin))
                    .await,
            ),
            BAD,
            INVALID,
            "template.validity.valid_until",
        ),
        (
            "create: zero days",
            ok(c.create_coupon_template(with(
                create(|t| t.validity.as_mut().unwrap().valid_days = 0),
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "template.validity.valid_days",
        ),
        (
            "create: negative quota",
            ok(
                c.create_coupon_template(with(create(|t| t.total_quota = -1), &admin))
                    .await,
            ),
            BAD,
            INVALID,
            "template.total_quota",
        ),
        (
            "create: store funder without a store",
            ok(c.create_coupon_template(with(
                create(|t| t.funder = pb::CouponFunder::Store as i32),
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "template.funder_id",
        ),
        (
            "create: neither online nor in store",
            ok(c.create_coupon_template(with(
                create(|t| {
                    let s = t.rule.as_mut().unwrap().scope.as_mut().unwrap();
                    s.online = false;
                    s.in_store = false;
                }),
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "template.rule.scope",
        ),
        (
            "update: no mask",
            ok(c.update_coupon_template(with(
                pb::UpdateCouponTemplateRequest {
                    template: Some(pb::CouponTemplate {
                        template_id: tpl.clone(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "update_mask",
        ),
        (
            "update: unknown path",
            ok(c.update_coupon_template(with(
                pb::UpdateCouponTemplateRequest {
                    template: Some(pb::CouponTemplate {
                        template_id: tpl.clone(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["status"]),
                },
                &admin,
            ))
            .await),
            BAD,
            "UNKNOWN_FIELD_PATH",
            "update_mask",
        ),
        (
            "update: unknown template",
            ok(c.update_coupon_template(with(
                pb::UpdateCouponTemplateRequest {
                    template: Some(pb::CouponTemplate {
                        template_id: id(),
                        name: "x".into(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["name"]),
                },
                &admin,
            ))
            .await),
            MISSING,
            "COUPON_TEMPLATE_NOT_FOUND",
            "",
        ),
        (
            "get template: not a uuid",
            ok(c.get_coupon_template(with(
                pb::GetCouponTemplateRequest {
                    template_id: "x".into(),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "template_id",
        ),
        (
            "list templates: unknown status",
            ok(c.list_coupon_templates(with(
                pb::ListCouponTemplatesRequest {
                    statuses: vec![9],
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "statuses[0]",
        ),
        (
            "publish: published again is fine, unknown is not",
            ok(c.publish_coupon_template(with(
                pb::PublishCouponTemplateRequest { template_id: id() },
                &admin,
            ))
            .await),
            MISSING,
            "COUPON_TEMPLATE_NOT_FOUND",
            "",
        ),
        (
            "stop: no id",
            ok(
                c.stop_coupon_template(with(pb::StopCouponTemplateRequest::default(), &admin))
                    .await,
            ),
            BAD,
            INVALID,
            "template_id",
        ),
        (
            "create pack: no items",
            ok(c.create_coupon_pack(with(
                pb::CreateCouponPackRequest {
                    pack: Some(pb::CouponPack {
                        name: "礼包".into(),
                        ..Default::default()
                    }),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "pack.items",
        ),
        (
            "create pack: unknown template",
            ok(c.create_coupon_pack(with(
                pb::CreateCouponPackRequest {
                    pack: Some(pb::CouponPack {
                        name: "礼包".into(),
                        items: vec![pb::CouponPackItem {
                            template_id: id(),
                            quantity: 1,
                        }],
                        ..Default::default()
                    }),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "pack.items[0].template_id",
        ),
        (
            "update pack: unknown pack",
            ok(c.update_coupon_pack(with(
                pb::UpdateCouponPackRequest {
                    pack: Some(pb::CouponPack {
                        pack_id: id(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["enabled"]),
                },
                &admin,
            ))
            .await),
            MISSING,
            "COUPON_PACK_NOT_FOUND",
            "",
        ),
        (
            "list packs: page too large",
            ok(c.list_coupon_packs(with(
                pb::ListCouponPacksRequest {
                    page: Some(siyu_proto::common::v1::PageRequest {
                        page_size: 10_000,
                        page_token: String::new(),
                    }),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "page.page_size",
        ),
        (
            "claim: unknown template",
            ok(c.claim_coupon(with(
                pb::ClaimCouponRequest {
                    template_id: id(),
                    attribution: None,
                },
                &consumer,
            ))
            .await),
            MISSING,
            "COUPON_TEMPLATE_NOT_FOUND",
            "",
        ),
        (
            "grant: no members",
            ok(c.grant_coupons(with(
                pb::GrantCouponsRequest {
                    template_id: tpl.clone(),
                    quantity_per_member: 1,
                    grant_key: "k".into(),
                    reason: "r".into(),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "member_ids",
        ),
        (
            "grant: zero per member",
            ok(c.grant_coupons(with(
                pb::GrantCouponsRequest {
                    template_id: tpl.clone(),
                    member_ids: vec![m.clone()],
                    grant_key: "k".into(),
                    reason: "r".into(),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "quantity_per_member",
        ),
        (
            "grant: template and pack",
            ok(c.grant_coupons(with(
                pb::GrantCouponsRequest {
                    template_id: tpl.clone(),
                    pack_id: id(),
                    quantity_per_member: 1,
                    member_ids: vec![m.clone()],
                    grant_key: "k".into(),
                    reason: "r".into(),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "template_id",
        ),
        (
            "grant: staff without a reason",
            ok(c.grant_coupons(with(
                pb::GrantCouponsRequest {
                    template_id: tpl.clone(),
                    quantity_per_member: 1,
                    member_ids: vec![m.clone()],
                    grant_key: "k".into(),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "reason",
        ),
        (
            "get grant: unknown",
            ok(
                c.get_coupon_grant(with(pb::GetCouponGrantRequest { grant_id: id() }, &admin))
                    .await,
            ),
            MISSING,
            "COUPON_GRANT_NOT_FOUND",
            "",
        ),
        (
            "list member coupons: unknown member",
            ok(c.list_member_coupons(with(
                pb::ListMemberCouponsRequest {
                    member_id: id(),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            MISSING,
            "MEMBER_NOT_FOUND",
            "",
        ),
        (
            "get coupon: unknown",
            ok(
                c.get_coupon(with(pb::GetCouponRequest { coupon_id: id() }, &admin))
                    .await,
            ),
            MISSING,
            "COUPON_NOT_FOUND",
            "",
        ),
        (
            "revoke: no reason",
            ok(c.revoke_coupon(with(
                pb::RevokeCouponRequest {
                    coupon_id: cp.coupon_id.clone(),
                    reason: String::new(),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "reason",
        ),
        (
            "usable: no context",
            ok(c.list_usable_coupons(with(
                pb::ListUsableCouponsRequest {
                    member_id: m.clone(),
                    context: None,
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "context",
        ),
        (
            "usable: unknown member",
            ok(c.list_usable_coupons(with(
                pb::ListUsableCouponsRequest {
                    member_id: id(),
                    context: Some(order(100)),
                },
                &svc,
            ))
            .await),
            MISSING,
            "MEMBER_NOT_FOUND",
            "",
        ),
        (
            "lock: eleven coupons",
            ok(c.lock_coupons(with(
                pb::LockCouponsRequest {
                    member_id: m.clone(),
                    coupon_ids: (0..11).map(|_| id()).collect(),
                    order_id: id(),
                    context: Some(order(100)),
                    revive: false,
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "coupon_ids",
        ),
        (
            "lock: a coupon twice",
            ok(c.lock_coupons(with(
                pb::LockCouponsRequest {
                    member_id: m.clone(),
                    coupon_ids: vec![cp.coupon_id.clone(), cp.coupon_id.clone()],
                    order_id: id(),
                    context: Some(order(20_000)),
                    revive: false,
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "coupon_ids",
        ),
        (
            "lock: zero quantity line",
            ok(c.lock_coupons(with(
                pb::LockCouponsRequest {
                    member_id: m.clone(),
                    coupon_ids: vec![cp.coupon_id.clone()],
                    order_id: id(),
                    context: Some(pb::OrderContext {
                        lines: vec![pb::OrderContextLine {
                            sku_id: "s".into(),
                            quantity: 0,
                            subtotal: cny(100),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                    revive: false,
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "context.lines[0].quantity",
        ),
        (
            "lock: unknown member",
            ok(c.lock_coupons(with(
                pb::LockCouponsRequest {
                    member_id: id(),
                    coupon_ids: vec![cp.coupon_id.clone()],
                    order_id: id(),
                    context: Some(order(20_000)),
                    revive: false,
                },
                &svc,
            ))
            .await),
            MISSING,
            "MEMBER_NOT_FOUND",
            "",
        ),
        (
            "use: no order",
            ok(c.use_coupons(with(pb::UseCouponsRequest::default(), &svc))
                .await),
            BAD,
            INVALID,
            "order_id",
        ),
        (
            "release: no order",
            ok(
                c.release_coupons(with(pb::ReleaseCouponsRequest::default(), &svc))
                    .await,
            ),
            BAD,
            INVALID,
            "order_id",
        ),
        (
            "restore: no refund",
            ok(c.restore_coupons(with(
                pb::RestoreCouponsRequest {
                    order_id: id(),
                    refund_id: String::new(),
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "refund_id",
        ),
        (
            "issue code: another's coupon",
            ok(c.issue_coupon_redemption_code(with(
                pb::IssueCouponRedemptionCodeRequest { coupon_id: id() },
                &consumer,
            ))
            .await),
            MISSING,
            "COUPON_NOT_FOUND",
            "",
        ),
        (
            "redeem: code and coupon id",
            ok(c.redeem_coupon_in_store(with(
                pb::RedeemCouponInStoreRequest {
                    code: "812345678901234567".into(),
                    coupon_id: cp.coupon_id.clone(),
                    store_id: id(),
                    ..Default::default()
                },
                &t.staff(&h, "store_manager", &t.root.to_string()),
            ))
            .await),
            BAD,
            INVALID,
            "code",
        ),
        (
            "redeem: unknown code",
            ok(c.redeem_coupon_in_store(with(
                pb::RedeemCouponInStoreRequest {
                    code: "812345678901234567".into(),
                    store_id: id(),
                    ..Default::default()
                },
                &t.staff(&h, "store_manager", &t.root.to_string()),
            ))
            .await),
            MISSING,
            "COUPON_NOT_FOUND",
            "",
        ),
        (
            "reverse: never redeemed",
            ok(c.reverse_in_store_redemption(with(
                pb::ReverseInStoreRedemptionRequest {
                    coupon_id: cp.coupon_id.clone(),
                    reason: "x".into(),
                },
                &t.staff(&h, "store_manager", &t.root.to_string()),
            ))
            .await),
            FAILED,
            "REDEMPTION_NOT_REVERSIBLE",
            "",
        ),
        (
            "stats: unknown template",
            ok(c.get_coupon_template_stats(with(
                pb::GetCouponTemplateStatsRequest { template_id: id() },
                &admin,
            ))
            .await),
            MISSING,
            "COUPON_TEMPLATE_NOT_FOUND",
            "",
        ),
    ];
    check(cases);
}

#[tokio::test]
async fn templates_out_of_their_time_or_state_are_refused() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let mut c = coupons(&h);
    // A window that ends in ten days; once past it the template grants nothing.
    let mut windowed = amount_off(0, 0);
    windowed.validity = current_validity(&h);
    let tpl = published(&h, &t, windowed).await;
    let (m, consumer) = t.member(&h).await;
    h.advance_days(11);
    let s = c
        .claim_coupon(with(
            pb::ClaimCouponRequest {
                template_id: tpl.clone(),
                attribution: None,
            },
            &consumer,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (s.code(), reason(&s).as_str()),
        (FAILED, "COUPON_NOT_CLAIMABLE")
    );
    let s = c
        .grant_coupons(with(
            pb::GrantCouponsRequest {
                template_id: tpl.clone(),
                quantity_per_member: 1,
                member_ids: vec![m.clone()],
                grant_key: "late".into(),
                reason: "r".into(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (s.code(), reason(&s).as_str()),
        (FAILED, "TEMPLATE_EXPIRED")
    );
    // A draft is neither claimable nor grantable nor stoppable.
    let draft = c
        .create_coupon_template(with(
            pb::CreateCouponTemplateRequest {
                template: Some(amount_off(0, 0)),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .template
        .unwrap();
    let s = c
        .grant_coupons(with(
            pb::GrantCouponsRequest {
                template_id: draft.template_id.clone(),
                quantity_per_member: 1,
                member_ids: vec![m],
                grant_key: "draft".into(),
                reason: "r".into(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (s.code(), reason(&s).as_str()),
        (FAILED, "TEMPLATE_NOT_PUBLISHED")
    );
    let s = c
        .stop_coupon_template(with(
            pb::StopCouponTemplateRequest {
                template_id: draft.template_id,
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (s.code(), reason(&s).as_str()),
        (FAILED, "TEMPLATE_NOT_PUBLISHED")
    );
}

#[tokio::test]
async fn coupon_callers_outside_the_contract_are_refused() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (_, consumer) = t.member(&h).await;
    let mut c = coupons(&h);
    // Consumers do not create templates nor lock coupons; staff do not claim.
    let s = c
        .create_coupon_template(with(
            pb::CreateCouponTemplateRequest {
                template: Some(amount_off(0, 0)),
            },
            &consumer,
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::PermissionDenied);
    let s = c
        .lock_coupons(with(pb::LockCouponsRequest::default(), &consumer))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::PermissionDenied);
    let s = c
        .claim_coupon(with(pb::ClaimCouponRequest::default(), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::PermissionDenied);
    let guide = h.token_for(t.id, PrincipalKind::Staff, &id(), &[], &[]);
    let s = c
        .revoke_coupon(with(pb::RevokeCouponRequest::default(), &guide))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::PermissionDenied);
    // GrantCouponsToSegment is served: an empty request is malformed, not unimplemented.
    let s = c
        .grant_coupons_to_segment(with(pb::GrantCouponsToSegmentRequest::default(), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::InvalidArgument);
}
