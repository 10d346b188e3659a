//! Coupons through CouponService: templates and their lifecycle, packs, claims (limits, quota,
//! points price), grants (skips, the grant key), reads, revocation, expiry, in-store redemption
//! and its reversal, statistics, and tenant isolation.

use prost_types::Timestamp;
use siyu_core::Clock as _;
use siyu_proto::common::v1::Money;
use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::coupon_service_client::CouponServiceClient;
use siyu_proto::time::timestamp;
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::bad_input::mask;
use crate::harness::{H, Tenant, cny, id, keyed, meta, refused, with};

pub fn coupons(h: &H) -> CouponServiceClient<Channel> {
    CouponServiceClient::new(h.channel.clone())
}

/// 满100减20, valid 30 days from claim, claimable, online and in store.
pub fn amount_off(quota: i32, limit: i32) -> pb::CouponTemplate {
    pb::CouponTemplate {
        name: "满100减20".into(),
        description: "全场通用".into(),
        rule: Some(pb::CouponRule {
            kind: pb::CouponKind::AmountOff as i32,
            threshold: cny(10_000),
            amount_off: cny(2_000),
            stacking: pb::CouponStacking::AcrossKinds as i32,
            scope: Some(pb::CouponScope {
                all_goods: true,
                online: true,
                in_store: true,
                ..Default::default()
            }),
            ..Default::default()
        }),
        validity: Some(pb::CouponValidity {
            kind: pb::CouponValidityKind::Relative as i32,
            valid_days: 30,
            ..Default::default()
        }),
        total_quota: quota,
        per_member_limit: limit,
        claimable: true,
        ..Default::default()
    }
}

