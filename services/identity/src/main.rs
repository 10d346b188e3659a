//! `siyu-identity serve | migrate | bootstrap`.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use siyu_config::{LoadOptions, effective_config_for_log};
use siyu_identity::settings::Settings;
use siyu_identity::{Application, Migrator};

/// The identity service.
#[derive(Parser)]
#[command(name = "siyu-identity")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve gRPC.
    Serve,
    /// Apply database migrations.
    Migrate,
    /// Create the platform operator's tenant and its first admin (idempotent by code).
    Bootstrap {
        /// Login name of the platform admin.
        #[arg(long)]
        admin_login: String,
        /// Initial password of the platform admin (≥ 12 chars).
        #[arg(long)]
        admin_password: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings: Settings =
        siyu_config::load(LoadOptions::new("identity", "config")).context("loading settings")?;
    let _telemetry = siyu_telemetry::init(&settings.telemetry)?;
    tracing::info!(config = %effective_config_for_log(&settings), "starting");
    match cli.command {
        Command::Serve => {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Migrate => {
            use secrecy::ExposeSecret as _;
            let db = siyu_store::db::connect(
                settings.database.url.expose_secret(),
                &siyu_store::DbOptions::default(),
            )
            .await?;
            siyu_store::db::migrate::<Migrator>(&db).await?;
            Ok(())
        }
        Command::Bootstrap {
            admin_login,
            admin_password,
        } => {
            let app = siyu_identity::open_app(&settings, siyu_core::clock::system()).await?;
            let tenant = app
                .bootstrap_platform(&admin_login, &admin_password)
                .await?;
            tracing::info!(tenant = %tenant.id, "platform tenant ready");
            Ok(())
        }
    }
}
