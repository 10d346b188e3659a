//! A tenant's WeChat Pay merchant: its credentials (from identity, cached a few minutes), the
//! notify route that names it in callback URLs, and a [`WechatPayClient`] signing as it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rand::distr::{Alphanumeric, SampleString as _};
use sea_orm::ConnectionTrait;
use siyu_core::{Clock, TenantId};
use siyu_proto::identity::v1 as idpb;
use siyu_proto::identity::v1::tenant_service_client::TenantServiceClient;
use siyu_proto::identity::v1::user_service_client::UserServiceClient;
use siyu_wechatpay::{MerchantConfig, PlatformKeys, WechatPayClient};
use uuid::Uuid;

use super::PaymentError;
use crate::AppError;
use crate::peers::{Peers, refusal};
use crate::repo::payments::routes;
use crate::settings::WechatPaySettings;

/// How long a merchant's credentials are kept before identity is asked again.
pub const CREDENTIALS_TTL: Duration = Duration::from_secs(300);
/// The path of the gateway's notify route, before the route key.
pub const NOTIFY_PATH: &str = "/psp/wechatpay/v1/notify/";

/// A boxed future of the directory's answers.
pub type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

/// A tenant's WeChat Pay credentials, as identity keeps them.
#[derive(Clone)]
pub struct MerchantCredentials {
    /// The merchant id.
    pub mch_id: String,
    /// The mini-program the merchant is bound to (the default app of a prepay).
    pub app_id: String,
    /// The merchant API certificate serial.
    pub serial_no: String,
    /// The merchant API private key, PEM.
    pub private_key_pem: String,
    /// The APIv3 key.
    pub apiv3_key: String,
    /// The WeChat Pay public key id and PEM, when configured.
    pub public_key: Option<(String, String)>,
    /// Platform certificates (PEM) trusted from the start, if any.
    pub certificates: Vec<String>,
}

impl std::fmt::Debug for MerchantCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantCredentials")
            .field("mch_id", &self.mch_id)
            .field("app_id", &self.app_id)
            .field("serial_no", &self.serial_no)
            .finish_non_exhaustive()
    }
}

/// Where payments learn a tenant's merchant credentials and a payer's openid (identity in
/// production; a fixed merchant in tests).
pub trait PayDirectory: Send + Sync + std::fmt::Debug {
    /// The tenant's WeChat Pay credentials.
    fn wechat_pay(&self, tenant: TenantId) -> Answer<'_, MerchantCredentials>;
    /// The openid of `user_id` in `app_id`, if the user has one.
    fn openid<'a>(
        &'a self,
        tenant: TenantId,
        user_id: Uuid,
        app_id: &'a str,
    ) -> Answer<'a, Option<String>>;
}

/// [`PayDirectory`] over identity's `TenantService.GetAppCredentials` and
/// `UserService.GetUserContacts`, with orders' service token.
#[derive(Debug, Clone)]
pub struct IdentityDirectory {
    peers: Arc<Peers>,
}

impl IdentityDirectory {
    /// A directory calling identity through `peers`.
    pub fn new(peers: Arc<Peers>) -> Self {
        Self { peers }
    }
}

impl PayDirectory for IdentityDirectory {
    fn wechat_pay(&self, tenant: TenantId) -> Answer<'_, MerchantCredentials> {
        Box::pin(async move {
            let message = idpb::GetAppCredentialsRequest {
                app_id: String::new(),
                wechat_pay: true,
            };
            let request = self
                .peers
                .request("identity", tenant, message, None)
                .await?;
            let answer = TenantServiceClient::new(self.peers.identity.clone())
                .get_app_credentials(request)
                .await
                .map_err(|s| refusal("identity", &s))?
                .into_inner();
            let c = answer.wechat_pay.ok_or_else(|| {
                PaymentError::PayConfigMissing("identity returned no WeChat Pay config".into())
            })?;
            let public_key = (!c.wechatpay_public_key_id.is_empty()
                && !c.wechatpay_public_key_pem.is_empty())
            .then_some((c.wechatpay_public_key_id, c.wechatpay_public_key_pem));
            Ok(MerchantCredentials {
                mch_id: c.mch_id,
                app_id: c.app_id,
                serial_no: c.merchant_serial_no,
                private_key_pem: c.private_key_pem,
                apiv3_key: c.api_v3_key,
                public_key,
                certificates: Vec::new(),
            })
        })
    }

    fn openid<'a>(
        &'a self,
        tenant: TenantId,
        user_id: Uuid,
        app_id: &'a str,
    ) -> Answer<'a, Option<String>> {
        Box::pin(async move {
            let message = idpb::GetUserContactsRequest {
                user_id: user_id.to_string(),
            };
            let request = self
                .peers
                .request("identity", tenant, message, None)
                .await?;
            let contacts = UserServiceClient::new(self.peers.identity.clone())
                .get_user_contacts(request)
                .await
                .map_err(|s| refusal("identity", &s))?
                .into_inner();
            Ok(contacts
                .openids
                .into_iter()
                .find(|o| o.app_id == app_id)
                .map(|o| o.openid))
        })
    }
}

