//! An item's life through the contract: create, edit, publish, schedule, unschedule, archive,
//! republish; versions and restore; staff scope and tenant isolation; idempotent retries.

use prost_types::FieldMask;
use sea_orm::ConnectionTrait as _;
use siyu_core::PrincipalKind;
use siyu_proto::content::v1 as pb;
use tonic::Code;

use crate::both;
use crate::harness::{H, Tenant, article, code_reason, keyed, with};

fn title(c: &pb::ContentItem) -> String {
    match c.body.as_ref().unwrap() {
        pb::content_item::Body::Article(a) => a.title.clone(),
        pb::content_item::Body::Banner(b) => b.title.clone(),
    }
}

async fn edit(h: &H, t: &Tenant, c: &pb::ContentItem, new_title: &str) -> pb::ContentItem {
    let mut item = article(new_title, &["新品"]);
    item.content_id.clone_from(&c.content_id);
    item.etag.clone_from(&c.etag);
    h.client()
        .update_content(with(
            pb::UpdateContentRequest {
                content: Some(item),
                update_mask: Some(FieldMask {
                    paths: vec!["article.title".into(), "tags".into()],
                }),
                note: format!("retitled {new_title}"),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap()
}

async fn an_item_lives_from_draft_to_archive_and_back(h: H) {
    let t = Tenant::new(&h);
    let c = h.article(&t.admin, "春季上新", &["新品"]).await;
    assert_eq!(c.status, pb::ContentStatus::Draft as i32);
    assert_eq!((c.version, c.published_version), (1, 0));

    let live = h.publish(&t.admin, &c.content_id).await;
    assert_eq!(live.status, pb::ContentStatus::Published as i32);
    assert_eq!((live.version, live.published_version), (1, 1));
    assert!(!live.has_unpublished_changes);
    assert_eq!(h.published_events().await, 1);

    // An edit is a new version; the live one stays live.
    let edited = edit(&h, &t, &live, "春季上新 第二版").await;
    assert_eq!((edited.version, edited.published_version), (2, 1));
    assert!(edited.has_unpublished_changes);
    assert_eq!(title(&edited), "春季上新 第二版");
    let consumer_view = h
        .client()
        .get_published_content(with(
            pb::GetPublishedContentRequest {
                content_id: c.content_id.clone(),
                ..Default::default()
            },
            &t.consumer,
        ))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap();
    let pb::published_content::Body::Article(a) = consumer_view.body.unwrap() else {
        panic!("an article")
    };
    assert_eq!(a.title, "春季上新");
    assert!(a.body_markdown.contains("**加粗**"));

    // Scheduling version 2 keeps version 1 live; unscheduling returns to PUBLISHED.
    let at = prost_types::Timestamp {
        seconds: crate::harness::START + 3600,
        nanos: 0,
    };
    let scheduled = h
        .client()
        .publish_content(with(
            pb::PublishContentRequest {
                content_id: c.content_id.clone(),
                version: 0,
                publish_time: Some(at),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap();
    assert_eq!(scheduled.status, pb::ContentStatus::Scheduled as i32);
    assert_eq!(scheduled.scheduled_publish_time, Some(at));
    assert_eq!(scheduled.published_version, 1);
    let unscheduled = h
        .client()
        .unschedule_content(with(
            pb::UnscheduleContentRequest {
                content_id: c.content_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap();
    assert_eq!(unscheduled.status, pb::ContentStatus::Published as i32);
    assert_eq!(unscheduled.scheduled_publish_time, None);

    // Archive hides it; archiving again changes nothing; publishing republishes.
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
    assert_eq!(archived.status, pb::ContentStatus::Archived as i32);
    let again = h
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
    assert_eq!(again.etag, archived.etag);
    let gone = h
        .client()
        .get_published_content(with(
            pb::GetPublishedContentRequest {
                content_id: c.content_id.clone(),
                ..Default::default()
            },
            &t.consumer,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&gone),
        (Code::FailedPrecondition, "CONTENT_ARCHIVED".into())
    );
    let republished = h.publish(&t.admin, &c.content_id).await;
    assert_eq!(republished.status, pb::ContentStatus::Published as i32);
    assert_eq!(republished.published_version, 2);
    assert_eq!(republished.first_publish_time, live.first_publish_time);
    assert_eq!(h.published_events().await, 2);

    // Staff reads.
    let got = h
        .client()
        .get_content(with(
            pb::GetContentRequest {
                content_id: c.content_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap();
    assert_eq!(got, republished);
}
both!(an_item_lives, an_item_lives_from_draft_to_archive_and_back);

async fn restore_copies_an_old_version_into_a_new_one(h: H) {
    let t = Tenant::new(&h);
    let c = h.article(&t.admin, "第一版", &[]).await;
    let v2 = edit(&h, &t, &c, "第二版").await;
    let restored = h
        .client()
        .restore_content_version(with(
            pb::RestoreContentVersionRequest {
                content_id: c.content_id.clone(),
                version: 1,
                etag: v2.etag.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap();
    assert_eq!(restored.version, 3);
    assert_eq!(title(&restored), "第一版");
    let versions = h
        .client()
        .list_content_versions(with(
            pb::ListContentVersionsRequest {
                content_id: c.content_id.clone(),
                page: Some(siyu_proto::common::v1::PageRequest {
                    page_size: 2,
                    page_token: String::new(),
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let numbers: Vec<i32> = versions.versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, vec![3, 2]);
    assert_eq!(versions.versions[0].note, "restored from version 1");
    let rest = h
        .client()
        .list_content_versions(with(
            pb::ListContentVersionsRequest {
                content_id: c.content_id.clone(),
                page: Some(siyu_proto::common::v1::PageRequest {
                    page_size: 2,
                    page_token: versions.page.unwrap().next_page_token,
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.versions.len(), 1);
    // History is never rewritten: version 2 still holds its title.
    let v2_again = h
        .client()
        .get_content_version(with(
            pb::GetContentVersionRequest {
                content_id: c.content_id.clone(),
                version: 2,
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .version
        .unwrap();
    let pb::content_version::Body::Article(a) = v2_again.body.unwrap() else {
        panic!("an article")
    };
    assert_eq!(a.title, "第二版");
    assert!(!v2_again.published);
}
both!(restore, restore_copies_an_old_version_into_a_new_one);

async fn lists_filter_and_scope_and_tenants_are_apart(h: H) {
    let t = Tenant::new(&h);
    let a = h.article(&t.admin, "Spring Sale", &["促销"]).await;
    h.article(&t.admin, "Autumn notes", &["日记"]).await;
    h.publish(&t.admin, &a.content_id).await;
    let list = |req: pb::ListContentsRequest, token: String| {
        let mut client = h.client();
        async move {
            client
                .list_contents(with(req, &token))
                .await
                .unwrap()
                .into_inner()
                .contents
        }
    };
    let tagged = list(
        pb::ListContentsRequest {
            tag: "促销".into(),
            ..Default::default()
        },
        t.admin.clone(),
    )
    .await;
    assert_eq!(tagged.len(), 1);
    // Lists leave the markdown out.
    let pb::content_item::Body::Article(body) = tagged[0].body.clone().unwrap() else {
        panic!("an article")
    };
    assert!(body.body_markdown.is_empty());
    let by_query = list(
        pb::ListContentsRequest {
            query: "spring".into(),
            ..Default::default()
        },
        t.admin.clone(),
    )
    .await;
    assert_eq!(by_query.len(), 1);
    let drafts = list(
        pb::ListContentsRequest {
            statuses: vec![pb::ContentStatus::Draft as i32],
            ..Default::default()
        },
        t.admin.clone(),
    )
    .await;
    assert_eq!(drafts.len(), 1);
    let partner = h.token(t.id, PrincipalKind::Partner, &[], &["content.read"]);
    assert_eq!(
        list(pb::ListContentsRequest::default(), partner)
            .await
            .len(),
        1
    );

    // A store manager sees and creates only items of their store.
    assert!(
        list(pb::ListContentsRequest::default(), t.manager.clone())
            .await
            .is_empty()
    );
    let refused = h
        .client()
        .create_content(with(
            pb::CreateContentRequest {
                content: Some(article("HQ", &[])),
                note: String::new(),
            },
            &t.manager,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&refused),
        (Code::InvalidArgument, "INVALID_ARGUMENT".into())
    );
    let mut own = article("门店活动", &[]);
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
    assert_eq!(
        list(pb::ListContentsRequest::default(), t.manager.clone())
            .await
            .len(),
        1
    );
    let hq_item = h
        .client()
        .publish_content(with(
            pb::PublishContentRequest {
                content_id: a.content_id.clone(),
                ..Default::default()
            },
            &t.manager,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&hq_item),
        (Code::NotFound, "CONTENT_NOT_FOUND".into())
    );
    h.publish(&t.manager, &own.content_id).await;

    // Another tenant sees nothing of this one.
    let other = Tenant::new(&h);
    let err = h
        .client()
        .get_content(with(
            pb::GetContentRequest {
                content_id: a.content_id.clone(),
            },
            &other.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::NotFound, "CONTENT_NOT_FOUND".into())
    );
    assert!(
        list(pb::ListContentsRequest::default(), other.admin.clone())
            .await
            .is_empty()
    );
}
both!(
    lists_and_scope,
    lists_filter_and_scope_and_tenants_are_apart
);

async fn a_retried_create_returns_the_first_reply(h: H) {
    let t = Tenant::new(&h);
    let req = || pb::CreateContentRequest {
        content: Some(article("一次", &[])),
        note: String::new(),
    };
    let first = h
        .client()
        .create_content(keyed(with(req(), &t.admin), "k-1"))
        .await
        .unwrap()
        .into_inner();
    let second = h
        .client()
        .create_content(keyed(with(req(), &t.admin), "k-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, second);
    let n = h.scalar("SELECT COUNT(*) FROM cnt_contents", vec![]).await;
    assert_eq!(n, 1);
    let mut other = req();
    other.note = "different".into();
    let err = h
        .client()
        .create_content(keyed(with(other, &t.admin), "k-1"))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&err),
        (Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED".into())
    );
}
both!(idempotent_create, a_retried_create_returns_the_first_reply);

async fn concurrent_edits_of_one_etag_keep_one(h: H) {
    let t = Tenant::new(&h);
    let c = h.article(&t.admin, "原文", &[]).await;
    let edits = (0..6).map(|i| {
        let mut client = h.client();
        let mut item = article(&format!("改稿 {i}"), &[]);
        item.content_id.clone_from(&c.content_id);
        item.etag.clone_from(&c.etag);
        let token = t.admin.clone();
        tokio::spawn(async move {
            client
                .update_content(with(
                    pb::UpdateContentRequest {
                        content: Some(item),
                        update_mask: Some(FieldMask {
                            paths: vec!["article.title".into()],
                        }),
                        note: String::new(),
                    },
                    &token,
                ))
                .await
        })
    });
    let results = futures::future::join_all(edits).await;
    let mut won = 0;
    for r in results {
        match r.unwrap() {
            Ok(_) => won += 1,
            Err(s) => assert_eq!(
                code_reason(&s),
                (Code::Aborted, "CONCURRENT_MODIFICATION".into())
            ),
        }
    }
    assert_eq!(won, 1);
    let versions = h.scalar("SELECT COUNT(*) FROM cnt_versions", vec![]).await;
    assert_eq!(versions, 2, "version 1 and the one edit that won");
}
both!(concurrent_edits, concurrent_edits_of_one_etag_keep_one);

async fn content_published_carries_the_live_version(h: H) {
    use prost::Message;
    let t = Tenant::new(&h);
    let c = h.article(&t.admin, "上新", &["新品"]).await;
    h.publish(&t.admin, &c.content_id).await;
    let b = h.db.db.get_database_backend();
    let row =
        h.db.db
            .query_one_raw(sea_orm::Statement::from_string(
                b,
                "SELECT payload FROM siyu_outbox WHERE subject = 'content.content_published'",
            ))
            .await
            .unwrap()
            .unwrap();
    let payload: Vec<u8> = row.try_get_by_index(0).unwrap();
    let envelope = siyu_proto::events::v1::EventEnvelope::decode(payload.as_slice()).unwrap();
    assert_eq!(envelope.r#type, "siyu.events.v1.ContentPublished");
    assert_eq!(envelope.subject_id, c.content_id);
    assert_eq!(envelope.tenant_id, t.id.to_string());
    let event = siyu_proto::events::v1::ContentPublished::decode(
        envelope.payload.unwrap().value.as_slice(),
    )
    .unwrap();
    assert_eq!(
        (event.kind.as_str(), event.version, event.title.as_str()),
        ("article", 1, "上新")
    );
    assert_eq!(event.tags, vec!["新品".to_owned()]);
    assert!(event.first_publication);
}
both!(published_event, content_published_carries_the_live_version);
