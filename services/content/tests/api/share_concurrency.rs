//! The "nevers" of ShareService under concurrency, and tenant isolation: one engagement
//! recorded 16 times at once under one client event id counts once; 16 creations of the same
//! link make one; two consumers applying the same order event (and a second event for the same
//! order) attribute it once; another tenant sees none of it.

use siyu_proto::common::v1 as common;
use siyu_proto::content::v1 as pb;
use tonic::Code;

use crate::both;
use crate::harness::{H, Tenant, code_reason, guest, with};
use crate::share_links::{content_link, create, funnel, order_event, read, resolve, shares};

async fn duplicates_count_once(h: H) {
    let t = Tenant::new(&h);
    let app = h.app_id(t.id);
    let article = h.article(&t.admin, "文章", &[]).await;
    let link = create(&h, &t.admin, content_link(&article.content_id))
        .await
        .share_link
        .unwrap();

    // 16 concurrent records of one click (one client event id, one idempotency key).
    let event = siyu_core::id::new();
    let calls = (0..16).map(|_| {
        let mut c = shares(&h);
        let mut req = guest(
            pb::RecordEngagementRequest {
                kind: pb::EngagementKind::Click.into(),
                share_link_id: link.share_link_id.clone(),
                ..read(&article.content_id, "dev-1", event)
            },
            &app,
        );
        req.metadata_mut()
            .insert("x-idempotency-key", event.to_string().parse().unwrap());
        async move { c.record_engagement(req).await }
    });
    let results = futures::future::join_all(calls).await;
    let counted = results
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|r| r.get_ref().counted))
        .count();
    assert_eq!(counted, 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert_eq!(
                code_reason(e),
                (Code::Aborted, "REQUEST_IN_PROGRESS".into())
            );
        }
    }
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM cnt_engagements", vec![])
            .await,
        1
    );
    assert_eq!(crate::share_links::clicked_events(&h).await, 1);

    // 16 concurrent creations of the same link: one link.
    let calls = (0..16).map(|_| {
        let mut c = shares(&h);
        let req = with(
            pb::CreateShareLinkRequest {
                page_query: "id=same".into(),
                ..content_link(&article.content_id)
            },
            &t.admin,
        );
        async move { c.create_share_link(req).await.unwrap().into_inner() }
    });
    let links = futures::future::join_all(calls).await;
    let first = links[0].share_link.clone().unwrap().share_link_id;
    assert!(
        links
            .iter()
            .all(|l| l.share_link.as_ref().unwrap().share_link_id == first)
    );
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM cnt_share_links", vec![])
            .await,
        2
    );

    // Two consumers applying the same OrderPaid at once, then another OrderPaid for the
    // same order: attributed once.
    let attribution = resolve(&h, &app, &link.scene_code, "dev-2")
        .await
        .attribution
        .unwrap();
    let paid = order_event(t.id, "OrderPaid", "o-1", &attribution, None, 9_900);
    let (a, b) = (h.app_layer(), h.app_layer());
    let (ra, rb) = tokio::join!(
        siyu_content::events::consume::handle(&a, &paid, "m-1"),
        siyu_content::events::consume::handle(&b, &paid, "m-2"),
    );
    ra.unwrap();
    rb.unwrap();
    let again = order_event(t.id, "OrderPaid", "o-1", &attribution, None, 9_900);
    siyu_content::events::consume::handle(&a, &again, "m-3")
        .await
        .unwrap();
    let report = funnel(&h, &t.admin, pb::FunnelDimension::Content).await;
    assert_eq!(report.rows.len(), 1);
    assert_eq!(report.rows[0].orders, 1);
    assert_eq!(report.rows[0].gmv.clone().unwrap().minor_units, 9_900);
    assert_eq!(report.rows[0].clicks, 2);
}

both!(duplicates_count_once, duplicates_count_once);

async fn another_tenant_sees_nothing(h: H) {
    let t = Tenant::new(&h);
    let other = Tenant::new(&h);
    let article = h.article(&t.admin, "文章", &[]).await;
    let link = create(&h, &t.admin, content_link(&article.content_id))
        .await
        .share_link
        .unwrap();
    let paid = order_event(
        t.id,
        "OrderPaid",
        "o-1",
        &common::Attribution {
            content_id: article.content_id.clone(),
            ..Default::default()
        },
        None,
        100,
    );
    siyu_content::events::consume::handle(&h.app_layer(), &paid, "m")
        .await
        .unwrap();
    let mut c = shares(&h);
    let err = c
        .get_share_link(with(
            pb::GetShareLinkRequest {
                share_link_id: link.share_link_id.clone(),
            },
            &other.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "SHARE_LINK_NOT_FOUND".into())
    );
    let err = c
        .disable_share_link(with(
            pb::DisableShareLinkRequest {
                share_link_id: link.share_link_id.clone(),
            },
            &other.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "SHARE_LINK_NOT_FOUND".into())
    );
    let listed = c
        .list_share_links(with(pb::ListShareLinksRequest::default(), &other.admin))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.share_links.is_empty());
    let err = c
        .resolve_scene_code(with(
            pb::ResolveSceneCodeRequest {
                scene_code: link.scene_code.clone(),
                ..Default::default()
            },
            &other.consumer,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "SCENE_CODE_NOT_FOUND".into())
    );
    let err = c
        .record_engagement(with(
            read(&article.content_id, "", siyu_core::id::new()),
            &other.consumer,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "CONTENT_NOT_FOUND".into())
    );
    let report = funnel(&h, &other.admin, pb::FunnelDimension::Content).await;
    assert!(report.rows.is_empty());
    assert_eq!(report.total.unwrap().orders, 0);
    let mine = funnel(&h, &t.admin, pb::FunnelDimension::Content).await;
    assert_eq!(mine.rows[0].orders, 1);
    // A store manager sees their stores' numbers only: not the HQ order, not another store's.
    let managers = funnel(&h, &t.manager, pb::FunnelDimension::Content).await;
    assert!(managers.rows.is_empty(), "{managers:?}");
    let elsewhere = shares(&h)
        .get_funnel_report(with(
            pb::GetFunnelReportRequest {
                store_ids: vec![uuid::Uuid::nil().to_string()],
                ..Default::default()
            },
            &t.manager,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(elsewhere.rows.is_empty());
    assert_eq!(elsewhere.total.unwrap().orders, 0);
}

both!(another_tenant_sees_nothing, another_tenant_sees_nothing);
