//! Orders in the suite: carts, quotes, checkout, orders and their payments; calls identity,
//! catalog and membership (started before it) with its service token, and WeChat Pay (the
//! sandbox in the suite).

use anyhow::Context as _;
use siyu_orders::settings::Settings;

use super::{Launch, Migrations, Running, Service, ServicePorts};
use crate::suite::Overrides;

/// The registry name.
pub const NAME: &str = "orders";

/// The entry.
pub const SERVICE: Service = Service {
    name: NAME,
    ports: ServicePorts {
        grpc: 50054,
        admin: 9094,
    },
    migrations: Migrations::of::<siyu_orders_migration::Migrator>(),
    start: |launch| Box::pin(start(launch)),
    seed: Some(&crate::seed::orders::OrdersSeed),
};

async fn start(launch: Launch<'_>) -> anyhow::Result<Running> {
    let w = launch.wiring;
    let mut wired = Overrides::new()
        .with("AUTH__JWKS_URL", &w.jwks_url)
        .with("WECHATPAY__API_BASE", &w.sandbox_url);
    for (peer, key) in [
        (super::identity::NAME, "PEERS__IDENTITY_URL"),
        (super::catalog::NAME, "PEERS__CATALOG_URL"),
        (super::membership::NAME, "PEERS__MEMBERSHIP_URL"),
    ] {
        let url = w
            .url(peer)
            .with_context(|| format!("orders needs {peer}, which is not running"))?;
        wired.set(key, url);
    }
    // WeChat Pay calls back through the gateway's raw notify route.
    if let Some(gateway) = w.gateway_url() {
        wired.set("WECHATPAY__NOTIFY_BASE", gateway);
    }
    if let Some(credential) = w.service_credential(NAME) {
        wired.set("PEERS__CREDENTIAL", credential);
    }
    let settings: Settings = launch.settings(wired)?;
    launch.migrate(&settings.database.url).await?;
    let app = siyu_orders::Application::build(settings)
        .await
        .context("starting orders")?;
    Ok(Running::new(app.grpc_addr(), move || app.stop()))
}
