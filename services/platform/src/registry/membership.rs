//! Membership in the suite: members, points and stored value; verifies tokens against the
//! suite's JWKS (identity, started before it). Seeds the demo membership programme.

use anyhow::Context as _;
use siyu_membership::settings::Settings;

use super::{Launch, Migrations, Running, Service, ServicePorts};
use crate::suite::Overrides;

/// The registry name.
pub const NAME: &str = "membership";

/// The entry.
pub const SERVICE: Service = Service {
    name: NAME,
    ports: ServicePorts {
        grpc: 50052,
        admin: 9092,
    },
    migrations: Migrations::of::<siyu_membership_migration::Migrator>(),
    start: |launch| Box::pin(start(launch)),
    seed: Some(&crate::seed::membership::MembershipSeed),
};

async fn start(launch: Launch<'_>) -> anyhow::Result<Running> {
    let wired = Overrides::new().with("AUTH__JWKS_URL", &launch.wiring.jwks_url);
    let settings: Settings = launch.settings(wired)?;
    launch.migrate(&settings.database.url).await?;
    let app = siyu_membership::Application::build(settings)
        .await
        .context("starting membership")?;
    Ok(Running::new(app.grpc_addr(), move || app.stop()))
}
