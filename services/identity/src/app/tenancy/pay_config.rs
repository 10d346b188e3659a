//! WeChat Pay merchant configuration (key material write-only, sealed with AES-256-GCM at
//! rest) and the credential read of internal services (GetAppCredentials). No secret is ever put in
//! a log line, an audit entry or a reply other than GetAppCredentials'.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ed25519_dalek::pkcs8::{ObjectIdentifier, PrivateKeyInfo, spki::SubjectPublicKeyInfoRef};

use siyu_core::TenantId;

use crate::app::App;
use crate::app::audit::append::audit;
use crate::error::AppError;
use crate::repo::tenancy::AppKind;
use crate::repo::tenancy::apps as apps_repo;
use crate::repo::tenancy::pay_config::{self as repo, PayConfig};
use crate::repo::tenancy::tenants as tenants_repo;

/// rsaEncryption (PKCS #1): WeChat Pay API v3 signs with SHA256-RSA.
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// A SetWeChatPayConfig request, validated for shape (see [`parse_private_key_pem`]).
#[derive(Debug, Clone)]
pub struct PayInput {
    /// Merchant id.
    pub mch_id: String,
    /// Mini-program app id.
    pub app_id: String,
    /// Merchant certificate serial.
    pub merchant_serial_no: String,
    /// New APIv3 key; empty keeps.
    pub api_v3_key: String,
    /// New private key PEM; empty keeps.
    pub private_key_pem: String,
    /// WeChat Pay public key id.
    pub public_key_id: String,
    /// WeChat Pay public key PEM.
    pub public_key_pem: String,
}

/// The pay configuration with key material opened (GetAppCredentials only).
#[derive(Debug, Clone)]
pub struct OpenPay {
    /// The stored row.
    pub row: PayConfig,
    /// The APIv3 key.
    pub api_v3_key: String,
    /// The private key PEM.
    pub private_key_pem: String,
}

/// What GetAppCredentials answers.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// An app secret.
    App {
        /// App id.
        app_id: String,
        /// The secret (empty for an H5 app).
        secret: String,
    },
    /// WeChat Pay.
    Pay(Box<OpenPay>),
}

/// The DER body of a PEM block with `label`, if `pem` is exactly one such block.
fn pem_body(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let inner = pem.trim().strip_prefix(&begin)?.strip_suffix(&end)?;
    let b64: String = inner.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(b64).ok().filter(|der| !der.is_empty())
}

/// True when `pem` is a PKCS#8 ("PRIVATE KEY") PEM whose DER parses as a PrivateKeyInfo of an
/// RSA key with an RSAPrivateKey body (a DER SEQUENCE).
pub fn parse_private_key_pem(pem: &str) -> bool {
    let Some(der) = pem_body(pem, "PRIVATE KEY") else {
        return false;
    };
    PrivateKeyInfo::try_from(der.as_slice()).is_ok_and(|info| {
        info.algorithm.oid == RSA_ENCRYPTION && info.private_key.first() == Some(&0x30)
    })
}

/// True when `pem` is a "PUBLIC KEY" PEM whose DER parses as a SubjectPublicKeyInfo.
pub fn parse_public_key_pem(pem: &str) -> bool {
    pem_body(pem, "PUBLIC KEY")
        .is_some_and(|der| SubjectPublicKeyInfoRef::try_from(der.as_slice()).is_ok())
}

