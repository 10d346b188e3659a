//! Identity in the suite: first to start, since every other service verifies tokens against the
//! JWKS it serves; bootstrapped with the platform tenant and its admin (idempotent).

use anyhow::Context as _;
use secrecy::ExposeSecret as _;
use siyu_identity::settings::Settings;

use super::{Launch, Migrations, Running, Service, ServicePorts};
use crate::suite::{Overrides, Wiring, loopback};

/// The registry name.
pub const NAME: &str = "identity";

/// The entry.
pub const SERVICE: Service = Service {
    name: NAME,
    // The admin listener serves the JWKS document.
    ports: ServicePorts {
        grpc: 50051,
        admin: 9091,
    },
    migrations: Migrations::of::<siyu_identity::Migrator>(),
    start: |launch| Box::pin(start(launch)),
    seed: Some(&crate::seed::identity::IdentitySeed),
};

async fn start(launch: Launch<'_>) -> anyhow::Result<Running> {
    let wired = Overrides::new().with("WECHAT__API_BASE_URL", &launch.wiring.sandbox_url);
    let mut settings: Settings = launch.settings(wired)?;
    // The suite's service clients, beside any configured: identity accepts every entry of a
    // name whose hash matches.
    for (name, platform) in Wiring::SERVICE_CLIENTS {
        if let Some(secret) = launch.wiring.service_credential(name) {
            settings
                .service_tokens
                .clients
                .push(siyu_identity::settings::ServiceClient {
                    name: name.to_owned(),
                    credential_sha256: sha256_hex(secret),
                    scopes: if platform {
                        vec!["psp.notify".to_owned()]
                    } else {
                        Vec::new()
                    },
                    platform,
                });
        }
    }
    launch.migrate(&settings.database.url).await?;
    let app = siyu_identity::Application::build(settings)
        .await
        .context("starting identity")?;
    let (login, password) = &launch.options.platform_admin;
    let bootstrapped = app
        .app()
        .bootstrap_platform(login, password.expose_secret())
        .await;
    if let Err(err) = bootstrapped {
        if let Err(stop) = app.stop().await {
            tracing::warn!(error = %stop, "stopping identity after a failed bootstrap");
        }
        return Err(anyhow::Error::from(err).context("bootstrapping the platform tenant"));
    }
    let jwks = format!(
        "http://{}{}",
        loopback(app.http_addr()),
        siyu_identity::http::JWKS_PATH
    );
    Ok(Running::new(app.grpc_addr(), move || app.stop()).with_jwks(jwks))
}

/// Hex SHA-256 of `secret`, as identity's configuration holds service credentials.
fn sha256_hex(secret: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