/// A tenant's merchant, ready to call WeChat Pay.
#[derive(Debug, Clone)]
pub struct Merchant {
    /// The tenant.
    pub tenant: TenantId,
    /// The merchant id.
    pub mch_id: String,
    /// The app bound to the merchant (the default app of a prepay).
    pub app_id: String,
    /// The key of its notify route.
    pub route_key: String,
    /// `<notify_base>/psp/wechatpay/v1/notify/<route_key>`.
    pub notify_url: String,
    /// A client signing as the merchant, trusting its platform keys.
    pub client: WechatPayClient,
}

/// The merchants of every tenant, built on first use and kept for [`CREDENTIALS_TTL`].
#[derive(Debug)]
pub struct Merchants {
    directory: Arc<dyn PayDirectory>,
    settings: WechatPaySettings,
    clock: Arc<dyn Clock>,
    cache: Mutex<HashMap<TenantId, (Instant, Arc<Merchant>)>>,
}

impl Merchants {
    /// Merchants whose credentials come from `directory`, calling `settings.api_base`.
    pub fn new(
        directory: Arc<dyn PayDirectory>,
        settings: WechatPaySettings,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            directory,
            settings,
            clock,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Where credentials and openids come from.
    pub fn directory(&self) -> &dyn PayDirectory {
        self.directory.as_ref()
    }

    /// The tenant's merchant: cached, or built from fresh credentials (its notify route
    /// created on first use).
    pub async fn get(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
    ) -> Result<Arc<Merchant>, AppError> {
        if let Some((at, m)) = self.lock().get(&tenant)
            && at.elapsed() < CREDENTIALS_TTL
        {
            return Ok(m.clone());
        }
        let creds = self.directory.wechat_pay(tenant).await?;
        let candidate = Alphanumeric.sample_string(&mut rand::rng(), 32);
        let now_ms = self.clock.now().timestamp_millis();
        let route_key = routes::ensure(conn, tenant, &creds.mch_id, &candidate, now_ms).await?;
        let merchant = Arc::new(self.build(tenant, &creds, route_key)?);
        self.lock()
            .insert(tenant, (Instant::now(), merchant.clone()));
        Ok(merchant)
    }

    /// Forgets a tenant's cached merchant (its credentials changed or were refused).
    pub fn forget(&self, tenant: TenantId) {
        self.lock().remove(&tenant);
    }

    fn build(
        &self,
        tenant: TenantId,
        creds: &MerchantCredentials,
        route_key: String,
    ) -> Result<Merchant, AppError> {
        let missing =
            |e: siyu_wechatpay::WechatPayError| PaymentError::PayConfigMissing(e.to_string());
        let mut keys = PlatformKeys::new();
        if let Some((id, pem)) = &creds.public_key {
            keys.add_public_key_pem(id, pem).map_err(missing)?;
        }
        for pem in &creds.certificates {
            keys.add_certificate_pem(pem).map_err(missing)?;
        }
        let config = MerchantConfig::new(
            &creds.mch_id,
            &creds.serial_no,
            &creds.private_key_pem,
            &creds.apiv3_key,
        )
        .with_base_url(&self.settings.api_base);
        let client =
            WechatPayClient::with_clock(&config, keys, self.clock.clone()).map_err(missing)?;
        let notify_url = format!(
            "{}{NOTIFY_PATH}{route_key}",
            self.settings.notify_base.trim_end_matches('/')
        );
        Ok(Merchant {
            tenant,
            mch_id: creds.mch_id.clone(),
            app_id: creds.app_id.clone(),
            route_key,
            notify_url,
            client,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, (Instant, Arc<Merchant>)>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
