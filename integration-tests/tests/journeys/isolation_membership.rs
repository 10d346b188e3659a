//! Tenancy through every membership route that names a resource, driven by the gateway's
//! route table: tenant A owns one of everything (member, coupon, template, pack, grant, tag,
//! segment, snapshot, tier, rule, plans, orders, withdrawal, guide, invite code); tenant B's
//! consumer, staff (holding every role, so no route refuses them for their role) and partner
//! (holding both member scopes) name A's ids on every route and get the not-found answer of
//! the id's kind. A new route with a parameter fails here until its parameter has an id.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};
use siyu_gateway::routes::{Access, rest_routes};
use siyu_proto::common::v1::Money;
use siyu_proto::identity::v1 as idpb;
use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;

use crate::isolation_table::{params, send};
use crate::member_fixtures::{Enrolled, balances, cny, enrol, published_template, tier_ladder};
use crate::order_events::paid_and_settled;
use crate::support::{Tenant, World, json_ok};

/// Every role, so the gateway and the service admit tenant B's staff to every staff route.
const ALL_ROLES: [idpb::StaffRole; 6] = [
    idpb::StaffRole::TenantAdmin,
    idpb::StaffRole::HqOperator,
    idpb::StaffRole::StoreManager,
    idpb::StaffRole::Guide,
    idpb::StaffRole::Auditor,
    idpb::StaffRole::CustomerService,
];

/// What tenant A owns, by the route parameter that names it.
struct OfA {
    ids: BTreeMap<&'static str, String>,
    /// `order_id` and `plan_id` name different things on different routes.
    hold_order: String,
    top_up_order: String,
    paid_order: String,
    top_up_plan: String,
    paid_plan: String,
    alice: Enrolled,
    withdrawal: String,
}

impl OfA {
    /// Tenant A's id for `param` of `path`.
    fn id(&self, path: &str, param: &str) -> String {
        let by_path = match param {
            "order_id" if path.contains("/holds") => Some(&self.hold_order),
            "order_id" if path.contains("/top-ups/") => Some(&self.top_up_order),
            "order_id" if path.contains("/paid-orders/") => Some(&self.paid_order),
            "plan_id" | "plan.plan_id" if path.contains("/top-up-plans/") => {
                Some(&self.top_up_plan)
            }
            "plan_id" | "plan.plan_id" if path.contains("/paid-plans/") => Some(&self.paid_plan),
            _ => None,
        };
        by_path
            .or_else(|| self.ids.get(param))
            .unwrap_or_else(|| panic!("no id of tenant A for {{{param}}} in {path}"))
            .clone()
    }
}

/// The not-found reason tenant B gets for `param` of `path`, or `None` where the id is another
/// service's (identity's staff, orders' orders): membership cannot tell whether it exists and
/// answers with nothing of tenant A — an empty list, nothing reassigned.
fn not_found(path: &str, param: &str) -> Option<&'static str> {
    Some(match param {
        "member_id" | "member.member_id" | "from_member_id" | "user_id" | "card_number" => {
            "MEMBER_NOT_FOUND"
        }
        "template_id" | "template.template_id" => "COUPON_TEMPLATE_NOT_FOUND",
        "pack.pack_id" => "COUPON_PACK_NOT_FOUND",
        "grant_id" => "COUPON_GRANT_NOT_FOUND",
        "coupon_id" => "COUPON_NOT_FOUND",
        "segment_id" | "segment.segment_id" => "SEGMENT_NOT_FOUND",
        "snapshot_id" => "SNAPSHOT_NOT_FOUND",
        "tag_id" | "tag.tag_id" => "TAG_NOT_FOUND",
        "tier_code" | "tier.tier_code" => "TIER_NOT_FOUND",
        "rule.rule_id" => "EARNING_RULE_NOT_FOUND",
        "plan_id" | "plan.plan_id" if path.contains("/top-up-plans/") => "TOP_UP_PLAN_NOT_FOUND",
        "plan_id" | "plan.plan_id" => "PAID_PLAN_NOT_FOUND",
        "order_id" if path.contains("/holds") => return None,
        "order_id" if path.contains("/top-ups/") => "TOP_UP_NOT_FOUND",
        "order_id" => "PAID_PERIOD_NOT_FOUND",
        "invite_code" => "INVITE_CODE_NOT_FOUND",
        "withdrawal_id" => "WITHDRAWAL_NOT_FOUND",
        "sku_id" => "SKU_RATE_NOT_FOUND",
        "guide_id" | "from_guide_id" => return None,
        _ => "NOT_FOUND",
    })
}

