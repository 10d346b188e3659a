//! WeChat Pay configuration of a tenant (key material sealed by the caller).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::{execute, fetch_one, stored_tenant, tenant_text, text, ts};

/// The stored WeChat Pay configuration of a tenant (key material sealed).
#[derive(Debug, Clone)]
pub struct PayConfig {
    /// Tenant.
    pub tenant_id: TenantId,
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

/// A row of [`PAY_COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct PayRow {
    tenant_id: String,
    mch_id: String,
    app_id: String,
    merchant_serial_no: String,
    api_v3_key_enc: Vec<u8>,
    private_key_enc: Vec<u8>,
    public_key_id: String,
    public_key_pem: String,
    key_updated_at: DateTime<Utc>,
}

impl TryFrom<PayRow> for PayConfig {
    type Error = AppError;

    fn try_from(r: PayRow) -> Result<Self, AppError> {
        Ok(Self {
            tenant_id: stored_tenant("identity_pay_configs", &r.tenant_id)?,
            mch_id: r.mch_id,
            app_id: r.app_id,
            merchant_serial_no: r.merchant_serial_no,
            api_v3_key_enc: r.api_v3_key_enc,
            private_key_enc: r.private_key_enc,
            public_key_id: r.public_key_id,
            public_key_pem: r.public_key_pem,
            key_updated_at: r.key_updated_at,
        })
    }
}

const PAY_COLUMNS: &str = "tenant_id, mch_id, app_id, merchant_serial_no, api_v3_key_enc, \
    private_key_enc, public_key_id, public_key_pem, key_updated_at";

/// The WeChat Pay configuration of a tenant.
pub async fn pay(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Option<PayConfig>, AppError> {
    fetch_one::<PayRow>(
        conn,
        &format!("SELECT {PAY_COLUMNS} FROM identity_pay_configs WHERE tenant_id = $1"),
        vec![tenant_text(tenant)],
    )
    .await?
    .map(PayConfig::try_from)
    .transpose()
}

/// Inserts or replaces the WeChat Pay configuration of `p.tenant_id`.
pub async fn put_pay(
    conn: &impl ConnectionTrait,
    p: &PayConfig,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let values = vec![
        tenant_text(p.tenant_id),
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
    execute(
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
