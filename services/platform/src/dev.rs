//! `siyu dev`: the whole suite in one process on embedded backends, with a demo tenant.
//!
//! [`start`] creates the data directory, generates the demo's secrets on first start (kept in
//! `secrets.json`, mode 0600), starts the [`Suite`] with [`config::EmbeddedConfig`], waits for
//! the gateway to be ready, seeds what is not seeded yet (recorded in `seed.json`) and returns
//! a [`Dev`] whose [`Dev::banner`] says where everything is and how to log in.

pub mod config;
pub mod files;
mod report;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use wechat_sandbox::{SandboxControl, SandboxSettings};

use crate::registry;
use crate::seed::{Credentials, SeedRecord, SeedReport, Seeding};
use crate::suite::{StartOptions, Suite};
use config::{EmbeddedConfig, Ports};

/// Login name of the platform operator's admin.
pub const PLATFORM_ADMIN: &str = "root";
/// How long the gateway may take to become ready (first JWKS fetch).
const READY_WITHIN: Duration = Duration::from_secs(30);

/// How to start `siyu dev`.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// Data directory (SQLite files, secrets, the seed record); created if missing.
    pub data_dir: PathBuf,
    /// Listener ports ([`Ports::ephemeral`] in tests).
    pub ports: Ports,
    /// Environment variables (`SIYU_<SERVICE>__…` override the embedded defaults).
    pub env: HashMap<String, String>,
}

/// Secrets generated on first start.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Secrets {
    /// Identity's `tokens.encryption_key` (seals signing keys and app secrets at rest).
    encryption_key: String,
    /// The platform tenant's admin.
    platform_admin: Credentials,
}

/// A running `siyu dev`.
#[derive(Debug)]
pub struct Dev {
    suite: Suite,
    data_dir: PathBuf,
    platform_admin: Credentials,
    record: SeedRecord,
    report: SeedReport,
}

/// Starts everything and seeds the demo tenant; see the module documentation.
pub async fn start(options: DevOptions) -> anyhow::Result<Dev> {
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("creating {}", options.data_dir.display()))?;
    let data_dir = std::fs::canonicalize(&options.data_dir)?;
    let secrets = load_or_create_secrets(&data_dir)?;
    let sandbox = SandboxSettings {
        listen: ([127, 0, 0, 1], options.ports.sandbox).into(),
        ..SandboxSettings::default()
    };
    let config = EmbeddedConfig {
        data_dir: data_dir.clone(),
        ports: options.ports,
        encryption_key: secrets.encryption_key.clone(),
        env: options.env,
    };
    let admin = &secrets.platform_admin;
    let suite = Suite::start(
        &config,
        StartOptions {
            sandbox,
            migrate: true,
            platform_admin: (
                admin.login.clone(),
                SecretString::from(admin.password.clone()),
            ),
        },
    )
    .await?;
    let seeded = async {
        wait_ready(&suite.gateway_url()).await?;
        seed_all(&suite, &data_dir, &secrets.platform_admin).await
    }
    .await;
    match seeded {
        Ok((record, report)) => Ok(Dev {
            suite,
            data_dir,
            platform_admin: secrets.platform_admin,
            record,
            report,
        }),
        Err(err) => {
            if let Err(stop) = suite.stop().await {
                tracing::warn!(error = %stop, "stopping after a failed start");
            }
            Err(err)
        }
    }
}

impl Dev {
    /// The running services.
    pub fn suite(&self) -> &Suite {
        &self.suite
    }

    /// What is seeded (demo credentials included).
    pub fn record(&self) -> &SeedRecord {
        &self.record
    }

    /// What this start seeded or left pending.
    pub fn seed_report(&self) -> &SeedReport {
        &self.report
    }

    /// The absolute data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The start-up report: URLs, demo credentials, what is not seeded yet, and `curl` lines.
    pub fn banner(&self) -> String {
        report::banner(self)
    }

    /// Stops every service gracefully.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.suite.stop().await
    }
}

fn seed_path(data_dir: &Path) -> PathBuf {
    data_dir.join("seed.json")
}

fn load_or_create_secrets(data_dir: &Path) -> anyhow::Result<Secrets> {
    let path = data_dir.join("secrets.json");
    if let Some(secrets) = files::read_json(&path)? {
        return Ok(secrets);
    }
    let secrets = Secrets {
        encryption_key: files::new_encryption_key()?,
        platform_admin: Credentials {
            login: PLATFORM_ADMIN.into(),
            password: files::new_password()?,
        },
    };
    files::write_private_json(&path, &secrets)?;
    Ok(secrets)
}

async fn wait_ready(gateway: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let url = format!("{gateway}/readyz");
    let deadline = tokio::time::Instant::now() + READY_WITHIN;
    loop {
        let ready = http
            .get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ready {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!("the gateway was not ready within {READY_WITHIN:?} ({url})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs every registered service's seeding, in start order; each saves the record after
/// every step that changed it.
async fn seed_all(
    suite: &Suite,
    data_dir: &Path,
    platform: &Credentials,
) -> anyhow::Result<(SeedRecord, SeedReport)> {
    let path = seed_path(data_dir);
    let record: SeedRecord = files::read_json(&path)?.unwrap_or_default();
    let mut seeding = Seeding::new(
        record,
        path,
        SandboxControl::new(suite.sandbox_url())?,
        platform.clone(),
        suite.wiring().services.clone(),
    );
    for service in registry::SERVICES {
        if let Some(seed) = service.seed {
            seed.seed(&mut seeding).await?;
        }
    }
    for (step, why) in seeding.report.pending() {
        tracing::warn!(step, reason = why, "demo data not seeded");
    }
    Ok((seeding.record, seeding.report))
}
