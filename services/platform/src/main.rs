//! `siyu`: runs the whole suite in one process (embedded mode).
//!
//! The services arrive one by one; until the first exists, `siyu dev` says so and exits.

use clap::{Parser, Subcommand};

/// Siyu in one process: every service, the gateway and the WeChat sandbox.
#[derive(Debug, Parser)]
#[command(name = "siyu", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the suite on embedded backends (SQLite, in-memory cache and bus) under `.siyu/`.
    Dev,
}

#[expect(
    clippy::print_stdout,
    reason = "a command-line program reporting to its user"
)]
fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Dev => {
            println!("siyu dev: the foundation (contracts and shared libraries) is in place,");
            println!("but no service is built yet, so there is nothing to start.");
            println!("Run the test suite with `bash scripts/test.sh`; see README.md.");
        }
    }
    Ok(())
}
