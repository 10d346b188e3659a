//! What membership journeys start from: enrolled members, money in the wire's shape, a tier
//! ladder and a published coupon template, all made through the gateway as a client would.

use serde_json::{Value, json};

use crate::support::{Tenant, World, json_ok};

/// A consumer enrolled as a member of a tenant.
#[derive(Debug, Clone)]
pub struct Enrolled {
    /// The consumer's access token.
    pub token: String,
    pub member_id: String,
    pub user_id: String,
    pub card_number: String,
}

/// `fen` yuan-cents as a `siyu.common.v1.Money` in JSON.
pub fn cny(fen: i64) -> Value {
    json!({"minorUnits": fen.to_string(), "currencyCode": "CNY"})
}

/// Logs in `openid` with WeChat and enrols them over `/api/v1/me/member` with `body`.
pub async fn enrol_with(world: &World, tenant: &Tenant, openid: &str, body: &Value) -> Enrolled {
    let tokens = world.consumer_login(tenant, openid).await;
    let token = tokens["accessToken"].as_str().unwrap().to_owned();
    let enrolled = json_ok(world.post_json("/api/v1/me/member", &token, body).await).await;
    let member = &enrolled["member"];
    Enrolled {
        member_id: member["memberId"].as_str().unwrap().to_owned(),
        user_id: member["userId"].as_str().unwrap().to_owned(),
        card_number: member["cardNumber"].as_str().unwrap().to_owned(),
        token,
    }
}

/// Logs in and enrols `openid` with no details.
pub async fn enrol(world: &World, tenant: &Tenant, openid: &str) -> Enrolled {
    enrol_with(world, tenant, openid, &json!({})).await
}

/// A ladder of two tiers: SILVER from 0 growth and GOLD from 500 (1.5× points).
pub async fn tier_ladder(world: &World, staff: &str) {
    for tier in [
        json!({"tierCode": "SILVER", "name": "银卡", "rank": 1, "growthThreshold": "0"}),
        json!({
            "tierCode": "GOLD", "name": "金卡", "rank": 2, "growthThreshold": "500",
            "benefits": {"discountBps": 9500, "pointsMultiplierBps": 15000,
                         "displayBenefits": ["1.5倍积分"]}
        }),
    ] {
        let created = json_ok(
            world
                .post_json("/admin/v1/tiers", staff, &json!({ "tier": tier }))
                .await,
        )
        .await;
        assert_eq!(created["tier"]["tierCode"], tier["tierCode"], "{created}");
    }
}

/// A claimable 满100减20 template of `quota` coupons, `limit` per member, valid 30 days from
/// the claim; created and published by `staff`. Answers the template id.
pub async fn published_template(world: &World, staff: &str, quota: i32, limit: i32) -> String {
    let template = json!({"template": {
        "name": "满100减20",
        "description": "全场通用",
        "rule": {
            "kind": "COUPON_KIND_AMOUNT_OFF",
            "threshold": cny(10_000),
            "amountOff": cny(2_000),
            "stacking": "COUPON_STACKING_ACROSS_KINDS",
            "scope": {"allGoods": true, "online": true, "inStore": true}
        },
        "validity": {"kind": "COUPON_VALIDITY_KIND_RELATIVE", "validDays": 30},
        "totalQuota": quota,
        "perMemberLimit": limit,
        "claimable": true
    }});
    let created = json_ok(
        world
            .post_json("/admin/v1/coupon-templates", staff, &template)
            .await,
    )
    .await;
    let id = created["template"]["templateId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        created["template"]["status"], "COUPON_TEMPLATE_STATUS_DRAFT",
        "{created}"
    );
    let path = format!("/admin/v1/coupon-templates/{id}/publish");
    let published = json_ok(world.post_json(&path, staff, &json!({})).await).await;
    assert_eq!(
        published["template"]["status"], "COUPON_TEMPLATE_STATUS_PUBLISHED",
        "{published}"
    );
    id
}

/// The member's balances as staff read them.
pub async fn balances(world: &World, staff: &str, member: &str) -> Value {
    let path = format!("/admin/v1/members/{member}/balances");
    json_ok(world.get(&path, Some(staff)).await).await["balances"].clone()
}

/// The length of the array at `key` of `body` (0 when absent: proto3 JSON omits empty lists).
pub fn count(body: &Value, key: &str) -> usize {
    body[key].as_array().map_or(0, Vec::len)
}
