//! ShareService's happy paths: links for content, guides and consumers (a consumer's link
//! chains the guide and store they arrived by), the same link for the same share, lists by
//! source and scope, disabling, resolving scene codes with ShareLinkClicked, engagements
//! counted once, and the funnel with orders attributed from orders' events.

use prost::Message;
use siyu_core::{PrincipalKind, TenantId};
use siyu_proto::common::v1 as common;
use siyu_proto::content::v1 as pb;
use siyu_proto::content::v1::share_service_client::ShareServiceClient;
use siyu_proto::events::v1 as ev;
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::both;
use crate::harness::{H, START, Tenant, code_reason, guest, with};

pub fn shares(h: &H) -> ShareServiceClient<Channel> {
    ShareServiceClient::new(h.channel.clone())
}

/// A guide of `t`'s store (staff id "staff-1", like every staff token of the harness).
pub fn guide(h: &H, t: &Tenant) -> String {
    h.token(
        t.id,
        PrincipalKind::Staff,
        &[("guide", format!("{}/{}", Uuid::nil(), t.store))],
        &[],
    )
}

/// A content link for the published article `content_id` on its detail page.
pub fn content_link(content_id: &str) -> pb::CreateShareLinkRequest {
    pb::CreateShareLinkRequest {
        source_kind: pb::ShareSourceKind::Content.into(),
        content_id: content_id.into(),
        channel: common::Channel::MiniProgram.into(),
        page_path: "pages/article/detail".into(),
        page_query: format!("id={content_id}"),
        label: "文章分享".into(),
        ..Default::default()
    }
}

pub async fn create(
    h: &H,
    token: &str,
    req: pb::CreateShareLinkRequest,
) -> pb::CreateShareLinkResponse {
    shares(h)
        .create_share_link(with(req, token))
        .await
        .unwrap()
        .into_inner()
}

pub async fn resolve(h: &H, app: &str, code: &str, device: &str) -> pb::ResolveSceneCodeResponse {
    shares(h)
        .resolve_scene_code(guest(
            pb::ResolveSceneCodeRequest {
                scene_code: code.into(),
                device_id: device.into(),
                wechat_scene: 1047,
                ..Default::default()
            },
            app,
        ))
        .await
        .unwrap()
        .into_inner()
}

pub fn read(content_id: &str, device: &str, event: Uuid) -> pb::RecordEngagementRequest {
    pb::RecordEngagementRequest {
        kind: pb::EngagementKind::Read.into(),
        content_id: content_id.into(),
        device_id: device.into(),
        client_event_id: event.to_string(),
        ..Default::default()
    }
}

