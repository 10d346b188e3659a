//! `siyu`: the whole suite in one process.
//!
//! `siyu dev` starts the WeChat sandbox, every registered service and the gateway on embedded
//! backends (SQLite under the data directory, in-memory cache and bus), seeds a demo tenant on
//! first start, prints where everything is, and runs until Ctrl-C or SIGTERM.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use siyu_platform::dev::{self, DevOptions, config::Ports};
use siyu_platform::registry;
use siyu_telemetry::TelemetrySettings;

/// Siyu in one process: every service, the gateway and the WeChat sandbox.
#[derive(Debug, Parser)]
#[command(name = "siyu", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the suite on embedded backends and seed a demo tenant on first start.
    ///
    /// Any service setting can be overridden with `SIYU_<SERVICE>__SECTION__KEY` (e.g.
    /// `SIYU_IDENTITY__DATABASE__URL=postgres://…`, `SIYU_GATEWAY__CACHE__URL=redis://…`,
    /// `SIYU_CATALOG__BUS__URL=nats://…`) or `<data-dir>/config/<service>/default.toml`.
    Dev {
        /// Data directory: SQLite files, generated secrets, the seed record.
        #[arg(long, default_value = ".siyu")]
        data_dir: PathBuf,
        /// The gateway's REST port (its partner gRPC ingress listens on the next one).
        #[arg(long, default_value_t = 8080)]
        http_port: u16,
        /// The WeChat sandbox's port.
        #[arg(long, default_value_t = 9400)]
        sandbox_port: u16,
        /// Identity's gRPC port.
        #[arg(long, default_value_t = 50051)]
        identity_port: u16,
        /// Catalog's gRPC port.
        #[arg(long, default_value_t = 50053)]
        catalog_port: u16,
        /// Put every listener on a free port instead (several instances side by side).
        #[arg(long)]
        any_ports: bool,
        /// Log filter (`EnvFilter` syntax).
        #[arg(long, default_value = "warn,siyu_platform=info")]
        log: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Dev {
            data_dir,
            http_port,
            sandbox_port,
            identity_port,
            catalog_port,
            any_ports,
            log,
        } => {
            let mut telemetry = TelemetrySettings::new("siyu");
            telemetry.log_filter = log;
            telemetry.json = false;
            let _telemetry = siyu_telemetry::init(&telemetry).context("starting telemetry")?;
            let ports = if any_ports {
                Ports::ephemeral()
            } else {
                let mut ports = Ports {
                    sandbox: sandbox_port,
                    ..Ports::standard(http_port)
                };
                ports.set_grpc(registry::identity::NAME, identity_port);
                ports.set_grpc(registry::catalog::NAME, catalog_port);
                ports
            };
            let options = DevOptions {
                data_dir,
                ports,
                env: process_env(),
            };
            let running = dev::start(options).await?;
            print(&running.banner());
            siyu_server::shutdown::signal().await;
            print("Stopping…");
            running.stop().await
        }
    }
}

#[expect(
    clippy::print_stdout,
    reason = "a command-line program reporting to its user"
)]
fn print(text: &str) {
    println!("{text}");
}

/// The process environment, read once here and handed down as data.
fn process_env() -> HashMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}
