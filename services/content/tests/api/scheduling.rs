//! Scheduled publishing: nothing before the time; at the time, two runners racing publish the
//! item — and write its ContentPublished — exactly once. Expiry archives.

use std::time::Duration;

use siyu_proto::content::v1 as pb;

use crate::both;
use crate::harness::{H, START, Tenant, with};

async fn schedule(h: &H, t: &Tenant, content_id: &str, at: i64) {
    h.client()
        .publish_content(with(
            pb::PublishContentRequest {
                content_id: content_id.into(),
                version: 0,
                publish_time: Some(prost_types::Timestamp {
                    seconds: at,
                    nanos: 0,
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap();
}

async fn two_runners_publish_a_scheduled_item_once(h: H) {
    let t = Tenant::new(&h);
    let mut ids = Vec::new();
    for i in 0..5 {
        let c = h.article(&t.admin, &format!("预告 {i}"), &[]).await;
        schedule(&h, &t, &c.content_id, START + 600).await;
        ids.push(c.content_id);
    }
    let a = h.app_layer();
    let b = h.app_layer();
    assert_eq!(a.run_jobs_pass().await.unwrap().published, 0);
    assert_eq!(h.published_events().await, 0);

    h.clock.advance(chrono::Duration::seconds(600));
    let (ra, rb) = tokio::join!(a.publish_due(), b.publish_due());
    assert_eq!(ra.unwrap() + rb.unwrap(), 5);
    assert_eq!(h.published_events().await, 5);
    // A later pass finds nothing to do.
    assert_eq!(a.run_jobs_pass().await.unwrap().published, 0);
    assert_eq!(h.published_events().await, 5);
    for id in &ids {
        let c = h
            .client()
            .get_content(with(
                pb::GetContentRequest {
                    content_id: id.clone(),
                },
                &t.admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .content
            .unwrap();
        assert_eq!(c.status, pb::ContentStatus::Published as i32);
        assert_eq!(c.published_version, 1);
        assert_eq!(c.updated_by, "system:scheduler");
    }
}
both!(two_runners, two_runners_publish_a_scheduled_item_once);

async fn many_runners_race_for_one_item(h: H) {
    let t = Tenant::new(&h);
    let c = h.article(&t.admin, "整点开抢", &[]).await;
    schedule(&h, &t, &c.content_id, START + 60).await;
    h.clock.advance(chrono::Duration::seconds(61));
    let tenant = t.id;
    let id: uuid::Uuid = c.content_id.parse().unwrap();
    let runs = (0..8).map(|_| {
        let app = h.app_layer();
        tokio::spawn(async move { app.publish_scheduled(tenant, id).await.unwrap() })
    });
    let done = futures::future::join_all(runs).await;
    let published = done.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(published, 1);
    assert_eq!(h.published_events().await, 1);
}
both!(one_item_many_runners, many_runners_race_for_one_item);

async fn an_unscheduled_item_is_not_published_and_expiry_archives(h: H) {
    let t = Tenant::new(&h);
    let c = h.article(&t.admin, "取消", &[]).await;
    schedule(&h, &t, &c.content_id, START + 60).await;
    h.client()
        .unschedule_content(with(
            pb::UnscheduleContentRequest {
                content_id: c.content_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    h.clock.advance(chrono::Duration::seconds(120));
    assert_eq!(h.app_layer().run_jobs_pass().await.unwrap().published, 0);

    let mut item = crate::harness::article("限时", &[]);
    item.expire_time = Some(prost_types::Timestamp {
        seconds: START + 120 + 600,
        nanos: 0,
    });
    let e = h
        .client()
        .create_content(with(
            pb::CreateContentRequest {
                content: Some(item),
                note: String::new(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap();
    h.publish(&t.admin, &e.content_id).await;
    h.clock
        .advance(chrono::Duration::from_std(Duration::from_secs(600)).unwrap());
    assert_eq!(h.app_layer().run_jobs_pass().await.unwrap().expired, 1);
    let got = h
        .client()
        .get_content(with(
            pb::GetContentRequest {
                content_id: e.content_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap();
    assert_eq!(got.status, pb::ContentStatus::Archived as i32);
}
both!(
    unschedule_and_expiry,
    an_unscheduled_item_is_not_published_and_expiry_archives
);

async fn concurrent_publishes_write_one_event(h: H) {
    let t = Tenant::new(&h);
    let c = h.article(&t.admin, "同时发布", &[]).await;
    let calls = (0..6).map(|_| {
        let mut client = h.client();
        let token = t.admin.clone();
        let id = c.content_id.clone();
        tokio::spawn(async move {
            client
                .publish_content(with(
                    pb::PublishContentRequest {
                        content_id: id,
                        ..Default::default()
                    },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner()
                .content
                .unwrap()
        })
    });
    for done in futures::future::join_all(calls).await {
        assert_eq!(done.unwrap().published_version, 1);
    }
    assert_eq!(h.published_events().await, 1);
}
both!(concurrent_publishes, concurrent_publishes_write_one_event);

async fn a_publish_time_in_the_past_publishes_now(h: H) {
    let t = Tenant::new(&h);
    let c = h.article(&t.admin, "补发", &[]).await;
    let live = h
        .client()
        .publish_content(with(
            pb::PublishContentRequest {
                content_id: c.content_id.clone(),
                version: 0,
                publish_time: Some(prost_types::Timestamp {
                    seconds: START - 86_400,
                    nanos: 0,
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .content
        .unwrap();
    assert_eq!(live.status, pb::ContentStatus::Published as i32);
    assert_eq!(live.scheduled_publish_time, None);
    assert_eq!(live.publish_time.unwrap().seconds, START);
    assert_eq!(h.published_events().await, 1);
}
both!(past_publish_time, a_publish_time_in_the_past_publishes_now);

#[tokio::test]
async fn two_replicas_running_their_jobs_publish_once() {
    let h = H::pg_with_jobs().await;
    let second = h.second_replica().await;
    let t = Tenant::new(&h);
    let c = h.article(&t.admin, "两个副本", &[]).await;
    schedule(&h, &t, &c.content_id, START + 30).await;
    h.clock.advance(chrono::Duration::seconds(31));
    siyu_testkit::wait_until(Duration::from_secs(20), || async {
        h.published_events().await == 1
    })
    .await
    .unwrap();
    // A further pass (of either replica, or a third runner) adds nothing.
    assert_eq!(h.app_layer().run_jobs_pass().await.unwrap().published, 0);
    assert_eq!(h.published_events().await, 1);
    let item = h
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
    assert_eq!(item.status, pb::ContentStatus::Published as i32);
    second.stop().await.unwrap();
}
