//! `siyu-gateway serve`: runs the gateway with settings from `config/` and the environment
//! (`SIYU_GATEWAY__SECTION__KEY`).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use siyu_config::{LoadOptions, effective_config_for_log, load};
use siyu_gateway::{Application, Settings};

/// The Siyu gateway.
#[derive(Debug, Parser)]
#[command(name = "siyu-gateway", version)]
struct Cli {
    /// Directory holding default.toml and {SIYU_ENV}.toml.
    #[arg(long, default_value = "config")]
    config_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve REST/JSON and the partner gRPC ingress until SIGTERM.
    Serve,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings: Settings =
        load(LoadOptions::new("gateway", &cli.config_dir)).context("loading gateway settings")?;
    let _telemetry = siyu_telemetry::init(&settings.telemetry).context("starting telemetry")?;
    tracing::info!(config = %effective_config_for_log(&settings), "effective configuration");
    match cli.command {
        Command::Serve => {
            let app = Application::build(settings)
                .await
                .context("building the gateway")?;
            app.run_until_stopped().await.context("serving")?;
        }
    }
    Ok(())
}
