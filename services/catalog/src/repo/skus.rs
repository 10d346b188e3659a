//! The SKU facts inventory needs (existence in the tenant, sellability, titles for events).

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use uuid::Uuid;

use super::{col, placeholders, query_all, uuid};
use crate::app::AppError;
use crate::app::domain::SkuInfo;

/// `proto ProductStatus.ON_SALE`.
const ON_SALE: i16 = 2;

/// The tenant's SKUs among `ids`, in one query; unknown ids (or another tenant's) are absent.
#[tracing::instrument(skip_all, fields(n = ids.len()))]
pub async fn get_many(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<Vec<SkuInfo>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT s.id, s.product_id, s.title, s.sku_code, s.enabled, p.status FROM cat_skus s \
         JOIN cat_products p ON p.tenant = s.tenant AND p.id = s.product_id \
         WHERE s.tenant = $1 AND s.id IN ({})",
        placeholders(2, ids.len())
    );
    let mut v = vec![uuid(tenant.0)];
    v.extend(ids.iter().map(|id| uuid(*id)));
    query_all(conn, &sql, v)
        .await?
        .iter()
        .map(|r| {
            let enabled: bool = col(r, "enabled")?;
            let status: i16 = col(r, "status")?;
            Ok(SkuInfo {
                id: col(r, "id")?,
                product_id: col(r, "product_id")?,
                title: col(r, "title")?,
                sku_code: col(r, "sku_code")?,
                sellable: enabled && status == ON_SALE,
            })
        })
        .collect()
}
