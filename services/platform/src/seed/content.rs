//! Seeding content for the demo tenant: two published articles placed in a feed slot of the
//! home page, so that `GET /api/v1/pages/home` shows something before anyone writes content.

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use siyu_proto::content::v1 as pb;
use siyu_proto::content::v1::content_service_client::ContentServiceClient;
use tonic::transport::Channel;

use super::{Seed, SeedRecord, Seeding, Step, authed, pending_reason};

/// The record key of content's demo data.
const KEY: &str = "content";

/// The demo articles: (title, summary, markdown, tag).
const ARTICLES: [(&str, &str, &str, &str); 2] = [
    (
        "春季新品上市",
        "轻薄外套与亚麻衬衫，本周门店同步到货。",
        "## 春季新品\n\n本季主打**轻薄外套**与**亚麻衬衫**，门店与小程序同步上新。\n\n- 会员专享九折\n- 满 299 元包邮\n\n[查看新品](/pages/category/index?tag=spring)",
        "新品",
    ),
    (
        "会员积分怎么用",
        "积分抵现、兑换好礼，一篇看懂。",
        "## 积分规则\n\n每消费 1 元积 1 分，**100 积分抵 1 元**。\n\n1. 下单时勾选积分抵扣\n2. 积分有效期 12 个月\n\n[我的积分](/pages/member/points)",
        "会员",
    ),
];

/// What was seeded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContentSeedRecord {
    /// The home page's feed slot.
    pub slot_id: String,
    /// The published articles, in page order.
    pub article_ids: Vec<String>,
}

/// Content's demo data.
#[derive(Debug)]
pub struct ContentSeed;

async fn seed_home(
    client: &mut ContentServiceClient<Channel>,
    admin: &str,
) -> Result<ContentSeedRecord, tonic::Status> {
    let mut article_ids = Vec::new();
    for (i, (title, summary, markdown, tag)) in ARTICLES.iter().enumerate() {
        let created = client
            .create_content(authed(
                pb::CreateContentRequest {
                    content: Some(pb::ContentItem {
                        kind: pb::ContentKind::Article.into(),
                        body: Some(pb::content_item::Body::Article(pb::ArticleBody {
                            title: (*title).into(),
                            summary: (*summary).into(),
                            body_markdown: (*markdown).into(),
                            author_name: "思域小店".into(),
                            ..Default::default()
                        })),
                        tags: vec![(*tag).into()],
                        ..Default::default()
                    }),
                    note: "demo".into(),
                },
                admin,
                Some(&format!("seed-content-article-{i}")),
            ))
            .await?
            .into_inner()
            .content
            .unwrap_or_default();
        client
            .publish_content(authed(
                pb::PublishContentRequest {
                    content_id: created.content_id.clone(),
                    ..Default::default()
                },
                admin,
                Some(&format!("seed-content-publish-{i}")),
            ))
            .await?;
        article_ids.push(created.content_id);
    }
    let slot = client
        .create_slot(authed(
            pb::CreateSlotRequest {
                slot: Some(pb::Slot {
                    code: "home.feed".into(),
                    name: "首页文章".into(),
                    page: "home".into(),
                    layout: pb::SlotLayout::Feed.into(),
                    max_items: 10,
                    sort_order: 10,
                    enabled: true,
                    ..Default::default()
                }),
            },
            admin,
            Some("seed-content-slot"),
        ))
        .await?
        .into_inner()
        .slot
        .unwrap_or_default();
    client
        .set_slot_placements(authed(
            pb::SetSlotPlacementsRequest {
                slot_id: slot.slot_id.clone(),
                etag: slot.etag.clone(),
                placements: article_ids
                    .iter()
                    .zip(0..)
                    .map(|(id, order)| pb::SlotPlacement {
                        content_id: id.clone(),
                        sort_order: order,
                        ..Default::default()
                    })
                    .collect(),
            },
            admin,
            Some("seed-content-placements"),
        ))
        .await?;
    Ok(ContentSeedRecord {
        slot_id: slot.slot_id,
        article_ids,
    })
}

impl Seed for ContentSeed {
    fn seed<'a>(&'a self, seeding: &'a mut Seeding) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            if seeding.record.get::<ContentSeedRecord>(KEY).is_some() {
                seeding.step("content", Step::Done);
                return Ok(());
            }
            let Some(admin) = seeding.admin_token.clone() else {
                seeding.step("content", Step::Pending("no tenant admin".into()));
                return Ok(());
            };
            let channel = seeding.channel(crate::registry::content::NAME)?;
            let mut client = ContentServiceClient::new(channel);
            match seed_home(&mut client, &admin).await {
                Ok(record) => {
                    seeding.record.put(KEY, &record)?;
                    seeding.step("content", Step::Done);
                }
                Err(status) => {
                    seeding.step(
                        "content",
                        Step::Pending(pending_reason("the home page", &status)),
                    );
                }
            }
            seeding.save()
        })
    }

    fn summary(&self, record: &SeedRecord) -> Vec<(&'static str, String)> {
        let Some(c) = record.get::<ContentSeedRecord>(KEY) else {
            return Vec::new();
        };
        vec![(
            "content",
            format!("home page with {} published articles", c.article_ids.len()),
        )]
    }

    fn examples(&self, record: &SeedRecord, gateway: &str) -> Vec<String> {
        let (Some(_), Some(app)) = (record.get::<ContentSeedRecord>(KEY), record.app.as_ref())
        else {
            return Vec::new();
        };
        vec![
            "  # The home page, as a shopper sees it before logging in:".to_owned(),
            format!(
                "  curl -s {gateway}/api/v1/pages/home -H 'x-siyu-app-id: {}'",
                app.app_id
            ),
        ]
    }
}
