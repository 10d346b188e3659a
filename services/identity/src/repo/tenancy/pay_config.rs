//! WeChat Pay configuration of a tenant (key material sealed by the caller).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::{exec, one, text, ts};

/// The stored WeChat Pay configuration of a tenant (key material sealed).
#[derive(Debug, Clone)]
pub struct PayRow {
    /// Tenant.
    pub tenant_id: String,
    /// Merchant id.
    pub mch_id: String,
    /// Mini-program the merchant is bound to.
    pub app_id: String,
    /// Merchant certificate serial number.
    pub merchant_serial_no: String,
    /// Sealed APIv3 key.
    pub api_v3_key_enc: Vec<u8>,
    /// Sealed PKCS#8 private key PEM.
    pub private_key_enc: Vec<u8>,
    /// WeChat Pay public key id.
    pub public_key_id: String,
    /// WeChat Pay public key PEM.
    pub public_key_pem: String,
    /// When key material last changed.
    pub key_updated_at: DateTime<Utc>,
}

const PAY_COLUMNS: &str = "tenant_id, mch_id, app_id, merchant_serial_no, api_v3_key_enc, \
    private_key_enc, public_key_id, public_key_pem, key_updated_at";

/// The WeChat Pay configuration of a tenant.
pub async fn pay(conn: &impl ConnectionTrait, tenant: &str) -> Result<Option<PayRow>, DbErr> {
    let Some(row) = one(
        conn,
        &format!("SELECT {PAY_COLUMNS} FROM identity_pay_configs WHERE tenant_id = $1"),
        vec![text(tenant)],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(PayRow {
        tenant_id: row.try_get("", "tenant_id")?,
        mch_id: row.try_get("", "mch_id")?,
        app_id: row.try_get("", "app_id")?,
        merchant_serial_no: row.try_get("", "merchant_serial_no")?,
        api_v3_key_enc: row.try_get("", "api_v3_key_enc")?,
        private_key_enc: row.try_get("", "private_key_enc")?,
        public_key_id: row.try_get("", "public_key_id")?,
        public_key_pem: row.try_get("", "public_key_pem")?,
        key_updated_at: row.try_get("", "key_updated_at")?,
    }))
}

/// Inserts or replaces the WeChat Pay configuration of `p.tenant_id`.
pub async fn put_pay(
    conn: &impl ConnectionTrait,
    p: &PayRow,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let values = vec![
        text(&p.tenant_id),
        text(&p.mch_id),
        text(&p.app_id),
        text(&p.merchant_serial_no),
        Value::Bytes(Some(p.api_v3_key_enc.clone())),
        Value::Bytes(Some(p.private_key_enc.clone())),
        text(&p.public_key_id),
        text(&p.public_key_pem),
        ts(p.key_updated_at),
        ts(now),
    ];
    exec(
        conn,
        &format!(
            "INSERT INTO identity_pay_configs ({PAY_COLUMNS}, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (tenant_id) DO UPDATE SET \
             mch_id = $2, app_id = $3, merchant_serial_no = $4, api_v3_key_enc = $5, \
             private_key_enc = $6, public_key_id = $7, public_key_pem = $8, \
             key_updated_at = $9, updated_at = $10"
        ),
        values,
    )
    .await?;
    Ok(())
}
