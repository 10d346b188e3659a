//! `siyu-content serve | migrate`: the content service binary.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use siyu_config::{LoadOptions, effective_config_for_log, load};
use siyu_content::{Application, settings::Settings};
use siyu_telemetry::TelemetrySettings;

#[derive(Parser)]
#[command(name = "siyu-content", about = "Siyu content service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serves gRPC until SIGTERM.
    Serve,
    /// Applies pending database migrations and exits.
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings: Settings = load(LoadOptions::new("content", "config")).context("settings")?;
    let mut telemetry = TelemetrySettings::new("content");
    telemetry.log_filter = settings.log.filter.clone();
    telemetry.json = settings.log.json;
    telemetry.admin_addr = settings.server.admin_addr;
    if !settings.log.otlp_endpoint.is_empty() {
        telemetry.otlp_endpoint = Some(settings.log.otlp_endpoint.clone());
    }
    let _guard = siyu_telemetry::init(&telemetry).context("telemetry")?;
    tracing::info!(config = %effective_config_for_log(&settings), "starting");
    match cli.command {
        Command::Migrate => siyu_content::migrate(&settings).await?,
        Command::Serve => {
            let app = Application::build(settings).await?;
            tracing::info!(addr = %app.grpc_addr(), "content serving");
            app.run_until_stopped(siyu_server::shutdown::signal())
                .await?;
        }
    }
    Ok(())
}
