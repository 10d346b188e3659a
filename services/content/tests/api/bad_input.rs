//! Every ContentService RPC refuses malformed or hostile input with its exact code, reason and
//! (for INVALID_ARGUMENT) the field: HTML and scripts in markdown, unsafe links, over-long
//! fields, unknown ids, stale etags, expiries in the past, schedules beyond a year.

use prost_types::{FieldMask, Timestamp};
use siyu_proto::common::v1::PageRequest;
use siyu_proto::content::v1 as pb;
use tonic::Code;

use crate::both;
use crate::harness::{H, START, Tenant, article, code_reason, field, guest, with};

/// Asserts the code, reason and (when not empty) the first violated field of `r`'s error.
#[track_caller]
fn refused<T: std::fmt::Debug>(r: Result<T, tonic::Status>, code: Code, why: &str, at: &str) {
    let s = r.unwrap_err();
    assert_eq!(code_reason(&s), (code, why.to_owned()), "{s:?}");
    if !at.is_empty() {
        assert_eq!(field(&s), at, "{s:?}");
    }
}

fn with_markdown(md: &str) -> pb::ContentItem {
    let mut item = article("标题", &[]);
    if let Some(pb::content_item::Body::Article(a)) = item.body.as_mut() {
        a.body_markdown = md.into();
    }
    item
}

const UNKNOWN: &str = "0190b2c4-0000-7000-8000-000000000001";