/// Tenant B's own ids a body may need besides the one under test.
struct OfB {
    root: String,
    staff_id: String,
    member_id: String,
    template: String,
}

/// A body that passes validation, so the answer is about the id and not about the body.
fn body_for(method: &Method, path: &str, b: &OfB) -> Value {
    let key = format!("isolation:{path}");
    let last = path.rsplit('/').next().unwrap_or_default();
    match last {
        "earn" => json!({"points": "1000", "idempotencyKey": key}),
        "redeem" => json!({"points": "1", "idempotencyKey": key,
                           "purpose": "REDEEM_PURPOSE_POINTS_MALL"}),
        "adjustments" => json!({"points": "1000", "reason": "偷改", "idempotencyKey": key}),
        "growth-adjustments" => json!({"delta": "1000", "reason": "偷改", "idempotencyKey": key}),
        "points-transfers" => json!({"toMemberId": b.member_id, "points": "1",
                                     "idempotencyKey": key}),
        "reversals" => json!({"refundId": siyu_core::id::new_string(), "amount": cny(100)}),
        "revoke" if path.contains("/paid-orders/") => {
            json!({"refundId": siyu_core::id::new_string(), "reason": "偷改"})
        }
        "revoke" | "reject" | "redemption-reversal" => json!({"reason": "偷改"}),
        "complete" => json!({"succeeded": true, "payoutReference": "isolation"}),
        "distributor" => json!({"enabled": false, "reason": "偷改"}),
        "auto-renew" => json!({"autoRenew": false}),
        "coupon-grants" => json!({"templateId": b.template, "quantityPerMember": 1,
                                  "grantKey": key, "reason": "偷发"}),
        "guide-binding" if path.starts_with("/open/") => json!({
            "guideId": b.staff_id, "storeId": b.root, "source": "GUIDE_BINDING_SOURCE_PARTNER"
        }),
        "guide-binding" => json!({
            "guideId": b.staff_id, "storeId": b.root, "source": "GUIDE_BINDING_SOURCE_STAFF"
        }),
        "reassignments" => json!({
            "toGuides": [{"guideId": b.staff_id, "storeId": b.root}],
            "reason": "GUIDE_UNBIND_REASON_GUIDE_TRANSFERRED"
        }),
        _ if *method == Method::PATCH => patch_body(path),
        _ => json!({}),
    }
}

/// The body of an update: a masked rename (or a remark, for members).
fn patch_body(path: &str) -> Value {
    let resource = [
        ("/coupon-templates/", "template", "name"),
        ("/coupon-packs/", "pack", "name"),
        ("/earning-rules/", "rule", "name"),
        ("/top-up-plans/", "plan", "name"),
        ("/paid-plans/", "plan", "name"),
        ("/tags/", "tag", "name"),
        ("/segments/", "segment", "name"),
        ("/tiers/", "tier", "name"),
        ("/members/", "member", "remark"),
    ]
    .into_iter()
    .find(|(part, _, _)| path.contains(part));
    match resource {
        Some((_, message, field)) => json!({message: {field: "偷改"}, "updateMask": field}),
        None => json!({}),
    }
}

