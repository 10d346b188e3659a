//! Catalog in the suite: products, prices, locations and stock; verifies tokens against the
//! suite's JWKS and resolves guests' mini-program apps through identity (started before it).

use anyhow::Context as _;
use siyu_catalog::settings::Settings;

use super::{Launch, Migrations, Running, Service, ServicePorts};
use crate::suite::Overrides;

/// The registry name.
pub const NAME: &str = "catalog";

/// The entry.
pub const SERVICE: Service = Service {
    name: NAME,
    ports: ServicePorts {
        grpc: 50053,
        admin: 9093,
    },
    migrations: Migrations::of::<siyu_catalog_migration::Migrator>(),
    start: |launch| Box::pin(start(launch)),
    seed: Some(&crate::seed::catalog::CatalogSeed),
};

async fn start(launch: Launch<'_>) -> anyhow::Result<Running> {
    let mut wired = Overrides::new().with("AUTH__JWKS_URL", &launch.wiring.jwks_url);
    if let Some(identity) = launch.wiring.url(super::identity::NAME) {
        wired.set("IDENTITY__URL", identity);
    }
    let settings: Settings = launch.settings(wired)?;
    launch.migrate(&settings.database.url).await?;
    let app = siyu_catalog::Application::build(settings)
        .await
        .context("starting catalog")?;
    Ok(Running::new(app.grpc_addr(), move || app.stop()))
}