impl App {
    /// Sets the WeChat Pay configuration of `tenant` under the tenant row lock; the first call
    /// must carry both key parts. Audits PAY_CONFIG_CHANGED (which parts changed, no values).
    pub async fn set_pay_config(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
        input: PayInput,
        actor: (&str, &str),
    ) -> Result<PayConfig, AppError> {
        let now = self.clock.now();
        if !tenants_repo::lock_tenant(txn, tenant).await? {
            return Err(AppError::TenantNotFound);
        }
        let app = apps_repo::get_app(txn, &input.app_id).await?;
        if !app.is_some_and(|a| a.tenant_id == tenant && a.kind == AppKind::MiniProgram) {
            return Err(AppError::PayConfigAppNotFound);
        }
        let current = repo::pay(txn, tenant).await?;
        let mut missing = Vec::new();
        if current.is_none() && input.api_v3_key.is_empty() {
            missing.push((
                "config.api_v3_key".to_owned(),
                "is required the first time".to_owned(),
            ));
        }
        if current.is_none() && input.private_key_pem.is_empty() {
            missing.push((
                "config.private_key_pem".to_owned(),
                "is required the first time".to_owned(),
            ));
        }
        if !missing.is_empty() {
            return Err(AppError::InvalidArgument {
                reason: "INVALID_ARGUMENT",
                fields: missing,
            });
        }
        let seal = |plain: &str, old: Option<&Vec<u8>>| -> Result<Vec<u8>, AppError> {
            match (plain.is_empty(), old) {
                (true, Some(old)) => Ok(old.clone()),
                _ => Ok(self.sealer.seal(plain.as_bytes())?),
            }
        };
        let key_changed = !input.api_v3_key.is_empty() || !input.private_key_pem.is_empty();
        let row = PayConfig {
            tenant_id: tenant,
            mch_id: input.mch_id.clone(),
            app_id: input.app_id.clone(),
            merchant_serial_no: input.merchant_serial_no.clone(),
            api_v3_key_enc: seal(
                &input.api_v3_key,
                current.as_ref().map(|c| &c.api_v3_key_enc),
            )?,
            private_key_enc: seal(
                &input.private_key_pem,
                current.as_ref().map(|c| &c.private_key_enc),
            )?,
            public_key_id: input.public_key_id.clone(),
            public_key_pem: input.public_key_pem.clone(),
            key_updated_at: match (&current, key_changed) {
                (Some(c), false) => c.key_updated_at,
                _ => crate::repo::micros(now),
            },
        };
        repo::put_pay(txn, &row, now).await?;
        let changed = |set: bool| if set { "changed" } else { "kept" }.to_owned();
        audit(
            txn,
            tenant,
            "PAY_CONFIG_CHANGED",
            actor,
            ("pay_config", &input.mch_id),
            vec![
                ("mch_id", input.mch_id.clone()),
                ("app_id", input.app_id.clone()),
                ("merchant_serial_no", input.merchant_serial_no.clone()),
                ("api_v3_key", changed(!input.api_v3_key.is_empty())),
                ("private_key", changed(!input.private_key_pem.is_empty())),
            ],
            now,
        )
        .await?;
        Ok(row)
    }

    /// The pay configuration of `tenant` (sealed), if set.
    pub async fn pay_config(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
    ) -> Result<Option<PayConfig>, AppError> {
        repo::pay(conn, tenant).await
    }

    /// GetAppCredentials: [`App::app_credentials`] in a write transaction of its own — a read,
    /// but its audit entry must commit with it, so no secret leaves unaudited.
    pub async fn read_app_credentials(
        &self,
        tenant: TenantId,
        service: &str,
        app_id: &str,
        wechat_pay: bool,
    ) -> Result<Credentials, AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let creds = self
            .app_credentials(&txn, tenant, service, app_id, wechat_pay)
            .await?;
        txn.commit().await?;
        Ok(creds)
    }

    /// Opens an app secret or the pay configuration of `tenant` for an internal service;
    /// audits CREDENTIALS_READ (service, app id) in the same transaction.
    pub async fn app_credentials(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
        service: &str,
        app_id: &str,
        wechat_pay: bool,
    ) -> Result<Credentials, AppError> {
        let now: DateTime<Utc> = self.clock.now();
        let open = |sealed: &[u8]| -> Result<String, AppError> {
            String::from_utf8(self.sealer.open(sealed)?)
                .map_err(|_| AppError::Internal("sealed secret is not UTF-8".into()))
        };
        let (creds, target) = if wechat_pay {
            let row = repo::pay(txn, tenant)
                .await?
                .ok_or(AppError::PayConfigMissing)?;
            let target = row.app_id.clone();
            let open_pay = OpenPay {
                api_v3_key: open(&row.api_v3_key_enc)?,
                private_key_pem: open(&row.private_key_enc)?,
                row,
            };
            (Credentials::Pay(Box::new(open_pay)), target)
        } else {
            let app = apps_repo::get_app(txn, app_id)
                .await?
                .filter(|a| a.tenant_id == tenant)
                .ok_or(AppError::AppNotFound)?;
            let secret = match &app.secret_enc {
                Some(sealed) => open(sealed)?,
                None => String::new(),
            };
            (
                Credentials::App {
                    app_id: app.app_id.clone(),
                    secret,
                },
                app.app_id,
            )
        };
        audit(
            txn,
            tenant,
            "CREDENTIALS_READ",
            ("service", service),
            (if wechat_pay { "pay_config" } else { "app" }, &target),
            vec![
                ("service", service.to_owned()),
                ("app_id", target.clone()),
                ("wechat_pay", wechat_pay.to_string()),
            ],
            now,
        )
        .await?;
        Ok(creds)
    }
}