fn yuan(fen: i64) -> Option<Money> {
    Some(Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

fn as_service<T>(message: T, token: &str) -> tonic::Request<T> {
    siyu_platform::seed::authed(message, token, Some(&siyu_core::id::new_string()))
}

/// One of everything membership keeps, in tenant A.
async fn tenant_a(world: &World, a: &Tenant) -> OfA {
    let staff = world.staff_login(a).await;
    // Card numbers run per tenant: A's first number is also B's (Bob's). Alice holds A's
    // second, which B, with one member, has not issued.
    enrol(world, a, "o_first").await;
    let alice = enrol(world, a, "o_alice").await;
    let adjust = json!({"points": "500", "reason": "开卡礼", "idempotencyKey": "welcome"});
    let path = format!("/admin/v1/members/{}/adjustments", alice.member_id);
    json_ok(world.post_json(&path, &staff, &adjust).await).await;
    let post = |path: &'static str, body: Value| {
        let staff = staff.clone();
        async move { json_ok(world.post_json(path, &staff, &body).await).await }
    };

    tier_ladder(world, &staff).await;
    let template = published_template(world, &staff, 100, 5).await;
    let claimed = json_ok(
        world
            .post_json(
                "/api/v1/me/coupons",
                &alice.token,
                &json!({"templateId": template}),
            )
            .await,
    )
    .await;
    let coupon = claimed["coupon"]["couponId"].as_str().unwrap().to_owned();
    let pack = post(
        "/admin/v1/coupon-packs",
        json!({"pack": {"name": "礼包", "items": [{"templateId": template, "quantity": 1}]}}),
    )
    .await;
    let grant = post(
        "/admin/v1/coupon-grants",
        json!({"templateId": template, "quantityPerMember": 1,
               "memberIds": [alice.member_id], "grantKey": "a-grant", "reason": "关怀"}),
    )
    .await;
    let tag = post(
        "/admin/v1/tags",
        json!({"tag": {"name": "高价值", "group": "价值"}}),
    )
    .await;
    let tag = tag["tag"]["tagId"].as_str().unwrap().to_owned();
    post(
        "/admin/v1/member-tags",
        json!({"memberIds": [alice.member_id], "tagIds": [tag]}),
    )
    .await;
    let segment = post(
        "/admin/v1/segments",
        json!({"segment": {"name": "高价值", "expression": {"tag": {"tagIds": [tag]}}}}),
    )
    .await;
    let segment = segment["segment"]["segmentId"].as_str().unwrap().to_owned();
    let snapshot = json_ok(
        world
            .post_json(
                &format!("/admin/v1/segments/{segment}/snapshots"),
                &staff,
                &json!({}),
            )
            .await,
    )
    .await;
    let rule = post(
        "/admin/v1/earning-rules",
        json!({"rule": {"name": "完善资料", "trigger": "EARNING_TRIGGER_PHONE_BOUND",
                        "enabled": true, "fixedPoints": "50"}}),
    )
    .await;
    let on = json!({"policy": {"storedValueEnabled": true}, "updateMask": "storedValueEnabled"});
    json_ok(
        world
            .patch_json("/admin/v1/ledger-policy", &staff, &on)
            .await,
    )
    .await;
    let top_up_plan = post(
        "/admin/v1/top-up-plans",
        json!({"plan": {"name": "充100送10", "payAmount": cny(10_000), "bonusAmount": cny(1_000),
                        "onSale": true}}),
    )
    .await;
    let top_up_plan = top_up_plan["plan"]["planId"].as_str().unwrap().to_owned();
    let paid_plan = post(
        "/admin/v1/paid-plans",
        json!({"plan": {"name": "月卡", "period": "PAID_PLAN_PERIOD_MONTH",
                        "price": cny(1_900), "onSale": true}}),
    )
    .await;
    let paid_plan = paid_plan["plan"]["planId"].as_str().unwrap().to_owned();
    let sku = siyu_core::id::new_string();
    post(
        "/admin/v1/sku-commission-rates",
        json!({"rate": {"skuId": sku, "level1RateBps": 2000}}),
    )
    .await;

    // What only services start: a top-up, a paid-membership order, a points hold.
    let service = world.service_token(a).await;
    let channel = world.membership_channel();
    let mut ledger = pb::ledger_service_client::LedgerServiceClient::new(channel.clone());
    let top_up_order = siyu_core::id::new_string();
    ledger
        .top_up_stored_value(as_service(
            pb::TopUpStoredValueRequest {
                member_id: alice.member_id.clone(),
                order_id: top_up_order.clone(),
                plan_id: top_up_plan.clone(),
                amount_paid: yuan(10_000),
                paid_at: Some(timestamp_ms(now_ms())),
            },
            &service,
        ))
        .await
        .unwrap();
    let hold_order = siyu_core::id::new_string();
    ledger
        .hold_points(as_service(
            pb::HoldPointsRequest {
                member_id: alice.member_id.clone(),
                order_id: hold_order.clone(),
                points: 100,
                revive: false,
            },
            &service,
        ))
        .await
        .unwrap();
    let paid_order = siyu_core::id::new_string();
    pb::paid_membership_service_client::PaidMembershipServiceClient::new(channel)
        .activate_paid_membership(as_service(
            pb::ActivatePaidMembershipRequest {
                member_id: alice.member_id.clone(),
                plan_id: paid_plan.clone(),
                order_id: paid_order.clone(),
                amount_paid: yuan(1_900),
                paid_at: Some(timestamp_ms(now_ms())),
                auto_renew: true,
            },
            &service,
        ))
        .await
        .unwrap();

    // A guide of A with Alice in their book.
    let (guide, _) = world
        .staff_with_roles(a, &staff, "guide-a", &[idpb::StaffRole::Guide])
        .await;
    let path = format!("/admin/v1/members/{}/guide-binding", alice.member_id);
    let bind = json!({"guideId": guide, "storeId": a.root, "source": "GUIDE_BINDING_SOURCE_STAFF"});
    json_ok(world.post_json(&path, &staff, &bind).await).await;

    // Alice invites a friend whose settled order pays her commission; she asks to withdraw.
    let policy = json!({"policy": {
        "enabled": true, "openToAllMembers": true, "level1RateBps": 1000,
        "minWithdrawal": cny(100), "autoApproveMax": cny(0)
    }, "updateMask": "enabled,openToAllMembers,level1RateBps,minWithdrawal,autoApproveMax"});
    json_ok(
        world
            .patch_json("/admin/v1/commission-policy", &staff, &policy)
            .await,
    )
    .await;
    let code = json_ok(
        world
            .get("/api/v1/me/invite-code", Some(&alice.token))
            .await,
    )
    .await;
    let code = code["inviteCode"].as_str().unwrap().to_owned();
    let friend =
        crate::member_fixtures::enrol_with(world, a, "o_friend", &json!({"inviteCode": code}))
            .await;
    paid_and_settled(world, a, &friend.member_id, 10_000).await;
    let withdraw = json!({"amount": cny(500)});
    let (w, token) = (world, alice.token.clone());
    siyu_testkit::wait_until(std::time::Duration::from_secs(20), || {
        let token = token.clone();
        let withdraw = withdraw.clone();
        async move {
            w.post_json("/api/v1/me/withdrawals", &token, &withdraw)
                .await
                .status()
                == 200
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the commission never became available"));
    let listed = json_ok(
        world
            .get("/api/v1/me/withdrawals", Some(&alice.token))
            .await,
    )
    .await;
    let withdrawal = str_at(&listed, &["withdrawals", "0", "withdrawalId"]);

    let ids = BTreeMap::from([
        ("member_id", alice.member_id.clone()),
        ("member.member_id", alice.member_id.clone()),
        ("from_member_id", alice.member_id.clone()),
        ("user_id", alice.user_id.clone()),
        ("card_number", alice.card_number.clone()),
        ("template_id", template.clone()),
        ("template.template_id", template),
        ("pack.pack_id", str_at(&pack, &["pack", "packId"])),
        ("grant_id", str_at(&grant, &["grantId"])),
        ("coupon_id", coupon),
        ("segment_id", segment.clone()),
        ("segment.segment_id", segment),
        (
            "snapshot_id",
            str_at(&snapshot, &["snapshot", "snapshotId"]),
        ),
        ("tag_id", tag.clone()),
        ("tag.tag_id", tag),
        ("tier_code", "GOLD".to_owned()),
        ("tier.tier_code", "GOLD".to_owned()),
        ("rule.rule_id", str_at(&rule, &["rule", "ruleId"])),
        ("invite_code", code),
        ("withdrawal_id", withdrawal.clone()),
        ("sku_id", sku.clone()),
        ("guide_id", guide.clone()),
        ("from_guide_id", guide),
    ]);
    OfA {
        ids,
        hold_order,
        top_up_order,
        paid_order,
        top_up_plan,
        paid_plan,
        alice,
        withdrawal,
    }
}

fn str_at(body: &Value, keys: &[&str]) -> String {
    let found = keys.iter().fold(body, |v, k| match k.parse::<usize>() {
        Ok(i) => &v[i],
        Err(_) => &v[*k],
    });
    found
        .as_str()
        .unwrap_or_else(|| panic!("no {keys:?} in {body}"))
        .to_owned()
}

#[tokio::test]
async fn every_membership_route_naming_a_resource_is_not_found_for_another_tenant() {
    let world = World::start().await;
    let a = world.tenant("brand-a").await;
    let b = world.tenant("brand-b").await;
    let of_a = tenant_a(&world, &a).await;
    let staff_a = world.staff_login(&a).await;
    let admin_b = world.staff_login(&b).await;
    let (staff_id, staff_b) = world
        .staff_with_roles(&b, &admin_b, "everything-b", &ALL_ROLES)
        .await;
    let bob = enrol(&world, &b, "o_bob").await;
    let of_b = OfB {
        root: b.root.clone(),
        staff_id,
        member_id: bob.member_id.clone(),
        template: published_template(&world, &admin_b, 10, 1).await,
    };
    let partner_b = crate::membership_partner::partner_token(
        &world,
        &admin_b,
        &["members.read", "members.write"],
        "members.read members.write",
    )
    .await;
    let before = balances(&world, &staff_a, &of_a.alice.member_id).await;

    let mut checked = Vec::new();
    let mut wrong = Vec::new();
    for route in rest_routes()
        .into_iter()
        .filter(|r| r.rpc.starts_with("siyu.membership.v1."))
    {
        let names = params(route.path);
        let Some(&first) = names.first() else {
            continue;
        };
        let mut path = route.path.to_owned();
        for param in &names {
            path = path.replace(&format!("{{{param}}}"), &of_a.id(route.path, param));
        }
        let token = match route.access {
            Access::Consumer | Access::Optional | Access::Public => &bob.token,
            Access::Staff(_) => &staff_b,
            Access::Partner(_) => &partner_b,
        };
        let body = body_for(&route.method, route.path, &of_b);
        let response = send(&world, &route.method, &path, token, &body).await;
        let what = format!("{} {}", route.method, route.path);
        match not_found(route.path, first) {
            Some(expected) => {
                let status = response.status().as_u16();
                let answer: Value = response.json().await.unwrap();
                if (status, answer["reason"].as_str()) != (404, Some(expected)) {
                    wrong.push(format!(
                        "{what} answered {status} {answer} (expected 404 {expected})"
                    ));
                }
            }
            None => {
                let status = response.status();
                let answer = response.text().await.unwrap();
                let leaked = of_a.ids.values().find(|id| answer.contains(id.as_str()));
                if status != 200 || leaked.is_some() || answer.contains("Count\":") {
                    wrong.push(format!(
                        "{what} answered {status} {answer} (expected nothing of A)"
                    ));
                }
            }
        }
        checked.push(format!("{} {}", route.method, route.path));
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(checked.len() >= 60, "too few routes checked: {checked:?}");

    // Tenant A is untouched by all of that.
    let after = balances(&world, &staff_a, &of_a.alice.member_id).await;
    assert_eq!(after, before);
    let tiers = json_ok(world.get("/admin/v1/tiers", Some(&staff_a)).await).await;
    assert!(tiers.to_string().contains("金卡"), "{tiers}");
    let path = format!("/admin/v1/members/{}/paid-membership", of_a.alice.member_id);
    let paid = json_ok(world.get(&path, Some(&staff_a)).await).await;
    assert_eq!(paid["membership"]["active"], true, "{paid}");
    let queue = json_ok(world.get("/admin/v1/withdrawals", Some(&staff_a)).await).await;
    assert_eq!(
        queue["withdrawals"][0]["withdrawalId"],
        of_a.withdrawal.as_str()
    );
    assert_eq!(
        queue["withdrawals"][0]["status"], "WITHDRAWAL_STATUS_REQUESTED",
        "{queue}"
    );
    let rates = json_ok(
        world
            .get("/admin/v1/sku-commission-rates", Some(&staff_a))
            .await,
    )
    .await;
    assert!(rates.to_string().contains(&of_a.ids["sku_id"]), "{rates}");
    let path = format!("/admin/v1/members/{}", of_a.alice.member_id);
    let member = json_ok(world.get(&path, Some(&staff_a)).await).await;
    assert_eq!(member["member"]["remark"], Value::Null, "{member}");
    assert_eq!(count_of(&member["member"]["tagIds"]), 1, "{member}");
    world.stop().await;
}

fn count_of(list: &Value) -> usize {
    list.as_array().map_or(0, Vec::len)
}
