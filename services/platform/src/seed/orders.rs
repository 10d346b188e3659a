//! Seeding orders for the demo tenant: a WeChat Pay merchant in the sandbox for the demo
//! mini-program (the sandbox forgets it on restart, so it is registered again — same merchant
//! id and keys — on every start) and its configuration in identity (once), so that a newcomer
//! buys something with `curl`: quote → checkout → pay at the sandbox's cashier → the order is
//! paid by WeChat's callback through the gateway.

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use siyu_proto::catalog::v1 as catalog;
use siyu_proto::identity::v1 as identity;
use wechat_sandbox::pay::control::RegisterMerchant;

use super::{Seed, SeedRecord, Seeding, Step, authed, pending_reason};

/// The record key of orders' demo data.
const KEY: &str = "orders";
/// The demo merchant id (商户号).
const DEMO_MCH_ID: &str = "1900000109";

/// What was seeded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrdersSeedRecord {
    /// The merchant id.
    pub mch_id: String,
    /// Its APIv3 key (the sandbox's merchant is registered again with it on every start).
    pub apiv3_key: String,
    /// A SKU of the example product, for the "Try it" lines.
    pub example_sku_id: String,
    /// A store of the tenant, the storefront of the "Try it" order.
    pub example_store_id: String,
}

/// Orders' demo data.
#[derive(Debug)]
pub struct OrdersSeed;

impl Seed for OrdersSeed {
    fn seed<'a>(&'a self, seeding: &'a mut Seeding) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let (Some(app), Some(admin)) =
                (seeding.record.app.clone(), seeding.admin_token.clone())
            else {
                seeding.step("orders", Step::Pending("no app or tenant admin".into()));
                return Ok(());
            };
            let known = seeding.record.get::<OrdersSeedRecord>(KEY);
            let apiv3_key = known.as_ref().map_or_else(
                || siyu_core::id::new().simple().to_string(),
                |k| k.apiv3_key.clone(),
            );
            // The sandbox's merchant with its shipped TEST-ONLY key pair, answers and callbacks
            // signed with the WeChat Pay public key (what identity is configured to trust).
            let merchant = seeding
                .sandbox
                .register_merchant(&RegisterMerchant {
                    mchid: Some(DEMO_MCH_ID.into()),
                    appids: vec![app.app_id.clone()],
                    apiv3_key: Some(apiv3_key.clone()),
                    ..RegisterMerchant::default()
                })
                .await?;
            let platform = seeding.sandbox.enable_pay_public_key().await?;
            if known.is_some() {
                seeding.step("orders", Step::Done);
                return Ok(());
            }
            let config = identity::WeChatPayConfig {
                mch_id: merchant.mchid.clone(),
                app_id: app.app_id.clone(),
                merchant_serial_no: merchant.serial_no.clone(),
                api_v3_key: merchant.apiv3_key.clone(),
                private_key_pem: merchant.private_key_pem.clone().unwrap_or_default(),
                wechatpay_public_key_id: platform.public_key_id.clone(),
                wechatpay_public_key_pem: platform.public_key_pem.clone(),
                ..identity::WeChatPayConfig::default()
            };
            let identity_channel = seeding.channel(crate::registry::identity::NAME)?;
            let set = identity::tenant_service_client::TenantServiceClient::new(identity_channel)
                .set_we_chat_pay_config(authed(
                    identity::SetWeChatPayConfigRequest {
                        config: Some(config),
                    },
                    &admin,
                    Some("seed-wechat-pay"),
                ))
                .await;
            if let Err(status) = set {
                seeding.step(
                    "orders",
                    Step::Pending(pending_reason("WeChat Pay", &status)),
                );
                return seeding.save();
            }
            let example_sku_id = match &seeding.record.products {
                Some(products) => {
                    let channel = seeding.channel(crate::registry::catalog::NAME)?;
                    catalog::catalog_service_client::CatalogServiceClient::new(channel)
                        .get_product(authed(
                            catalog::GetProductRequest {
                                product_id: products.example_product_id.clone(),
                            },
                            &admin,
                            None,
                        ))
                        .await
                        .ok()
                        .and_then(|r| r.into_inner().product)
                        .and_then(|p| p.skus.into_iter().next())
                        .map(|s| s.sku_id)
                        .unwrap_or_default()
                }
                None => String::new(),
            };
            let example_store_id = seeding
                .record
                .org
                .as_ref()
                .and_then(|o| o.stores.first())
                .map(|s| s.id.clone())
                .unwrap_or_default();
            seeding.record.put(
                KEY,
                &OrdersSeedRecord {
                    mch_id: merchant.mchid,
                    apiv3_key,
                    example_sku_id,
                    example_store_id,
                },
            )?;
            seeding.step("orders", Step::Done);
            seeding.save()
        })
    }

    fn summary(&self, record: &SeedRecord) -> Vec<(&'static str, String)> {
        let Some(o) = record.get::<OrdersSeedRecord>(KEY) else {
            return Vec::new();
        };
        vec![(
            "orders",
            format!("WeChat Pay merchant {} (sandbox)", o.mch_id),
        )]
    }

    fn examples(&self, record: &SeedRecord, gateway: &str) -> Vec<String> {
        let Some(o) = record.get::<OrdersSeedRecord>(KEY) else {
            return Vec::new();
        };
        if o.example_sku_id.is_empty() || o.example_store_id.is_empty() {
            return Vec::new();
        }
        let auth = "-H \"authorization: Bearer $ACCESS_TOKEN\"";
        let json = "-H 'content-type: application/json'";
        let input = format!(
            "{{\"lines\":{{\"lines\":[{{\"skuId\":\"{}\",\"quantity\":1}}]}},\"channel\":\"CHANNEL_MINI_PROGRAM\",\"fulfilment\":{{\"mode\":\"FULFILMENT_MODE_DELIVERY\",\"storeId\":\"{}\",\"address\":{{\"province\":\"上海市\",\"city\":\"上海市\",\"detail\":\"南京西路1号\",\"contactName\":\"王小明\",\"contactPhone\":\"13800138000\"}}}}}}",
            o.example_sku_id, o.example_store_id
        );
        vec![
            "  # Buy it (the consumer): quote, check out with the payable seen, pay at the".to_owned(),
            "  # sandbox's cashier, and WeChat's callback makes the order paid.".to_owned(),
            format!(
                "  curl -s {gateway}/api/v1/checkout/quote {auth} {json} -d '{{\"input\":{input}}}'"
            ),
            format!(
                "  curl -s {gateway}/api/v1/checkout {auth} {json} -H \"idempotency-key: $(date +%s%N)\" \\\n    -d '{{\"input\":{input},\"expectedPayable\":{{\"minorUnits\":\"<quote.amounts.payable>\",\"currencyCode\":\"CNY\"}}}}'"
            ),
            "  curl -s $SANDBOX/sandbox/pay/transactions/pay -H 'content-type: application/json' \\\n    -d '{\"prepay_id\":\"<wechatPayParams.package without prepay_id=>\"}'".to_owned(),
            format!("  curl -s {gateway}/api/v1/me/orders {auth}   # 我的订单: ORDER_STATUS_PAID"),
        ]
    }
}
