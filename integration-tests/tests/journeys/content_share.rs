//! A share link through the gateway, from the staff console to the funnel: staff create a
//! tracked link for an article, a consumer launches the mini-program by its scene code (the
//! click, and the attribution to carry), reads the article, and pays an order carrying that
//! attribution; orders' OrderPaid reaches content over the bus and the funnel shows reads →
//! clicks → orders → GMV for the article and the link.

use serde_json::{Value, json};

use crate::catalog::product_with_stock;
use crate::member_fixtures::{cny, enrol};
use crate::orders_checkout::{fen, input_at, quote, shop};
use crate::orders_payment::{until, wechat_pay};
use crate::support::{World, json_ok};

#[tokio::test]
async fn a_shared_article_leads_to_an_order_in_the_funnel() {
    let world = World::start().await;
    let tenant = world.tenant("brand-share").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, _) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let cashier = wechat_pay(&world, &tenant, &staff).await;

    // Staff publish an article and create its share link for the store.
    let created = json_ok(
        world
            .post_json(
                "/admin/v1/contents",
                &staff,
                &json!({"content": {"kind": "CONTENT_KIND_ARTICLE",
                                    "article": {"title": "秋冬穿搭", "bodyMarkdown": "正文"}}}),
            )
            .await,
    )
    .await;
    let content_id = created["content"]["contentId"].as_str().unwrap().to_owned();
    json_ok(
        world
            .post_json(
                &format!("/admin/v1/contents/{content_id}/publish"),
                &staff,
                &json!({}),
            )
            .await,
    )
    .await;
    let made = json_ok(
        world
            .post_json(
                "/admin/v1/share-links",
                &staff,
                &json!({"sourceKind": "SHARE_SOURCE_KIND_CONTENT", "contentId": content_id,
                        "storeId": store, "channel": "CHANNEL_MINI_PROGRAM",
                        "pagePath": "pages/article/detail", "pageQuery": format!("id={content_id}"),
                        "label": "秋冬海报"}),
            )
            .await,
    )
    .await;
    let link_id = made["shareLink"]["shareLinkId"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = made["shareLink"]["sceneCode"].as_str().unwrap().to_owned();
    assert_eq!(made["wxacodeScene"], format!("s={code}"), "{made}");

    // A consumer launches by the code, reads the article.
    let me = enrol(&world, &tenant, "share-reader").await;
    let resolved = json_ok(
        world
            .post_json(
                &format!("/api/v1/scene-codes/s={code}/resolve"),
                &me.token,
                &json!({"wechatScene": 1047}),
            )
            .await,
    )
    .await;
    let attribution = resolved["attribution"].clone();
    assert_eq!(attribution["shareLinkId"], link_id.as_str(), "{resolved}");
    assert_eq!(attribution["contentId"], content_id.as_str(), "{resolved}");
    assert_eq!(attribution["storeId"], store.as_str(), "{resolved}");
    let read = json!({"kind": "ENGAGEMENT_KIND_READ", "contentId": content_id,
                      "shareLinkId": link_id, "clientEventId": siyu_core::id::new_string()});
    let counted = json_ok(
        world
            .post_json("/api/v1/engagements", &me.token, &read)
            .await,
    )
    .await;
    assert_eq!(counted["counted"], true, "{counted}");
    let again = json_ok(
        world
            .post_json("/api/v1/engagements", &me.token, &read)
            .await,
    )
    .await;
    assert_ne!(again["counted"], true, "{again}");

    // The consumer pays an order carrying the attribution.
    let input = input_at(&store, &sku, 1, &json!({}));
    let payable = fen(&quote(&world, &me.token, &input).await["amounts"]["payable"]);
    let body = json!({"input": input, "expectedPayable": cny(payable),
                      "attribution": attribution});
    let placed = json_ok(
        world
            .post(
                "/api/v1/checkout",
                Some(&me.token),
                Some("share-order-1"),
                &body.to_string(),
            )
            .await,
    )
    .await;
    let prepay = placed["wechatPayParams"]["package"]
        .as_str()
        .unwrap()
        .strip_prefix("prepay_id=")
        .unwrap()
        .to_owned();
    let order_id = placed["order"]["orderId"].as_str().unwrap().to_owned();
    cashier.pay(&prepay).await.unwrap();
    until(
        &world,
        &format!("/api/v1/me/orders/{order_id}"),
        &me.token,
        |b| b["order"]["status"] == "ORDER_STATUS_PAID",
    )
    .await;

    // The funnel: the article's read, click, order and GMV.
    let count = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<i64>().ok())
            .or(v.as_i64())
    };
    let report = until(&world, "/admin/v1/funnel-report", &staff, |b| {
        b["rows"][0]["orders"].as_str() == Some("1")
    })
    .await;
    let row = &report["rows"][0];
    assert_eq!(row["key"], content_id.as_str(), "{report}");
    assert_eq!(row["label"], "秋冬穿搭", "{report}");
    assert_eq!(count(&row["reads"]), Some(1), "{report}");
    assert_eq!(count(&row["clicks"]), Some(1), "{report}");
    assert_eq!(count(&row["buyers"]), Some(1), "{report}");
    assert_eq!(count(&row["gmv"]["minorUnits"]), Some(payable), "{report}");
    world.stop().await;
}