/// An OrderPaid (or OrderRefunded) envelope of `tenant` for `order` with `attribution`.
pub fn order_event(
    tenant: TenantId,
    ty: &str,
    order: &str,
    attribution: &common::Attribution,
    refund: Option<(&str, i64)>,
    paid: i64,
) -> Vec<u8> {
    let snapshot = Some(ev::OrderSnapshot {
        order_id: order.into(),
        user_id: format!("buyer-{order}"),
        attribution: Some(attribution.clone()),
        amounts: Some(ev::OrderEventAmounts {
            paid_amount: Some(common::Money {
                minor_units: paid,
                currency_code: "CNY".into(),
            }),
            ..Default::default()
        }),
        ..Default::default()
    });
    let at = Some(prost_types::Timestamp {
        seconds: START + 60,
        nanos: 0,
    });
    let payload = match refund {
        None => ev::OrderPaid {
            order: snapshot,
            paid_at: at,
            ..Default::default()
        }
        .encode_to_vec(),
        Some((refund_id, amount)) => ev::OrderRefunded {
            order: snapshot,
            refund_id: refund_id.into(),
            amount: Some(common::Money {
                minor_units: amount,
                currency_code: "CNY".into(),
            }),
            ..Default::default()
        }
        .encode_to_vec(),
    };
    ev::EventEnvelope {
        id: siyu_core::id::new_string(),
        tenant_id: tenant.to_string(),
        r#type: format!("siyu.events.v1.{ty}"),
        source: "orders".into(),
        occurred_at: at,
        payload: Some(prost_types::Any {
            type_url: format!("type.googleapis.com/siyu.events.v1.{ty}"),
            value: payload,
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

pub async fn funnel(
    h: &H,
    token: &str,
    dimension: pb::FunnelDimension,
) -> pb::GetFunnelReportResponse {
    shares(h)
        .get_funnel_report(with(
            pb::GetFunnelReportRequest {
                dimension: dimension.into(),
                start_time: Some(prost_types::Timestamp {
                    seconds: START - 86_400,
                    nanos: 0,
                }),
                end_time: Some(prost_types::Timestamp {
                    seconds: START + 2 * 86_400,
                    nanos: 0,
                }),
                ..Default::default()
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

pub async fn clicked_events(h: &H) -> i64 {
    h.scalar(
        "SELECT COUNT(*) FROM siyu_outbox WHERE subject = $1",
        vec!["content.share_link_clicked".into()],
    )
    .await
}

async fn links_are_created_once_and_chain_attribution(h: H) {
    let t = Tenant::new(&h);
    let article = h.article(&t.admin, "穿搭指南", &[]).await;
    h.publish(&t.admin, &article.content_id).await;

    // Staff: a content link; sharing the same thing again answers the same link.
    let first = create(&h, &t.admin, content_link(&article.content_id)).await;
    let link = first.share_link.clone().unwrap();
    assert_eq!(link.scene_code.len(), 10);
    assert_eq!(first.wxacode_scene, format!("s={}", link.scene_code));
    assert!(first.wxacode_scene.len() <= 32);
    assert_eq!(
        first.share_path,
        format!(
            "pages/article/detail?id={}&s={}",
            article.content_id, link.scene_code
        )
    );
    assert_eq!(link.source_kind, i32::from(pb::ShareSourceKind::Content));
    assert_eq!(link.created_by, "staff:staff-1");
    let again = create(&h, &t.admin, content_link(&article.content_id)).await;
    assert_eq!(again.share_link.unwrap().share_link_id, link.share_link_id);

    // A guide: themself as guide, their store.
    let g = guide(&h, &t);
    let mine = create(
        &h,
        &g,
        pb::CreateShareLinkRequest {
            source_kind: pb::ShareSourceKind::Guide.into(),
            page_path: "pages/index/index".into(),
            ..Default::default()
        },
    )
    .await
    .share_link
    .unwrap();
    assert_eq!(mine.guide_id, "staff-1");
    assert_eq!(mine.store_id, t.store.to_string());

    // A consumer arriving by the guide's link shares the article: sharer, guide and store.
    let shared = create(
        &h,
        &t.consumer,
        pb::CreateShareLinkRequest {
            parent_share_link_id: mine.share_link_id.clone(),
            ..content_link(&article.content_id)
        },
    )
    .await
    .share_link
    .unwrap();
    assert_eq!(shared.sharer_user_id, "consumer-1");
    assert_eq!(shared.guide_id, "staff-1");
    assert_eq!(shared.store_id, t.store.to_string());
    assert_eq!(shared.created_by, "user:consumer-1");
    assert_ne!(shared.share_link_id, link.share_link_id);

    // Get: staff any link, a consumer only their own.
    let got = shares(&h)
        .get_share_link(with(
            pb::GetShareLinkRequest {
                share_link_id: shared.share_link_id.clone(),
            },
            &t.consumer,
        ))
        .await
        .unwrap()
        .into_inner()
        .share_link
        .unwrap();
    assert_eq!(got, shared);
    let staff_link = shares(&h)
        .get_share_link(with(
            pb::GetShareLinkRequest {
                share_link_id: link.share_link_id.clone(),
            },
            &t.consumer,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&staff_link),
        (Code::NotFound, "SHARE_LINK_NOT_FOUND".into())
    );

    // Lists: by content; a guide sees their own; a store manager their store's.
    let list = |token: String, req: pb::ListShareLinksRequest| {
        let mut c = shares(&h);
        async move {
            c.list_share_links(with(req, &token))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let by_content = list(
        t.admin.clone(),
        pb::ListShareLinksRequest {
            content_id: article.content_id.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(by_content.share_links.len(), 2);
    let all = list(t.admin.clone(), pb::ListShareLinksRequest::default()).await;
    assert_eq!(all.share_links.len(), 3);
    let paged = list(
        t.admin.clone(),
        pb::ListShareLinksRequest {
            page: Some(common::PageRequest {
                page_size: 2,
                page_token: String::new(),
            }),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(paged.share_links.len(), 2);
    let rest = list(
        t.admin.clone(),
        pb::ListShareLinksRequest {
            page: Some(common::PageRequest {
                page_size: 2,
                page_token: paged.page.unwrap().next_page_token,
            }),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(rest.share_links.len(), 1);
    assert_eq!(rest.page.unwrap().next_page_token, "");
    let guides = list(g.clone(), pb::ListShareLinksRequest::default()).await;
    assert_eq!(
        guides.share_links.len(),
        2,
        "the guide's link and the chained one"
    );
    let managers = list(t.manager.clone(), pb::ListShareLinksRequest::default()).await;
    assert_eq!(
        managers.share_links.len(),
        2,
        "links of the manager's store"
    );
}

both!(
    links_are_created_once_and_chain_attribution,
    links_are_created_once_and_chain_attribution
);

async fn scene_codes_resolve_until_disabled_or_expired(h: H) {
    let t = Tenant::new(&h);
    let app = h.app_id(t.id);
    let article = h.article(&t.admin, "门店专享", &[]).await;
    let link = create(
        &h,
        &t.admin,
        pb::CreateShareLinkRequest {
            store_id: t.store.to_string(),
            campaign_id: Uuid::nil().to_string(),
            ..content_link(&article.content_id)
        },
    )
    .await
    .share_link
    .unwrap();

    // "s=<code>", lower case too: the attribution to carry, a click and ShareLinkClicked.
    let r = resolve(&h, &app, &format!("s={}", link.scene_code), "dev-1").await;
    assert_eq!(r.share_link.unwrap(), link);
    let a = r.attribution.unwrap();
    assert_eq!(a.scene_code, link.scene_code);
    assert_eq!(a.share_link_id, link.share_link_id);
    assert_eq!(a.content_id, article.content_id);
    assert_eq!(a.store_id, t.store.to_string());
    assert_eq!(a.campaign_id, Uuid::nil().to_string());
    assert_eq!(a.channel, i32::from(common::Channel::MiniProgram));
    resolve(&h, &app, &link.scene_code.to_lowercase(), "dev-2").await;
    assert_eq!(clicked_events(&h).await, 2);
    // A consumer resolving without recording: nothing counted, nothing published.
    shares(&h)
        .resolve_scene_code(with(
            pb::ResolveSceneCodeRequest {
                scene_code: link.scene_code.clone(),
                record_click: Some(false),
                ..Default::default()
            },
            &t.consumer,
        ))
        .await
        .unwrap();
    assert_eq!(clicked_events(&h).await, 2);
    let payload: Vec<u8> = {
        use sea_orm::{ConnectionTrait, Statement};
        let b = h.db.db.get_database_backend();
        let row =
            h.db.db
                .query_one_raw(Statement::from_string(
                    b,
                    "SELECT payload FROM siyu_outbox WHERE subject = 'content.share_link_clicked' \
                 ORDER BY id LIMIT 1",
                ))
                .await
                .unwrap()
                .unwrap();
        row.try_get_by_index(0).unwrap()
    };
    let env = ev::EventEnvelope::decode(payload.as_slice()).unwrap();
    assert_eq!(env.r#type, "siyu.events.v1.ShareLinkClicked");
    assert_eq!(env.subject_id, link.share_link_id);
    let clicked = ev::ShareLinkClicked::decode(env.payload.unwrap().value.as_slice()).unwrap();
    assert_eq!(clicked.scene_code, link.scene_code);
    assert_eq!(clicked.wechat_scene, 1047);
    assert_eq!(clicked.attribution.unwrap().store_id, t.store.to_string());

    // Disabled: the code stops resolving (twice is fine), the link stays readable.
    for _ in 0..2 {
        let d = shares(&h)
            .disable_share_link(with(
                pb::DisableShareLinkRequest {
                    share_link_id: link.share_link_id.clone(),
                },
                &t.manager,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(d.share_link.unwrap().disabled);
    }
    let gone = shares(&h)
        .resolve_scene_code(guest(
            pb::ResolveSceneCodeRequest {
                scene_code: link.scene_code.clone(),
                ..Default::default()
            },
            &app,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&gone),
        (Code::NotFound, "SCENE_CODE_NOT_FOUND".into())
    );

    // Expired.
    let expiring = create(
        &h,
        &t.admin,
        pb::CreateShareLinkRequest {
            label: "限时".into(),
            page_query: "id=2".into(),
            expire_time: Some(prost_types::Timestamp {
                seconds: START + 60,
                nanos: 0,
            }),
            ..content_link(&article.content_id)
        },
    )
    .await
    .share_link
    .unwrap();
    resolve(&h, &app, &expiring.scene_code, "dev-3").await;
    h.clock.advance(chrono::Duration::seconds(61));
    let expired = shares(&h)
        .resolve_scene_code(guest(
            pb::ResolveSceneCodeRequest {
                scene_code: expiring.scene_code.clone(),
                ..Default::default()
            },
            &app,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&expired),
        (Code::FailedPrecondition, "SCENE_CODE_EXPIRED".into())
    );
}

both!(
    scene_codes_resolve_until_disabled_or_expired,
    scene_codes_resolve_until_disabled_or_expired
);

async fn engagements_and_orders_make_the_funnel(h: H) {
    let t = Tenant::new(&h);
    let app = h.app_id(t.id);
    let a1 = h.article(&t.admin, "穿搭指南", &[]).await;
    let a2 = h.article(&t.admin, "新品上市", &[]).await;
    let link = create(&h, &t.admin, content_link(&a1.content_id))
        .await
        .share_link
        .unwrap();
    let r = resolve(&h, &app, &link.scene_code, "dev-1").await;
    resolve(&h, &app, &link.scene_code, "dev-2").await;

    // Reads: once per viewer, item and day; a repeated client event counts nothing.
    let c = shares(&h);
    let e1 = siyu_core::id::new();
    let counted = |req: pb::RecordEngagementRequest| {
        let mut c = c.clone();
        let app = app.clone();
        async move {
            c.record_engagement(guest(req, &app))
                .await
                .unwrap()
                .into_inner()
                .counted
        }
    };
    assert!(
        counted(pb::RecordEngagementRequest {
            share_link_id: link.share_link_id.clone(),
            ..read(&a1.content_id, "dev-1", e1)
        })
        .await
    );
    assert!(
        !counted(read(&a1.content_id, "dev-1", e1)).await,
        "same event"
    );
    assert!(
        !counted(read(&a1.content_id, "dev-1", siyu_core::id::new())).await,
        "same viewer, same day"
    );
    assert!(counted(read(&a1.content_id, "dev-2", siyu_core::id::new())).await);
    assert!(counted(read(&a2.content_id, "dev-1", siyu_core::id::new())).await);
    // A logged-in reader is counted by user, a share onward too.
    let by_user = shares(&h)
        .record_engagement(with(
            pb::RecordEngagementRequest {
                attribution: r.attribution.clone(),
                ..read(&a1.content_id, "", siyu_core::id::new())
            },
            &t.consumer,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(by_user.counted);
    assert!(
        counted(pb::RecordEngagementRequest {
            kind: pb::EngagementKind::Share.into(),
            ..read(&a1.content_id, "dev-1", siyu_core::id::new())
        })
        .await
    );
    // The next day the same viewer reads again.
    h.clock.advance(chrono::Duration::hours(24));
    assert!(counted(read(&a2.content_id, "dev-1", siyu_core::id::new())).await);

    // Orders: one paid with the link's attribution, one for a2 partly refunded; an order
    // without attribution is not the funnel's.
    let layer = h.app_layer();
    let attribution = r.attribution.unwrap();
    let other = common::Attribution {
        content_id: a2.content_id.clone(),
        ..Default::default()
    };
    for body in [
        order_event(t.id, "OrderPaid", "o-1", &attribution, None, 19_900),
        order_event(t.id, "OrderPaid", "o-2", &other, None, 5_000),
        order_event(
            t.id,
            "OrderRefunded",
            "o-2",
            &other,
            Some(("r-1", 1_000)),
            0,
        ),
        order_event(
            t.id,
            "OrderPaid",
            "o-3",
            &common::Attribution::default(),
            None,
            7_000,
        ),
    ] {
        siyu_content::events::consume::handle(&layer, &body, "m")
            .await
            .unwrap();
    }

    // A day later the tenant's tokens have expired: a fresh admin token (a grant on a root).
    let admin = h.token(
        t.id,
        PrincipalKind::Staff,
        &[("tenant_admin", Uuid::nil().to_string())],
        &[],
    );
    let report = funnel(&h, &admin, pb::FunnelDimension::Content).await;
    assert_eq!(report.rows.len(), 2);
    let first = &report.rows[0];
    assert_eq!(first.key, a1.content_id);
    assert_eq!(first.label, "穿搭指南");
    assert_eq!(
        (
            first.reads,
            first.unique_readers,
            first.clicks,
            first.unique_clickers,
            first.shares
        ),
        (3, 3, 2, 2, 1)
    );
    assert_eq!((first.orders, first.buyers), (1, 1));
    assert_eq!(first.gmv.clone().unwrap().minor_units, 19_900);
    let second = &report.rows[1];
    assert_eq!(second.key, a2.content_id);
    assert_eq!((second.reads, second.orders), (2, 1));
    assert_eq!(second.gmv.clone().unwrap().minor_units, 4_000);
    let total = report.total.unwrap();
    assert_eq!((total.reads, total.clicks, total.orders), (5, 2, 2));
    assert_eq!(total.gmv.unwrap().minor_units, 23_900);

    let by_link = funnel(&h, &admin, pb::FunnelDimension::ShareLink).await;
    assert_eq!(by_link.rows.len(), 1);
    assert_eq!(by_link.rows[0].key, link.share_link_id);
    assert_eq!(by_link.rows[0].label, "文章分享");
    assert_eq!((by_link.rows[0].clicks, by_link.rows[0].orders), (2, 1));
    let by_day = funnel(&h, &admin, pb::FunnelDimension::Day).await;
    assert_eq!(
        by_day
            .rows
            .iter()
            .map(|r| r.key.as_str())
            .collect::<Vec<_>>(),
        vec!["2026-12-07", "2026-12-08"]
    );
    // Another tenant sees nothing of it.
    let other = Tenant::new(&h);
    let none = funnel(&h, &other.admin, pb::FunnelDimension::Content).await;
    assert!(none.rows.is_empty());
}

both!(
    engagements_and_orders_make_the_funnel,
    engagements_and_orders_make_the_funnel
);