/// Creates and publishes `tpl` as the tenant admin; answers the template id.
pub async fn published(h: &H, t: &Tenant, tpl: pb::CouponTemplate) -> String {
    let created = coupons(h)
        .create_coupon_template(with(
            pb::CreateCouponTemplateRequest {
                template: Some(tpl),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .template
        .unwrap();
    assert_eq!(created.status, pb::CouponTemplateStatus::Draft as i32);
    coupons(h)
        .publish_coupon_template(with(
            pb::PublishCouponTemplateRequest {
                template_id: created.template_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    created.template_id
}

/// A consumer's claim.
pub async fn claim(h: &H, consumer: &str, template: &str) -> Result<pb::Coupon, Status> {
    coupons(h)
        .claim_coupon(with(
            pb::ClaimCouponRequest {
                template_id: template.into(),
                attribution: None,
            },
            consumer,
        ))
        .await
        .map(|r| r.into_inner().coupon.unwrap())
}

/// An online order of one line with `subtotal` fen and 8 yuan shipping.
pub fn order(subtotal: i64) -> pb::OrderContext {
    pb::OrderContext {
        store_id: String::new(),
        channel: 1,
        lines: vec![pb::OrderContextLine {
            sku_id: "sku-1".into(),
            category_ids: vec!["cat-1".into()],
            quantity: 1,
            subtotal: cny(subtotal),
        }],
        shipping_fee: cny(800),
        in_store: false,
    }
}

pub async fn template(h: &H, token: &str, template: &str) -> pb::CouponTemplate {
    coupons(h)
        .get_coupon_template(with(
            pb::GetCouponTemplateRequest {
                template_id: template.into(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .template
        .unwrap()
}

pub async fn coupon(h: &H, token: &str, coupon: &str) -> pb::Coupon {
    coupons(h)
        .get_coupon(with(
            pb::GetCouponRequest {
                coupon_id: coupon.into(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .coupon
        .unwrap()
}

fn ts(secs: i64) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: secs,
        nanos: 0,
    })
}

#[tokio::test]
async fn a_template_is_edited_as_a_draft_then_only_in_what_stays_open() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let mut c = coupons(&h);
    let draft = c
        .create_coupon_template(with(
            pb::CreateCouponTemplateRequest {
                template: Some(amount_off(10, 1)),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .template
        .unwrap();
    // A draft changes in anything, the rule included.
    let mut rule = amount_off(10, 1).rule;
    rule.as_mut().unwrap().amount_off = cny(3_000);
    let updated = c
        .update_coupon_template(with(
            pb::UpdateCouponTemplateRequest {
                template: Some(pb::CouponTemplate {
                    template_id: draft.template_id.clone(),
                    rule,
                    ..Default::default()
                }),
                update_mask: mask(&["rule"]),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .template
        .unwrap();
    assert_eq!(updated.rule.unwrap().amount_off.unwrap().minor_units, 3_000);
    // Consumers do not see drafts.
    let (_, consumer) = t.member(&h).await;
    refused(
        c.get_coupon_template(with(
            pb::GetCouponTemplateRequest {
                template_id: draft.template_id.clone(),
            },
            &consumer,
        ))
        .await,
        Code::NotFound,
        "COUPON_TEMPLATE_NOT_FOUND",
    );
    c.publish_coupon_template(with(
        pb::PublishCouponTemplateRequest {
            template_id: draft.template_id.clone(),
        },
        &t.admin,
    ))
    .await
    .unwrap();
    // Publishing again answers the template; its rule is now locked, its name is not.
    let again = c
        .publish_coupon_template(with(
            pb::PublishCouponTemplateRequest {
                template_id: draft.template_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    assert_eq!(
        again.into_inner().template.unwrap().status,
        pb::CouponTemplateStatus::Published as i32
    );
    let patch = |tpl: pb::CouponTemplate, paths: &[&str]| pb::UpdateCouponTemplateRequest {
        template: Some(pb::CouponTemplate {
            template_id: draft.template_id.clone(),
            ..tpl
        }),
        update_mask: mask(paths),
    };
    let s = refused(
        c.update_coupon_template(with(patch(amount_off(10, 1), &["rule"]), &t.admin))
            .await,
        Code::FailedPrecondition,
        "TEMPLATE_FIELD_LOCKED",
    );
    assert_eq!(meta(&s, "field"), "rule");
    let renamed = pb::CouponTemplate {
        name: "满100减30".into(),
        total_quota: 20,
        ..Default::default()
    };
    let r = c
        .update_coupon_template(with(patch(renamed, &["name", "total_quota"]), &t.admin))
        .await
        .unwrap()
        .into_inner()
        .template
        .unwrap();
    assert_eq!((r.name.as_str(), r.total_quota), ("满100减30", 20));
    claim(&h, &consumer, &draft.template_id).await.unwrap();
    // The quota only rises once published, and never below what was issued.
    let lower = pb::CouponTemplate {
        total_quota: 15,
        ..Default::default()
    };
    refused(
        c.update_coupon_template(with(patch(lower, &["total_quota"]), &t.admin))
            .await,
        Code::FailedPrecondition,
        "TEMPLATE_FIELD_LOCKED",
    );
    // Staff list by status; the consumer's 领券中心 shows it with their claim state.
    let listed = c
        .list_coupon_templates(with(
            pb::ListCouponTemplatesRequest {
                statuses: vec![pb::CouponTemplateStatus::Published as i32],
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.items.len(), 1);
    let mine = c
        .list_coupon_templates(with(pb::ListCouponTemplatesRequest::default(), &consumer))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.items.len(), 1);
    assert!(mine.items[0].claimed_by_me);
    assert!(!mine.items[0].can_claim, "per-member limit 1 is reached");
    // Stopping ends claims; revoke_unused revokes what is unused.
    let stopped = c
        .stop_coupon_template(with(
            pb::StopCouponTemplateRequest {
                template_id: draft.template_id.clone(),
                revoke_unused: true,
                reason: "campaign over".into(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stopped.revoked_count, 1);
    let (_, other) = t.member(&h).await;
    let s = refused(
        claim(&h, &other, &draft.template_id).await,
        Code::FailedPrecondition,
        "COUPON_NOT_CLAIMABLE",
    );
    assert_eq!(meta(&s, "why"), "stopped");
}

#[tokio::test]
async fn claims_hold_the_member_limit_the_quota_and_the_points_price() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let tpl = published(&h, &t, amount_off(2, 1)).await;
    let (a, ca) = t.member(&h).await;
    let first = claim(&h, &ca, &tpl).await.unwrap();
    assert_eq!(first.member_id, a);
    assert_eq!(first.status, pb::CouponStatus::Available as i32);
    assert_eq!(first.source, pb::CouponSource::Claim as i32);
    let s = refused(
        claim(&h, &ca, &tpl).await,
        Code::FailedPrecondition,
        "COUPON_LIMIT_REACHED",
    );
    assert_eq!(meta(&s, "limit"), "1");
    let (_, cb) = t.member(&h).await;
    claim(&h, &cb, &tpl).await.unwrap();
    let (_, cc) = t.member(&h).await;
    refused(
        claim(&h, &cc, &tpl).await,
        Code::ResourceExhausted,
        "COUPON_QUOTA_EXHAUSTED",
    );
    assert_eq!(template(&h, &t.admin, &tpl).await.issued_count, 2);

    // 积分兑换券: the points go with the claim, or nothing is issued.
    let paid = published(
        &h,
        &t,
        pb::CouponTemplate {
            points_price: 500,
            ..amount_off(0, 0)
        },
    )
    .await;
    let (poor, cp) = t.member(&h).await;
    refused(
        claim(&h, &cp, &paid).await,
        Code::FailedPrecondition,
        "POINTS_INSUFFICIENT",
    );
    assert_eq!(template(&h, &t.admin, &paid).await.issued_count, 0);
    t.earn(&h, &poor, 800).await;
    claim(&h, &cp, &paid).await.unwrap();
    assert_eq!(t.balances(&h, &poor).await.points_available, 300);
    assert_eq!(template(&h, &t.admin, &paid).await.issued_count, 1);
    crate::harness::assert_invariants(&h).await;
}

#[tokio::test]
async fn grants_skip_members_they_cannot_serve_and_repeat_by_key() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let tpl = published(&h, &t, amount_off(5, 2)).await;
    let (a, _) = t.member(&h).await;
    let (b, _) = t.member(&h).await;
    let ghost = id();
    let grant = |members: Vec<String>, key: &str, quantity: i32| pb::GrantCouponsRequest {
        template_id: tpl.clone(),
        quantity_per_member: quantity,
        member_ids: members,
        grant_key: key.into(),
        reason: "compensation".into(),
        ..Default::default()
    };
    let mut c = coupons(&h);
    let first = c
        .grant_coupons(with(
            grant(vec![a.clone(), b.clone(), ghost.clone()], "batch-1", 2),
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.coupons.len(), 4);
    assert_eq!(first.skipped.len(), 1);
    assert_eq!(
        (
            first.skipped[0].member_id.as_str(),
            first.skipped[0].reason.as_str()
        ),
        (ghost.as_str(), "MEMBER_NOT_FOUND")
    );
    assert!(
        first.coupons.iter().all(
            |c| c.grant_id == first.grant_id && c.source == pb::CouponSource::StaffGrant as i32
        )
    );
    // The same key answers the first grant; another request under it is refused.
    let again = c
        .grant_coupons(with(
            grant(vec![a.clone(), b.clone(), ghost.clone()], "batch-1", 2),
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.grant_id, first.grant_id);
    assert_eq!(again.coupons.len(), 4);
    refused(
        c.grant_coupons(with(grant(vec![a.clone()], "batch-1", 1), &t.admin))
            .await,
        Code::AlreadyExists,
        "GRANT_KEY_CONFLICT",
    );
    // Over the limit a member is skipped; beyond the quota the whole grant fails.
    let (d, _) = t.member(&h).await;
    let skipped = c
        .grant_coupons(with(
            grant(vec![a.clone(), d.clone()], "batch-2", 1),
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(skipped.coupons.len(), 1);
    assert_eq!(skipped.skipped[0].reason, "COUPON_LIMIT_REACHED");
    let (e, _) = t.member(&h).await;
    let (f, _) = t.member(&h).await;
    refused(
        c.grant_coupons(with(grant(vec![e, f], "batch-3", 1), &t.admin))
            .await,
        Code::ResourceExhausted,
        "COUPON_QUOTA_EXHAUSTED",
    );
    assert_eq!(template(&h, &t.admin, &tpl).await.issued_count, 5);
    let progress = c
        .get_coupon_grant(with(
            pb::GetCouponGrantRequest {
                grant_id: first.grant_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .grant
        .unwrap();
    assert_eq!(
        (
            progress.status,
            progress.target_count,
            progress.issued_count,
            progress.skipped_count
        ),
        (pb::CouponGrantStatus::Completed as i32, 3, 4, 1)
    );
}

#[tokio::test]
async fn packs_grant_their_templates_together_and_one_pack_per_trigger() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let off = published(&h, &t, amount_off(0, 0)).await;
    let mut ship = amount_off(0, 0);
    ship.name = "免邮券".into();
    ship.rule = Some(pb::CouponRule {
        kind: pb::CouponKind::FreeShipping as i32,
        max_discount: cny(1_000),
        stacking: pb::CouponStacking::AcrossKinds as i32,
        scope: Some(pb::CouponScope {
            all_goods: true,
            online: true,
            ..Default::default()
        }),
        ..Default::default()
    });
    let ship = published(&h, &t, ship).await;
    let pack = |trigger: pb::CouponPackTrigger| pb::CouponPack {
        name: "生日礼包".into(),
        items: vec![
            pb::CouponPackItem {
                template_id: off.clone(),
                quantity: 2,
            },
            pb::CouponPackItem {
                template_id: ship.clone(),
                quantity: 1,
            },
        ],
        trigger: trigger as i32,
        enabled: true,
        ..Default::default()
    };
    let mut c = coupons(&h);
    let created = c
        .create_coupon_pack(with(
            pb::CreateCouponPackRequest {
                pack: Some(pack(pb::CouponPackTrigger::Birthday)),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .pack
        .unwrap();
    refused(
        c.create_coupon_pack(with(
            pb::CreateCouponPackRequest {
                pack: Some(pack(pb::CouponPackTrigger::Birthday)),
            },
            &t.admin,
        ))
        .await,
        Code::FailedPrecondition,
        "PACK_TRIGGER_TAKEN",
    );
    // Disabled, the trigger is free for another pack.
    c.update_coupon_pack(with(
        pb::UpdateCouponPackRequest {
            pack: Some(pb::CouponPack {
                pack_id: created.pack_id.clone(),
                enabled: false,
                ..Default::default()
            }),
            update_mask: mask(&["enabled"]),
        },
        &t.admin,
    ))
    .await
    .unwrap();
    c.create_coupon_pack(with(
        pb::CreateCouponPackRequest {
            pack: Some(pack(pb::CouponPackTrigger::Birthday)),
        },
        &t.admin,
    ))
    .await
    .unwrap();
    let listed = c
        .list_coupon_packs(with(pb::ListCouponPacksRequest::default(), &t.admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.packs.len(), 2);
    let (m, consumer) = t.member(&h).await;
    let granted = c
        .grant_coupons(with(
            pb::GrantCouponsRequest {
                pack_id: created.pack_id.clone(),
                member_ids: vec![m.clone()],
                grant_key: "pack-1".into(),
                reason: "welcome".into(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(granted.coupons.len(), 3);
    // Both kinds stack for one order (ACROSS_KINDS), each usable.
    let usable = c
        .list_usable_coupons(with(
            pb::ListUsableCouponsRequest {
                member_id: String::new(),
                context: Some(order(12_000)),
            },
            &consumer,
        ))
        .await
        .unwrap()
        .into_inner()
        .coupons;
    assert_eq!(usable.len(), 3);
    assert!(usable.iter().all(|u| u.usable));
    assert_eq!(
        usable[0].estimated_discount.as_ref().unwrap().minor_units,
        2_000
    );
}

#[tokio::test]
async fn usable_coupons_say_why_not_and_what_is_missing() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let tpl = published(&h, &t, amount_off(0, 0)).await;
    let (m, consumer) = t.member(&h).await;
    claim(&h, &consumer, &tpl).await.unwrap();
    let usable = coupons(&h)
        .list_usable_coupons(with(
            pb::ListUsableCouponsRequest {
                member_id: m,
                context: Some(order(8_000)),
            },
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .coupons;
    assert_eq!(usable.len(), 1);
    assert!(!usable[0].usable);
    assert_eq!(
        usable[0].reason,
        pb::CouponUnusableReason::ThresholdNotMet as i32
    );
    assert_eq!(usable[0].shortfall, cny(2_000));
    assert_eq!(usable[0].reason_text, "再买¥20.00可用");
}

#[tokio::test]
async fn a_members_coupons_are_listed_read_revoked_and_expire() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let mut short = amount_off(0, 0);
    short.validity = Some(pb::CouponValidity {
        kind: pb::CouponValidityKind::Relative as i32,
        valid_days: 1,
        ..Default::default()
    });
    let short = published(&h, &t, short).await;
    let long = published(&h, &t, amount_off(0, 0)).await;
    let (m, consumer) = t.member(&h).await;
    let soon = claim(&h, &consumer, &short).await.unwrap();
    let later = claim(&h, &consumer, &long).await.unwrap();
    let extra = claim(&h, &consumer, &long).await.unwrap();
    let mut c = coupons(&h);
    let list = |statuses: Vec<i32>, token: &str, member: &str| {
        with(
            pb::ListMemberCouponsRequest {
                member_id: member.into(),
                statuses,
                page: None,
            },
            token,
        )
    };
    let mine = c
        .list_member_coupons(list(vec![], &consumer, ""))
        .await
        .unwrap()
        .into_inner()
        .coupons;
    // Soonest expiry first.
    assert_eq!(mine.len(), 3);
    assert_eq!(mine[0].coupon_id, soon.coupon_id);
    // Another consumer never sees it; staff do.
    let (_, stranger) = t.member(&h).await;
    refused(
        c.get_coupon(with(
            pb::GetCouponRequest {
                coupon_id: later.coupon_id.clone(),
            },
            &stranger,
        ))
        .await,
        Code::NotFound,
        "COUPON_NOT_FOUND",
    );
    assert_eq!(coupon(&h, &t.admin, &later.coupon_id).await.member_id, m);
    let revoked = c
        .revoke_coupon(with(
            pb::RevokeCouponRequest {
                coupon_id: extra.coupon_id.clone(),
                reason: "mis-grant".into(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .coupon
        .unwrap();
    assert_eq!(revoked.status, pb::CouponStatus::Revoked as i32);
    // After two days the short one reads EXPIRED and cannot be locked.
    h.advance_days(2);
    let expired = c
        .list_member_coupons(list(vec![pb::CouponStatus::Expired as i32], &t.admin, &m))
        .await
        .unwrap()
        .into_inner()
        .coupons;
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].status, pb::CouponStatus::Expired as i32);
    let s = refused(
        c.lock_coupons(with(
            pb::LockCouponsRequest {
                member_id: m.clone(),
                coupon_ids: vec![soon.coupon_id.clone()],
                order_id: id(),
                context: Some(order(20_000)),
                revive: false,
            },
            &t.service,
        ))
        .await,
        Code::FailedPrecondition,
        "COUPON_EXPIRED",
    );
    assert_eq!(meta(&s, "coupon_id"), soon.coupon_id);
    let left = c
        .list_member_coupons(list(vec![], &consumer, ""))
        .await
        .unwrap()
        .into_inner()
        .coupons;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].coupon_id, later.coupon_id);
}

#[tokio::test]
async fn staff_redeem_in_store_by_dynamic_code_and_reverse_it() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let store = id();
    let tpl = published(&h, &t, amount_off(0, 0)).await;
    let (_, consumer) = t.member(&h).await;
    let coupon_row = claim(&h, &consumer, &tpl).await.unwrap();
    let mut c = coupons(&h);
    let issue = |token: &str| {
        keyed(
            pb::IssueCouponRedemptionCodeRequest {
                coupon_id: coupon_row.coupon_id.clone(),
            },
            token,
            &id(),
        )
    };
    let code = c
        .issue_coupon_redemption_code(issue(&consumer))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code.code.len(), 18);
    let manager = t.staff(&h, "store_manager", &format!("{}/{store}", t.root));
    let redeem = |code: &str, store: &str, receipt: &str| pb::RedeemCouponInStoreRequest {
        code: code.into(),
        store_id: store.into(),
        pos_receipt_no: receipt.into(),
        context: Some(pb::OrderContext {
            in_store: true,
            ..order(15_000)
        }),
        ..Default::default()
    };
    // Another store's manager may not redeem here.
    refused(
        c.redeem_coupon_in_store(with(redeem(&code.code, &id(), "R1"), &manager))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
    let done = c
        .redeem_coupon_in_store(with(redeem(&code.code, &store, "R1"), &manager))
        .await
        .unwrap()
        .into_inner();
    let used = done.coupon.unwrap();
    assert_eq!(used.status, pb::CouponStatus::Used as i32);
    assert_eq!(used.redeemed_store_id, store);
    assert_eq!(done.discount, cny(2_000));
    // The same receipt again is the same redemption; another receipt is refused.
    let again = c
        .redeem_coupon_in_store(with(redeem(&code.code, &store, "R1"), &manager))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.discount, cny(2_000));
    refused(
        c.redeem_coupon_in_store(with(redeem(&code.code, &store, "R2"), &manager))
            .await,
        Code::FailedPrecondition,
        "COUPON_UNAVAILABLE",
    );
    let stats = c
        .get_coupon_template_stats(with(
            pb::GetCouponTemplateStatsRequest {
                template_id: tpl.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            stats.issued_count,
            stats.used_count,
            stats.used_in_store_count,
            stats.remaining_quota,
            stats.usage_rate_bps,
            stats.using_member_count
        ),
        (1, 1, 1, -1, 10_000, 1)
    );
    assert_eq!(stats.discount_total, cny(2_000));
    let back = c
        .reverse_in_store_redemption(with(
            pb::ReverseInStoreRedemptionRequest {
                coupon_id: coupon_row.coupon_id.clone(),
                reason: "cashier mistake".into(),
            },
            &manager,
        ))
        .await
        .unwrap()
        .into_inner()
        .coupon
        .unwrap();
    assert_eq!(back.status, pb::CouponStatus::Available as i32);
    refused(
        c.reverse_in_store_redemption(with(
            pb::ReverseInStoreRedemptionRequest {
                coupon_id: coupon_row.coupon_id.clone(),
                reason: "again".into(),
            },
            &manager,
        ))
        .await,
        Code::FailedPrecondition,
        "REDEMPTION_NOT_REVERSIBLE",
    );
    // A code is good for a minute.
    let late = c
        .issue_coupon_redemption_code(issue(&consumer))
        .await
        .unwrap()
        .into_inner();
    h.clock.advance(chrono::Duration::seconds(61));
    refused(
        c.redeem_coupon_in_store(with(redeem(&late.code, &store, "R3"), &manager))
            .await,
        Code::FailedPrecondition,
        "REDEMPTION_CODE_EXPIRED",
    );
}

#[tokio::test]
async fn another_tenants_templates_coupons_and_grants_are_not_found() {
    let h = H::pg().await;
    let a = Tenant::new(&h).await;
    let b = Tenant::new(&h).await;
    let tpl = published(&h, &a, amount_off(0, 0)).await;
    let (_, consumer_a) = a.member(&h).await;
    let coupon_a = claim(&h, &consumer_a, &tpl).await.unwrap();
    let (member_b, consumer_b) = b.member(&h).await;
    let mut c = coupons(&h);
    refused(
        claim(&h, &consumer_b, &tpl).await,
        Code::NotFound,
        "COUPON_TEMPLATE_NOT_FOUND",
    );
    refused(
        c.get_coupon_template(with(
            pb::GetCouponTemplateRequest {
                template_id: tpl.clone(),
            },
            &b.admin,
        ))
        .await,
        Code::NotFound,
        "COUPON_TEMPLATE_NOT_FOUND",
    );
    refused(
        c.get_coupon(with(
            pb::GetCouponRequest {
                coupon_id: coupon_a.coupon_id.clone(),
            },
            &b.admin,
        ))
        .await,
        Code::NotFound,
        "COUPON_NOT_FOUND",
    );
    refused(
        c.revoke_coupon(with(
            pb::RevokeCouponRequest {
                coupon_id: coupon_a.coupon_id.clone(),
                reason: "x".into(),
            },
            &b.admin,
        ))
        .await,
        Code::NotFound,
        "COUPON_NOT_FOUND",
    );
    refused(
        c.grant_coupons(with(
            pb::GrantCouponsRequest {
                template_id: tpl.clone(),
                quantity_per_member: 1,
                member_ids: vec![member_b.clone()],
                grant_key: "k".into(),
                reason: "x".into(),
                ..Default::default()
            },
            &b.admin,
        ))
        .await,
        Code::NotFound,
        "COUPON_TEMPLATE_NOT_FOUND",
    );
    // B's coupon of its own template cannot be locked with A's coupon id.
    let s = refused(
        c.lock_coupons(with(
            pb::LockCouponsRequest {
                member_id: member_b,
                coupon_ids: vec![coupon_a.coupon_id.clone()],
                order_id: id(),
                context: Some(order(20_000)),
                revive: false,
            },
            &b.service,
        ))
        .await,
        Code::FailedPrecondition,
        "COUPON_UNAVAILABLE",
    );
    assert_eq!(meta(&s, "coupon_id"), coupon_a.coupon_id);
    refused(
        c.get_coupon_template_stats(with(
            pb::GetCouponTemplateStatsRequest { template_id: tpl },
            &b.admin,
        ))
        .await,
        Code::NotFound,
        "COUPON_TEMPLATE_NOT_FOUND",
    );
    let listed = c
        .list_coupon_templates(with(pb::ListCouponTemplatesRequest::default(), &b.admin))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.items.is_empty());
}

/// An absolute window in the past: a template that can no longer be created.
pub fn ended_validity() -> Option<pb::CouponValidity> {
    Some(pb::CouponValidity {
        kind: pb::CouponValidityKind::Absolute as i32,
        valid_from: ts(1_600_000_000),
        valid_until: ts(1_700_000_000),
        ..Default::default()
    })
}

/// An absolute window around the test clock's now.
pub fn current_validity(h: &H) -> Option<pb::CouponValidity> {
    let now = h.clock.now();
    Some(pb::CouponValidity {
        kind: pb::CouponValidityKind::Absolute as i32,
        valid_from: Some(timestamp(now - chrono::Duration::days(1))),
        valid_until: Some(timestamp(now + chrono::Duration::days(10))),
        ..Default::default()
    })
}

#[allow(dead_code, reason = "a money literal for the tables")]
pub fn usd(fen: i64) -> Option<Money> {
    Some(Money {
        minor_units: fen,
        currency_code: "USD".into(),
    })
}

#[tokio::test]
async fn a_new_member_gets_the_new_member_pack_once() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let tpl = published(&h, &t, amount_off(0, 0)).await;
    let mut c = coupons(&h);
    c.create_coupon_pack(with(
        pb::CreateCouponPackRequest {
            pack: Some(pb::CouponPack {
                name: "新人礼包".into(),
                items: vec![pb::CouponPackItem {
                    template_id: tpl.clone(),
                    quantity: 2,
                }],
                trigger: pb::CouponPackTrigger::NewMember as i32,
                enabled: true,
                ..Default::default()
            }),
        },
        &t.admin,
    ))
    .await
    .unwrap();
    let (_, consumer) = t.consumer(&h);
    for _ in 0..2 {
        h.members()
            .enroll_member(with(pb::EnrollMemberRequest::default(), &consumer))
            .await
            .unwrap();
    }
    let mine = c
        .list_member_coupons(with(pb::ListMemberCouponsRequest::default(), &consumer))
        .await
        .unwrap()
        .into_inner()
        .coupons;
    assert_eq!(mine.len(), 2);
    assert!(
        mine.iter()
            .all(|c| c.source == pb::CouponSource::Event as i32 && !c.grant_id.is_empty())
    );
    // A pack whose template ran out grants what it can and never fails the enrolment.
    c.stop_coupon_template(with(
        pb::StopCouponTemplateRequest {
            template_id: tpl,
            ..Default::default()
        },
        &t.admin,
    ))
    .await
    .unwrap();
    let (_, late) = t.member(&h).await;
    let theirs = c
        .list_member_coupons(with(pb::ListMemberCouponsRequest::default(), &late))
        .await
        .unwrap()
        .into_inner()
        .coupons;
    assert!(theirs.is_empty());
}

#[tokio::test]
async fn a_consumer_not_yet_a_member_browses_the_claim_centre() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let tpl = published(&h, &t, amount_off(0, 0)).await;
    let (_, visitor) = t.consumer(&h);
    let mut c = coupons(&h);
    let listed = c
        .list_coupon_templates(with(pb::ListCouponTemplatesRequest::default(), &visitor))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.items.len(), 1);
    assert!(!listed.items[0].claimed_by_me);
    let got = c
        .get_coupon_template(with(
            pb::GetCouponTemplateRequest {
                template_id: tpl.clone(),
            },
            &visitor,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.held_by_me, 0);
    // Claiming needs a member.
    refused(
        claim(&h, &visitor, &tpl).await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
}

#[tokio::test]
async fn a_retried_claim_returns_the_same_coupon() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let tpl = published(&h, &t, amount_off(0, 0)).await;
    let (_, consumer) = t.member(&h).await;
    let tap = id();
    let mut c = coupons(&h);
    let mut issued = Vec::new();
    for _ in 0..3 {
        let r = c
            .claim_coupon(keyed(
                pb::ClaimCouponRequest {
                    template_id: tpl.clone(),
                    attribution: None,
                },
                &consumer,
                &tap,
            ))
            .await
            .unwrap();
        issued.push(r.into_inner().coupon.unwrap().coupon_id);
    }
    assert!(issued.iter().all(|c| *c == issued[0]));
    assert_eq!(template(&h, &t.admin, &tpl).await.issued_count, 1);
    // A new tap is a new claim.
    claim(&h, &consumer, &tpl).await.unwrap();
    assert_eq!(template(&h, &t.admin, &tpl).await.issued_count, 2);
}
