//! What consumers and guests see: the home page assembled from slots and placements, one live
//! item, and lists by tag and product, with audiences, windows and statuses applied.

use siyu_proto::content::v1 as pb;
use tonic::Code;

use crate::both;
use crate::harness::{H, Tenant, code_reason, guest, with};

fn place(content_id: &str, order: i32, stores: &[String]) -> pb::SlotPlacement {
    pb::SlotPlacement {
        content_id: content_id.into(),
        audience: Some(pb::Audience {
            org_unit_ids: stores.to_vec(),
            segment_ids: vec![],
        }),
        sort_order: order,
        ..Default::default()
    }
}

async fn set(
    h: &H,
    token: &str,
    slot: &pb::Slot,
    placements: Vec<pb::SlotPlacement>,
) -> pb::SlotWithPlacements {
    h.client()
        .set_slot_placements(with(
            pb::SetSlotPlacementsRequest {
                slot_id: slot.slot_id.clone(),
                etag: slot.etag.clone(),
                placements,
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .slot
        .unwrap()
}

async fn the_home_page_shows_live_items_for_the_store(h: H) {
    let t = Tenant::new(&h);
    let app = h.app_id(t.id);
    let hero = h
        .slot(&t.admin, "home.hero", "home", pb::SlotLayout::Carousel)
        .await;
    let feed = h
        .slot(&t.admin, "home.feed", "home", pb::SlotLayout::Feed)
        .await;
    let banner = h.banner(&t.admin, "双十二").await;
    let a1 = h.article(&t.admin, "穿搭指南", &["穿搭"]).await;
    let a2 = h.article(&t.admin, "门店专享", &["门店"]).await;
    let draft = h.article(&t.admin, "草稿", &[]).await;
    for c in [&banner, &a1, &a2] {
        h.publish(&t.admin, &c.content_id).await;
    }
    set(&h, &t.admin, &hero, vec![place(&banner.content_id, 1, &[])]).await;
    let feed = set(
        &h,
        &t.admin,
        &feed,
        vec![
            place(&a1.content_id, 1, &[]),
            place(&a2.content_id, 2, &[t.store.to_string()]),
            place(&draft.content_id, 3, &[]),
        ],
    )
    .await;
    assert_eq!(feed.placements.len(), 3);

    // A guest without a store: tenant-wide placements only.
    let page = h
        .client()
        .get_page(guest(
            pb::GetPageRequest {
                page: "home".into(),
                ..Default::default()
            },
            &app,
        ))
        .await
        .unwrap()
        .into_inner();
    let codes: Vec<&str> = page.slots.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(codes, vec!["home.feed", "home.hero"]);
    let feed_items: Vec<&str> = page.slots[0]
        .items
        .iter()
        .map(|i| i.content_id.as_str())
        .collect();
    assert_eq!(feed_items, vec![a1.content_id.as_str()]);
    // The app may also be named in the request itself.
    let by_field = h
        .client()
        .get_page(tonic::Request::new(pb::GetPageRequest {
            page: "home".into(),
            app_id: app.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_field, page);

    // A consumer browsing the store also sees the store's placement.
    let page = h
        .client()
        .get_page(with(
            pb::GetPageRequest {
                page: "home".into(),
                store_id: t.store.to_string(),
                ..Default::default()
            },
            &t.consumer,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.slots[0].items.len(), 2);
    assert_eq!(page.slots[1].items[0].content_id, banner.content_id);
    assert_eq!(page.slots[1].layout, pb::SlotLayout::Carousel as i32);

    // Archived items leave the page; their placements stay.
    h.client()
        .archive_content(with(
            pb::ArchiveContentRequest {
                content_id: banner.content_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    let page = h
        .client()
        .get_page(guest(
            pb::GetPageRequest {
                page: "home".into(),
                ..Default::default()
            },
            &app,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.slots.len(), 1);
    let slots = h
        .client()
        .list_slots(with(
            pb::ListSlotsRequest {
                page: "home".into(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .slots;
    assert_eq!(slots.len(), 2);
    assert_eq!(slots[1].placements.len(), 1);

    // Published reads: one item, lists by tag.
    let one = h
        .client()
        .get_published_content(guest(
            pb::GetPublishedContentRequest {
                content_id: a1.content_id.clone(),
                ..Default::default()
            },
            &app,
        ))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap();
    assert_eq!(one.tags, vec!["穿搭".to_owned()]);
    let err = h
        .client()
        .get_published_content(guest(
            pb::GetPublishedContentRequest {
                content_id: draft.content_id.clone(),
                ..Default::default()
            },
            &app,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "CONTENT_NOT_FOUND".into())
    );
    let list = |tag: &str, store: String| {
        let mut client = h.client();
        let req = pb::ListPublishedContentsRequest {
            tag: tag.into(),
            store_id: store,
            ..Default::default()
        };
        let token = t.consumer.clone();
        async move {
            client
                .list_published_contents(with(req, &token))
                .await
                .unwrap()
                .into_inner()
                .contents
        }
    };
    assert_eq!(list("穿搭", String::new()).await.len(), 1);
    assert_eq!(list("", String::new()).await.len(), 2);
    assert_eq!(list("", t.store.to_string()).await.len(), 2);
}
both!(home_page, the_home_page_shows_live_items_for_the_store);

async fn slots_update_and_store_managers_keep_others_placements(h: H) {
    let t = Tenant::new(&h);
    let slot = h
        .slot(&t.admin, "home.grid", "home", pb::SlotLayout::Grid)
        .await;
    let updated = h
        .client()
        .update_slot(with(
            pb::UpdateSlotRequest {
                slot: Some(pb::Slot {
                    slot_id: slot.slot_id.clone(),
                    etag: slot.etag.clone(),
                    max_items: 8,
                    name: "ignored".into(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["maxItems".into()],
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .slot
        .unwrap();
    assert_eq!((updated.max_items, updated.name.as_str()), (8, "home.grid"));
    let hq = h.article(&t.admin, "全国", &[]).await;
    let slot = set(&h, &t.admin, &updated, vec![place(&hq.content_id, 1, &[])]).await;
    let mut own = crate::harness::article("门店", &[]);
    own.owner_org_unit_id = t.store.to_string();
    let own = h
        .client()
        .create_content(with(
            pb::CreateContentRequest {
                content: Some(own),
                note: String::new(),
            },
            &t.manager,
        ))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap();
    let after = set(
        &h,
        &t.manager,
        slot.slot.as_ref().unwrap(),
        vec![place(&own.content_id, 0, &[t.store.to_string()])],
    )
    .await;
    let ids: Vec<&str> = after
        .placements
        .iter()
        .map(|p| p.content_id.as_str())
        .collect();
    assert_eq!(ids, vec![own.content_id.as_str(), hq.content_id.as_str()]);
}
both!(
    slots,
    slots_update_and_store_managers_keep_others_placements
);
