//! The funnel: reads → clicks → orders → GMV, grouped by one dimension. Reads, clicks and
//! shares come from engagements (by event time); orders and GMV from the attributed orders
//! orders' events leave here (by payment time), refunds subtracted whenever they arrive.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::{Sources, is_guide_only};
use crate::AppError;
use crate::app::App;
use crate::app::org_scope::{self, Scope};
use crate::repo;

/// Longest report range.
pub const MAX_RANGE_MS: i64 = 366 * 86_400_000;

/// What a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Per content item.
    Content,
    /// Per guide.
    Guide,
    /// Per store.
    Store,
    /// Per share link.
    ShareLink,
    /// Per campaign.
    Campaign,
    /// Per day (Asia/Shanghai).
    Day,
}

impl Dimension {
    /// The column engagements and attributed orders both group on.
    pub fn column(self) -> &'static str {
        match self {
            Self::Content => "content_id",
            Self::Guide => "guide_id",
            Self::Store => "store_id",
            Self::ShareLink => "share_link_id",
            Self::Campaign => "campaign_id",
            Self::Day => "day",
        }
    }
}

/// A report's question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelQuery {
    /// Grouping.
    pub dimension: Dimension,
    /// Range start (inclusive), ms.
    pub start_ms: i64,
    /// Range end (exclusive), ms.
    pub end_ms: i64,
    /// Only these items, guides, stores, campaigns (empty: all).
    pub content_ids: Vec<String>,
    /// Guides.
    pub guide_ids: Vec<String>,
    /// Stores.
    pub store_ids: Vec<String>,
    /// Campaigns.
    pub campaign_ids: Vec<String>,
}

/// One row (or the totals).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunnelRow {
    /// The group key ('' for totals).
    pub key: String,
    /// Display label.
    pub label: String,
    /// Reads.
    pub reads: i64,
    /// Distinct readers.
    pub unique_readers: i64,
    /// Clicks.
    pub clicks: i64,
    /// Distinct clickers.
    pub unique_clickers: i64,
    /// Shares.
    pub shares: i64,
    /// Paid orders.
    pub orders: i64,
    /// Distinct buyers.
    pub buyers: i64,
    /// Paid minus refunded, minor units.
    pub gmv_minor: i64,
    /// Currency of `gmv_minor`.
    pub currency: String,
}

/// An order paid with an attribution (from OrderPaid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributedOrder {
    /// The order id.
    pub order_id: String,
    /// Its attribution.
    pub sources: Sources,
    /// The share link it carried.
    pub share_link_id: String,
    /// The buyer.
    pub buyer: String,
    /// Paid amount, minor units.
    pub paid_minor: i64,
    /// Currency.
    pub currency: String,
    /// Payment time, ms.
    pub paid_at_ms: i64,
}

impl App {
    /// Keeps `order` for the funnel (once per order id: a repeat changes nothing).
    pub async fn attribute_order(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        order: &AttributedOrder,
    ) -> Result<bool, AppError> {
        repo::shares::funnel::insert_order(
            conn,
            tenant,
            order,
            &super::engagements::day_of(order.paid_at_ms),
        )
        .await
    }

    /// Keeps a refund of `order_id` (once per refund id).
    pub async fn attribute_refund(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        refund_id: &str,
        order_id: &str,
        amount_minor: i64,
    ) -> Result<bool, AppError> {
        repo::shares::funnel::insert_refund(conn, tenant, refund_id, order_id, amount_minor).await
    }

    /// The report's rows (GMV descending, then key) and totals. Guides see their own numbers
    /// by guide only; store managers their stores'.
    pub async fn funnel(
        &self,
        ctx: &Ctx,
        mut q: FunnelQuery,
    ) -> Result<(Vec<FunnelRow>, FunnelRow), AppError> {
        if is_guide_only(ctx) {
            if q.dimension != Dimension::Guide {
                return Err(AppError::PermissionDenied);
            }
            q.guide_ids = vec![ctx.principal.subject.clone()];
        } else if let Scope::Units(units) = org_scope::scope(ctx) {
            let mine: Vec<String> = units.iter().map(ToString::to_string).collect();
            q.store_ids = if q.store_ids.is_empty() {
                mine
            } else {
                q.store_ids
                    .into_iter()
                    .filter(|s| mine.contains(s))
                    .collect()
            };
            // None of the stores asked for is theirs: nothing to report (an empty filter
            // would mean every store).
            if q.store_ids.is_empty() {
                return Ok((Vec::new(), FunnelRow::default()));
            }
        }
        let mut rows = repo::shares::funnel::rows(&self.db, ctx.tenant, &q, true).await?;
        let total = repo::shares::funnel::rows(&self.db, ctx.tenant, &q, false)
            .await?
            .pop()
            .unwrap_or_default();
        rows.sort_by(|a, b| {
            b.gmv_minor
                .cmp(&a.gmv_minor)
                .then_with(|| a.key.cmp(&b.key))
        });
        self.label(ctx.tenant, q.dimension, &mut rows).await?;
        Ok((rows, total))
    }

    /// Labels rows: an item's title, a link's label; other keys are ids the console names.
    async fn label(
        &self,
        tenant: TenantId,
        dimension: Dimension,
        rows: &mut [FunnelRow],
    ) -> Result<(), AppError> {
        match dimension {
            Dimension::Content => {
                let ids: Vec<Uuid> = rows
                    .iter()
                    .filter_map(|r| Uuid::parse_str(&r.key).ok())
                    .collect();
                let items = repo::contents::get_many(&self.db, tenant, &ids).await?;
                for r in rows.iter_mut() {
                    if let Some(c) = items.iter().find(|c| c.id.to_string() == r.key) {
                        r.label = c.latest.body.title().to_owned();
                    }
                }
            }
            Dimension::ShareLink => {
                for r in rows.iter_mut() {
                    let Ok(id) = Uuid::parse_str(&r.key) else {
                        continue;
                    };
                    if let Some(l) = repo::shares::get(&self.db, tenant, id).await? {
                        r.label = l.label;
                    }
                }
            }
            Dimension::Day => {
                for r in rows.iter_mut() {
                    r.label.clone_from(&r.key);
                }
            }
            Dimension::Guide | Dimension::Store | Dimension::Campaign => {}
        }
        Ok(())
    }
}
