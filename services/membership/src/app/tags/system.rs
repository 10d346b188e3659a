//! The system tags: fixed codes every tenant has, kept by membership from order events and
//! never set by hand.

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;

use crate::{AppError, repo};

/// (code, name, group) of every system tag.
pub const SYSTEM_TAGS: [(&str, &str, &str); 18] = [
    ("rfm_r_1", "R1 最近消费最久", "RFM"),
    ("rfm_r_2", "R2", "RFM"),
    ("rfm_r_3", "R3", "RFM"),
    ("rfm_r_4", "R4", "RFM"),
    ("rfm_r_5", "R5 最近消费最近", "RFM"),
    ("rfm_f_1", "F1 消费最少", "RFM"),
    ("rfm_f_2", "F2", "RFM"),
    ("rfm_f_3", "F3", "RFM"),
    ("rfm_f_4", "F4", "RFM"),
    ("rfm_f_5", "F5 消费最多", "RFM"),
    ("rfm_m_1", "M1 金额最低", "RFM"),
    ("rfm_m_2", "M2", "RFM"),
    ("rfm_m_3", "M3", "RFM"),
    ("rfm_m_4", "M4", "RFM"),
    ("rfm_m_5", "M5 金额最高", "RFM"),
    ("purchase_none", "未购", "购买阶段"),
    ("purchase_first", "首购", "购买阶段"),
    ("purchase_repeat", "复购", "购买阶段"),
];

/// Creates the tenant's system tags that do not exist yet (a no-op once they all do).
pub async fn ensure(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    now_ms: i64,
) -> Result<(), AppError> {
    let have = repo::tags::system_count(conn, tenant).await?;
    if have >= i64::try_from(SYSTEM_TAGS.len()).unwrap_or(i64::MAX) {
        return Ok(());
    }
    for (code, name, group) in SYSTEM_TAGS {
        repo::tags::insert_system(conn, tenant, (code, name, group), now_ms).await?;
    }
    Ok(())
}
