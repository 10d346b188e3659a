//! `cnt_attributed_orders`, `cnt_attributed_refunds` and the funnel's aggregates over them and
//! `cnt_engagements`.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use super::super::{execute, fetch_all, uuid};
use crate::AppError;
use crate::app::shares::funnel::{AttributedOrder, FunnelQuery, FunnelRow};

/// Keeps an attributed order; false when the order id is already kept.
pub async fn insert_order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    o: &AttributedOrder,
    day: &str,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO cnt_attributed_orders (tenant, order_id, share_link_id, content_id,
            guide_id, store_id, campaign_id, buyer, paid_minor, currency, paid_at_ms, day)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT DO NOTHING",
        [
            uuid(tenant.0),
            o.order_id.as_str().into(),
            o.share_link_id.as_str().into(),
            o.sources.content_id.as_str().into(),
            o.sources.guide_id.as_str().into(),
            o.sources.store_id.as_str().into(),
            o.sources.campaign_id.as_str().into(),
            o.buyer.as_str().into(),
            o.paid_minor.into(),
            o.currency.as_str().into(),
            o.paid_at_ms.into(),
            day.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Keeps a refund; false when the refund id is already kept.
pub async fn insert_refund(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    refund_id: &str,
    order_id: &str,
    amount_minor: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO cnt_attributed_refunds (tenant, refund_id, order_id, amount_minor)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        [
            uuid(tenant.0),
            refund_id.into(),
            order_id.into(),
            amount_minor.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

#[derive(Debug, FromQueryResult)]
struct EngagementAgg {
    key: String,
    kind: i16,
    n: i64,
    viewers: i64,
}

#[derive(Debug, FromQueryResult)]
struct OrderAgg {
    key: String,
    n: i64,
    buyers: i64,
    paid: i64,
    refunded: i64,
    currency: String,
}

/// `WHERE` of one table for `q`: tenant, time column within the range, the filters, and a
/// non-empty key when grouped.
fn filter(q: &FunnelQuery, tenant: TenantId, time: &str, grouped: bool) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = vec![uuid(tenant.0), q.start_ms.into(), q.end_ms.into()];
    let mut sql = format!("x.tenant = $1 AND x.{time} >= $2 AND x.{time} < $3");
    for (column, ids) in [
        ("content_id", &q.content_ids),
        ("guide_id", &q.guide_ids),
        ("store_id", &q.store_ids),
        ("campaign_id", &q.campaign_ids),
    ] {
        if ids.is_empty() {
            continue;
        }
        let ps: Vec<String> = ids
            .iter()
            .map(|id| {
                values.push(id.as_str().into());
                format!("${}", values.len())
            })
            .collect();
        sql.push_str(&format!(" AND x.{column} IN ({})", ps.join(", ")));
    }
    if grouped {
        sql.push_str(&format!(" AND x.{} <> ''", q.dimension.column()));
    }
    (sql, values)
}

/// The funnel's rows per key of the dimension (`grouped`), or one row of totals over every
/// attributed engagement and order matching the filters.
pub async fn rows(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    q: &FunnelQuery,
    grouped: bool,
) -> Result<Vec<FunnelRow>, AppError> {
    let key = if grouped {
        format!("x.{}", q.dimension.column())
    } else {
        "''".to_owned()
    };
    let group = if grouped {
        format!(" GROUP BY x.{}", q.dimension.column())
    } else {
        String::new()
    };
    // Totals count only what is attributed to something of the dimension.
    let (w, values) = filter(q, tenant, "at_ms", true);
    let engagements: Vec<EngagementAgg> = fetch_all(
        conn,
        &format!(
            "SELECT {key} AS key, x.kind AS kind, COUNT(*) AS n, COUNT(DISTINCT x.viewer) AS viewers
             FROM cnt_engagements x WHERE {w}{group}{sep} x.kind",
            sep = if grouped { "," } else { " GROUP BY" },
        ),
        values,
    )
    .await?;
    let (w, values) = filter(q, tenant, "paid_at_ms", true);
    let orders: Vec<OrderAgg> = fetch_all(
        conn,
        &format!(
            "SELECT {key} AS key, COUNT(*) AS n, COUNT(DISTINCT x.buyer) AS buyers,
                CAST(COALESCE(SUM(x.paid_minor), 0) AS BIGINT) AS paid,
                CAST(COALESCE(SUM(r.amount), 0) AS BIGINT) AS refunded,
                COALESCE(MAX(x.currency), '') AS currency
             FROM cnt_attributed_orders x
             LEFT JOIN (SELECT order_id, SUM(amount_minor) AS amount FROM cnt_attributed_refunds
                WHERE tenant = $1 GROUP BY order_id) r ON r.order_id = x.order_id
             WHERE {w}{group}"
        ),
        values,
    )
    .await?;
    let mut out: BTreeMap<String, FunnelRow> = BTreeMap::new();
    for e in engagements {
        let r = out.entry(e.key.clone()).or_insert_with(|| FunnelRow {
            key: e.key.clone(),
            ..FunnelRow::default()
        });
        match e.kind {
            1 => (r.reads, r.unique_readers) = (e.n, e.viewers),
            2 => (r.clicks, r.unique_clickers) = (e.n, e.viewers),
            _ => r.shares = e.n,
        }
    }
    for o in orders {
        if !grouped && o.n == 0 {
            continue;
        }
        let r = out.entry(o.key.clone()).or_insert_with(|| FunnelRow {
            key: o.key.clone(),
            ..FunnelRow::default()
        });
        r.orders = o.n;
        r.buyers = o.buyers;
        r.gmv_minor = o.paid - o.refunded;
        r.currency = o.currency;
    }
    Ok(out.into_values().collect())
}
