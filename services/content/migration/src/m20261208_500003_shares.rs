//! Share links (scene codes), engagements and the orders attributed to them: the funnel's
//! three inputs. Attribution ids (guide, store, campaign, sharer, content) are TEXT ('' = none)
//! because they are compared with the strings orders' events carry, and a guide or sharer id
//! is the caller's subject, not always a UUID.

use sea_orm_migration::prelude::*;

/// Creates the share link, engagement and attributed order tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // dedupe_key: (creator, source fields, page) hashed, so the same creator sharing
                // the same thing again finds the same link under a unique index.
                "CREATE TABLE cnt_share_links (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    scene_code TEXT NOT NULL,
                    source_kind SMALLINT NOT NULL,
                    content_id TEXT NOT NULL DEFAULT '',
                    guide_id TEXT NOT NULL DEFAULT '',
                    store_id TEXT NOT NULL DEFAULT '',
                    campaign_id TEXT NOT NULL DEFAULT '',
                    product_id TEXT NOT NULL DEFAULT '',
                    sharer_user_id TEXT NOT NULL DEFAULT '',
                    channel INTEGER NOT NULL,
                    page_path TEXT NOT NULL,
                    page_query TEXT NOT NULL,
                    label TEXT NOT NULL,
                    expire_ms BIGINT,
                    disabled BOOLEAN NOT NULL,
                    created_by TEXT NOT NULL,
                    dedupe_key TEXT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE UNIQUE INDEX cnt_share_links_scene ON cnt_share_links (tenant, scene_code)",
                "CREATE UNIQUE INDEX cnt_share_links_dedupe ON cnt_share_links (tenant, dedupe_key)",
                "CREATE INDEX cnt_share_links_created ON cnt_share_links (tenant, created_at_ms, id)",
                // kind: EngagementKind numbers. viewer: 'user:<id>' or 'device:<id>'. day: the
                // Asia/Shanghai date of `at_ms`. The two partial unique indexes are the
                // idempotency of a client event and the once-per-viewer-and-day rule of reads;
                // inserts say ON CONFLICT DO NOTHING, so a duplicate simply counts nothing.
                "CREATE TABLE cnt_engagements (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    kind SMALLINT NOT NULL,
                    content_id TEXT NOT NULL DEFAULT '',
                    share_link_id TEXT NOT NULL DEFAULT '',
                    guide_id TEXT NOT NULL DEFAULT '',
                    store_id TEXT NOT NULL DEFAULT '',
                    campaign_id TEXT NOT NULL DEFAULT '',
                    viewer TEXT NOT NULL,
                    client_event_id TEXT NOT NULL DEFAULT '',
                    target TEXT NOT NULL DEFAULT '',
                    day TEXT NOT NULL,
                    at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE UNIQUE INDEX cnt_engagements_client ON cnt_engagements
                    (tenant, client_event_id) WHERE client_event_id <> ''",
                "CREATE UNIQUE INDEX cnt_engagements_read ON cnt_engagements
                    (tenant, viewer, content_id, day) WHERE kind = 1",
                "CREATE INDEX cnt_engagements_at ON cnt_engagements (tenant, at_ms)",
                // One row per paid order carrying an attribution (from OrderPaid), amounts in
                // minor units of `currency`; day: the Asia/Shanghai date of the payment.
                "CREATE TABLE cnt_attributed_orders (
                    tenant {uuid} NOT NULL,
                    order_id TEXT NOT NULL,
                    share_link_id TEXT NOT NULL DEFAULT '',
                    content_id TEXT NOT NULL DEFAULT '',
                    guide_id TEXT NOT NULL DEFAULT '',
                    store_id TEXT NOT NULL DEFAULT '',
                    campaign_id TEXT NOT NULL DEFAULT '',
                    buyer TEXT NOT NULL,
                    paid_minor BIGINT NOT NULL,
                    currency TEXT NOT NULL,
                    paid_at_ms BIGINT NOT NULL,
                    day TEXT NOT NULL,
                    PRIMARY KEY (tenant, order_id)
                )",
                "CREATE INDEX cnt_attributed_orders_paid ON cnt_attributed_orders
                    (tenant, paid_at_ms)",
                // Refunds by refund id; joined to their order at report time, so a refund
                // delivered before its OrderPaid still reduces GMV once the order arrives.
                "CREATE TABLE cnt_attributed_refunds (
                    tenant {uuid} NOT NULL,
                    refund_id TEXT NOT NULL,
                    order_id TEXT NOT NULL,
                    amount_minor BIGINT NOT NULL,
                    PRIMARY KEY (tenant, refund_id)
                )",
                "CREATE INDEX cnt_attributed_refunds_order ON cnt_attributed_refunds
                    (tenant, order_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE cnt_attributed_refunds",
                "DROP TABLE cnt_attributed_orders",
                "DROP TABLE cnt_engagements",
                "DROP TABLE cnt_share_links",
            ],
        )
        .await
    }
}