async fn content_writes_refuse_bad_bodies(h: H) {
    let t = Tenant::new(&h);
    let create = |item: pb::ContentItem| {
        let mut c = h.client();
        let token = t.admin.clone();
        async move {
            c.create_content(with(
                pb::CreateContentRequest {
                    content: Some(item),
                    note: String::new(),
                },
                &token,
            ))
            .await
        }
    };
    let md = "content.article.body_markdown";
    for hostile in [
        "<script>alert(document.cookie)</script>",
        "点我 <img src=x onerror=alert(1)>",
        "[领券](javascript:alert(1))",
        "<javascript:alert(1)>",
        "![x](data:image/svg+xml;base64,PHN2Zz4=)",
    ] {
        refused(
            create(with_markdown(hostile)).await,
            Code::InvalidArgument,
            "CONTENT_REJECTED",
            md,
        );
    }
    refused(
        create(with_markdown(&"字".repeat(200_001))).await,
        Code::InvalidArgument,
        "CONTENT_TOO_LARGE",
        md,
    );
    let mut long_title = article(&"长".repeat(65), &[]);
    refused(
        create(long_title.clone()).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "content.article.title",
    );
    long_title = article("ok", &["这是一个超过十六个字符的很长很长的标签"]);
    refused(
        create(long_title).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "content.tags[0]",
    );
    let mut mismatch = crate::harness::banner("横幅");
    mismatch.kind = pb::ContentKind::Article.into();
    refused(
        create(mismatch).await,
        Code::InvalidArgument,
        "BODY_KIND_MISMATCH",
        "content.banner",
    );
    let mut no_kind = article("x", &[]);
    no_kind.kind = 0;
    refused(
        create(no_kind).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "content.kind",
    );
    let mut insecure = crate::harness::banner("横幅");
    if let Some(pb::content_item::Body::Banner(b)) = insecure.body.as_mut() {
        b.image_url = "http://img.example.cn/a.jpg".into();
    }
    refused(
        create(insecure).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "content.banner.image_url",
    );
    let mut past = article("过期", &[]);
    past.expire_time = Some(Timestamp {
        seconds: START - 1,
        nanos: 0,
    });
    refused(
        create(past).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "content.expire_time",
    );
    let mut bad_product = article("x", &[]);
    bad_product.product_ids = vec!["not-a-uuid".into()];
    refused(
        create(bad_product).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "content.product_ids[0]",
    );
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM cnt_contents", vec![]).await,
        0
    );

    // UpdateContent.
    let c = h.article(&t.admin, "原文", &[]).await;
    let update = |item: pb::ContentItem, paths: &[&str]| {
        let mut client = h.client();
        let token = t.admin.clone();
        let paths = paths.iter().map(|p| (*p).to_owned()).collect();
        async move {
            client
                .update_content(with(
                    pb::UpdateContentRequest {
                        content: Some(item),
                        update_mask: Some(FieldMask { paths }),
                        note: String::new(),
                    },
                    &token,
                ))
                .await
        }
    };
    let mut hostile = with_markdown("<iframe src=https://evil.example></iframe>");
    hostile.content_id.clone_from(&c.content_id);
    hostile.etag.clone_from(&c.etag);
    refused(
        update(hostile.clone(), &["article.body_markdown"]).await,
        Code::InvalidArgument,
        "CONTENT_REJECTED",
        md,
    );
    refused(
        update(hostile.clone(), &["article.nonsense", "title"]).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "update_mask",
    );
    let mut stale = hostile.clone();
    stale.etag = "999".into();
    refused(
        update(stale, &["tags"]).await,
        Code::Aborted,
        "CONCURRENT_MODIFICATION",
        "",
    );
    let mut unknown = hostile.clone();
    unknown.content_id = UNKNOWN.into();
    refused(
        update(unknown, &["tags"]).await,
        Code::NotFound,
        "CONTENT_NOT_FOUND",
        "",
    );
    let mut no_id = hostile.clone();
    no_id.content_id = "x".into();
    refused(
        update(no_id, &["tags"]).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "content.content_id",
    );
    let archived = h
        .client()
        .archive_content(with(
            pb::ArchiveContentRequest {
                content_id: c.content_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap();
    let mut late = article("改", &[]);
    late.content_id.clone_from(&c.content_id);
    late.etag = archived.etag;
    refused(
        update(late, &["article.title"]).await,
        Code::FailedPrecondition,
        "CONTENT_ARCHIVED",
        "",
    );
}
both!(content_writes, content_writes_refuse_bad_bodies);

async fn the_other_rpcs_refuse_unknown_ids_and_bad_fields(h: H) {
    let t = Tenant::new(&h);
    let c = h.article(&t.admin, "原文", &[]).await;
    let mut client = h.client();
    let a = &t.admin;

    refused(
        client
            .get_content(with(
                pb::GetContentRequest {
                    content_id: "1".into(),
                },
                a,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "content_id",
    );
    refused(
        client
            .get_content(with(
                pb::GetContentRequest {
                    content_id: UNKNOWN.into(),
                },
                a,
            ))
            .await,
        Code::NotFound,
        "CONTENT_NOT_FOUND",
        "",
    );
    refused(
        client
            .list_contents(with(
                pb::ListContentsRequest {
                    page: Some(PageRequest {
                        page_size: 500,
                        page_token: String::new(),
                    }),
                    ..Default::default()
                },
                a,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "page.page_size",
    );
    refused(
        client
            .list_contents(with(
                pb::ListContentsRequest {
                    query: "q".repeat(101),
                    ..Default::default()
                },
                a,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "query",
    );
    refused(
        client
            .publish_content(with(
                pb::PublishContentRequest {
                    content_id: c.content_id.clone(),
                    version: 7,
                    publish_time: None,
                },
                a,
            ))
            .await,
        Code::NotFound,
        "CONTENT_VERSION_NOT_FOUND",
        "",
    );
    refused(
        client
            .publish_content(with(
                pb::PublishContentRequest {
                    content_id: c.content_id.clone(),
                    version: 0,
                    publish_time: Some(Timestamp {
                        seconds: START + 400 * 86_400,
                        nanos: 0,
                    }),
                },
                a,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "publish_time",
    );
    refused(
        client
            .unschedule_content(with(
                pb::UnscheduleContentRequest {
                    content_id: c.content_id.clone(),
                },
                a,
            ))
            .await,
        Code::FailedPrecondition,
        "CONTENT_NOT_SCHEDULED",
        "",
    );
    refused(
        client
            .archive_content(with(
                pb::ArchiveContentRequest {
                    content_id: UNKNOWN.into(),
                },
                a,
            ))
            .await,
        Code::NotFound,
        "CONTENT_NOT_FOUND",
        "",
    );
    refused(
        client
            .list_content_versions(with(
                pb::ListContentVersionsRequest {
                    content_id: UNKNOWN.into(),
                    page: None,
                },
                a,
            ))
            .await,
        Code::NotFound,
        "CONTENT_NOT_FOUND",
        "",
    );
    refused(
        client
            .get_content_version(with(
                pb::GetContentVersionRequest {
                    content_id: c.content_id.clone(),
                    version: 0,
                },
                a,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "version",
    );
    refused(
        client
            .get_content_version(with(
                pb::GetContentVersionRequest {
                    content_id: c.content_id.clone(),
                    version: 9,
                },
                a,
            ))
            .await,
        Code::NotFound,
        "CONTENT_VERSION_NOT_FOUND",
        "",
    );
    refused(
        client
            .restore_content_version(with(
                pb::RestoreContentVersionRequest {
                    content_id: c.content_id.clone(),
                    version: 1,
                    etag: "41".into(),
                },
                a,
            ))
            .await,
        Code::Aborted,
        "CONCURRENT_MODIFICATION",
        "",
    );
    refused(
        client
            .restore_content_version(with(
                pb::RestoreContentVersionRequest {
                    content_id: c.content_id.clone(),
                    version: 5,
                    etag: c.etag.clone(),
                },
                a,
            ))
            .await,
        Code::NotFound,
        "CONTENT_VERSION_NOT_FOUND",
        "",
    );

    // Slots.
    let slot = h
        .slot(a, "home.hero", "home", pb::SlotLayout::Carousel)
        .await;
    let dup = pb::Slot {
        code: "home.hero".into(),
        name: "again".into(),
        page: "home".into(),
        layout: pb::SlotLayout::Grid.into(),
        max_items: 3,
        enabled: true,
        ..Default::default()
    };
    refused(
        client
            .create_slot(with(
                pb::CreateSlotRequest {
                    slot: Some(dup.clone()),
                },
                a,
            ))
            .await,
        Code::AlreadyExists,
        "SLOT_CODE_TAKEN",
        "",
    );
    let mut zero = dup.clone();
    zero.code = "home.zero".into();
    zero.max_items = 0;
    refused(
        client
            .create_slot(with(pb::CreateSlotRequest { slot: Some(zero) }, a))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "slot.max_items",
    );
    let mut bad_code = dup.clone();
    bad_code.code = "Home Hero<script>".into();
    refused(
        client
            .create_slot(with(
                pb::CreateSlotRequest {
                    slot: Some(bad_code),
                },
                a,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "slot.code",
    );
    let upd = |slot_id: &str, etag: &str| pb::UpdateSlotRequest {
        slot: Some(pb::Slot {
            slot_id: slot_id.into(),
            etag: etag.into(),
            enabled: false,
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["enabled".into()],
        }),
    };
    refused(
        client.update_slot(with(upd(&slot.slot_id, "77"), a)).await,
        Code::Aborted,
        "CONCURRENT_MODIFICATION",
        "",
    );
    refused(
        client.update_slot(with(upd(UNKNOWN, "1"), a)).await,
        Code::NotFound,
        "SLOT_NOT_FOUND",
        "",
    );
    refused(
        client
            .list_slots(with(
                pb::ListSlotsRequest {
                    page: "Home!".into(),
                },
                a,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "page",
    );
    let placements = |content_id: &str| pb::SetSlotPlacementsRequest {
        slot_id: slot.slot_id.clone(),
        etag: slot.etag.clone(),
        placements: vec![pb::SlotPlacement {
            content_id: content_id.into(),
            ..Default::default()
        }],
    };
    refused(
        client
            .set_slot_placements(with(placements(&c.content_id), a))
            .await,
        Code::InvalidArgument,
        "SLOT_KIND_MISMATCH",
        "placements",
    );
    let missing = client
        .set_slot_placements(with(placements(UNKNOWN), a))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&missing),
        (Code::NotFound, "CONTENT_NOT_FOUND".into())
    );
    {
        use tonic_types::StatusExt;
        let info = missing.get_details_error_info().unwrap();
        assert_eq!(
            info.metadata.get("content_id").map(String::as_str),
            Some(UNKNOWN)
        );
    }
    let mut window = placements(UNKNOWN);
    window.placements[0].start_time = Some(Timestamp {
        seconds: START + 10,
        nanos: 0,
    });
    window.placements[0].end_time = Some(Timestamp {
        seconds: START,
        nanos: 0,
    });
    refused(
        client.set_slot_placements(with(window, a)).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "placements[0].end_time",
    );

    // Consumer reads.
    refused(
        client
            .get_page(tonic::Request::new(pb::GetPageRequest {
                page: "home".into(),
                ..Default::default()
            }))
            .await,
        Code::InvalidArgument,
        "APP_ID_REQUIRED",
        "",
    );
    let app = h.app_id(t.id);
    refused(
        client
            .get_page(guest(
                pb::GetPageRequest {
                    page: "../etc".into(),
                    ..Default::default()
                },
                &app,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "page",
    );
    refused(
        client
            .get_page(guest(
                pb::GetPageRequest {
                    page: "home".into(),
                    store_id: "store-1".into(),
                    ..Default::default()
                },
                &app,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "store_id",
    );
    refused(
        client
            .get_published_content(guest(
                pb::GetPublishedContentRequest {
                    content_id: c.content_id.clone(),
                    ..Default::default()
                },
                &app,
            ))
            .await,
        Code::NotFound,
        "CONTENT_NOT_FOUND",
        "",
    );
    refused(
        client
            .list_published_contents(guest(
                pb::ListPublishedContentsRequest {
                    product_id: "sku'--".into(),
                    ..Default::default()
                },
                &app,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
        "product_id",
    );
}
both!(other_rpcs, the_other_rpcs_refuse_unknown_ids_and_bad_fields);
