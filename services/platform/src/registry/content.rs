//! Content in the suite: articles and banners, versions, scheduled publishing and page slots;
//! verifies tokens against the suite's JWKS and resolves guests' mini-program apps through
//! identity (started before it). It calls no other service.

use anyhow::Context as _;
use siyu_content::settings::Settings;

use super::{Launch, Migrations, Running, Service, ServicePorts};
use crate::suite::Overrides;

/// The registry name.
pub const NAME: &str = "content";

/// The entry.
pub const SERVICE: Service = Service {
    name: NAME,
    ports: ServicePorts {
        grpc: 50055,
        admin: 9095,
    },
    migrations: Migrations::of::<siyu_content_migration::Migrator>(),
    start: |launch| Box::pin(start(launch)),
    seed: Some(&crate::seed::content::ContentSeed),
};

async fn start(launch: Launch<'_>) -> anyhow::Result<Running> {
    let mut wired = Overrides::new().with("AUTH__JWKS_URL", &launch.wiring.jwks_url);
    if let Some(identity) = launch.wiring.url(super::identity::NAME) {
        wired.set("IDENTITY__URL", identity);
    }
    let settings: Settings = launch.settings(wired)?;
    launch.migrate(&settings.database.url).await?;
    let app = siyu_content::Application::build(settings)
        .await
        .context("starting content")?;
    Ok(Running::new(app.grpc_addr(), move || app.stop()))
}
