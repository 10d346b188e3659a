//! Content through the gateway: a tenant admin writes two articles, publishes them and lays
//! out the home page; a shopper reads the page before and after logging in, and opens an
//! article. Hostile markdown is refused with its reason; an article never published stays
//! invisible.

use serde_json::{Value, json};

use crate::support::{Tenant, World, assert_problem, json_ok};

/// Creates an article titled `title` through the staff API; returns its id.
async fn article(world: &World, staff: &str, title: &str, markdown: &str) -> reqwest::Response {
    world
        .post_json(
            "/admin/v1/contents",
            staff,
            &json!({
                "content": {
                    "kind": "CONTENT_KIND_ARTICLE",
                    "article": {
                        "title": title,
                        "summary": "本周上新",
                        "bodyMarkdown": markdown,
                        "coverImageUrl": "https://img.example.cn/cover.jpg"
                    },
                    "tags": ["新品"]
                },
                "note": "first draft"
            }),
        )
        .await
}

async fn publish(world: &World, staff: &str, id: &str) -> Value {
    json_ok(
        world
            .post_json(
                &format!("/admin/v1/contents/{id}/publish"),
                staff,
                &json!({}),
            )
            .await,
    )
    .await
}

/// The home page as a guest of `tenant`'s mini-program sees it.
async fn home_as_guest(world: &World, tenant: &Tenant) -> Value {
    let response = world
        .http
        .get(world.url("/api/v1/pages/home"))
        .header("x-siyu-app-id", &tenant.app_id)
        .send()
        .await
        .unwrap();
    json_ok(response).await
}

#[tokio::test]
async fn staff_publish_a_home_page_that_shoppers_read() {
    let world = World::start().await;
    let tenant = world.tenant("brand-content").await;
    let staff = world.staff_login(&tenant).await;

    let md = "## 春季新品\n\n**轻薄外套**到店。\n\n[去看看](/pages/category/index)";
    let first = json_ok(article(&world, &staff, "春季新品上市", md).await).await;
    let second = json_ok(article(&world, &staff, "会员积分怎么用", "积分 **抵现**。").await).await;
    let draft = json_ok(article(&world, &staff, "还没写完", "草稿").await).await;
    let ids: Vec<String> = [&first, &second, &draft]
        .iter()
        .map(|c| c["content"]["contentId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(first["content"]["status"], "CONTENT_STATUS_DRAFT");
    let live = publish(&world, &staff, &ids[0]).await;
    assert_eq!(live["content"]["status"], "CONTENT_STATUS_PUBLISHED");
    assert_eq!(live["content"]["publishedVersion"], 1);
    publish(&world, &staff, &ids[1]).await;

    let slot = json_ok(
        world
            .post_json(
                "/admin/v1/slots",
                &staff,
                &json!({"slot": {"code": "home.feed", "name": "首页文章", "page": "home",
                                 "layout": "SLOT_LAYOUT_FEED", "maxItems": 10, "enabled": true}}),
            )
            .await,
    )
    .await;
    let slot_id = slot["slot"]["slotId"].as_str().unwrap();
    let placed = json_ok(
        world
            .post_json(
                &format!("/admin/v1/slots/{slot_id}/placements"),
                &staff,
                &json!({"etag": slot["slot"]["etag"],
                        "placements": [{"contentId": ids[0], "sortOrder": 1},
                                       {"contentId": ids[1], "sortOrder": 2},
                                       {"contentId": ids[2], "sortOrder": 3}]}),
            )
            .await,
    )
    .await;
    assert_eq!(placed["slot"]["placements"].as_array().unwrap().len(), 3);

    // Before logging in: the page names its app.
    let page = home_as_guest(&world, &tenant).await;
    let items = page["slots"][0]["items"].as_array().unwrap();
    let shown: Vec<&str> = items
        .iter()
        .map(|i| i["contentId"].as_str().unwrap())
        .collect();
    assert_eq!(shown, vec![ids[0].as_str(), ids[1].as_str()], "{page}");
    assert_eq!(page["slots"][0]["code"], "home.feed");
    assert_eq!(items[0]["article"]["title"], "春季新品上市");
    // The app may also be named as the request's `appId`.
    let by_query = json_ok(
        world
            .get(&format!("/api/v1/pages/home?appId={}", tenant.app_id), None)
            .await,
    )
    .await;
    assert_eq!(by_query, page);

    // Logged in: the same page, and the article itself with its markdown.
    let login = world.consumer_login(&tenant, "o_reader").await;
    let consumer = login["accessToken"].as_str().unwrap();
    let page = json_ok(world.get("/api/v1/pages/home", Some(consumer)).await).await;
    assert_eq!(page["slots"][0]["items"].as_array().unwrap().len(), 2);
    let opened = json_ok(
        world
            .get(&format!("/api/v1/contents/{}", ids[0]), Some(consumer))
            .await,
    )
    .await;
    assert_eq!(opened["content"]["article"]["bodyMarkdown"], md);
    assert_problem(
        world
            .get(&format!("/api/v1/contents/{}", ids[2]), Some(consumer))
            .await,
        404,
        "CONTENT_NOT_FOUND",
    )
    .await;
    let listed = json_ok(world.get("/api/v1/contents?tag=新品", Some(consumer)).await).await;
    assert_eq!(listed["contents"].as_array().unwrap().len(), 2, "{listed}");

    // Archiving takes it off the page.
    json_ok(
        world
            .post_json(
                &format!("/admin/v1/contents/{}/archive", ids[1]),
                &staff,
                &json!({}),
            )
            .await,
    )
    .await;
    let page = home_as_guest(&world, &tenant).await;
    assert_eq!(page["slots"][0]["items"].as_array().unwrap().len(), 1);

    // Hostile markdown never gets in.
    let refused = assert_problem(
        article(
            &world,
            &staff,
            "点我",
            "<script>alert(document.cookie)</script>",
        )
        .await,
        400,
        "CONTENT_REJECTED",
    )
    .await;
    assert!(
        refused
            .to_string()
            .contains("content.article.body_markdown"),
        "{refused}"
    );
    world.stop().await;
}
