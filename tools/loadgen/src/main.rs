//! `loadgen` binary: parses the command line and runs it on a multi-threaded runtime.

use std::process::ExitCode;

use clap::Parser as _;
use loadgen::cli::{Cli, execute};

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let passed = runtime.block_on(execute(cli))?;
    // A broken invariant means the numbers are not a valid measurement: fail the command.
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
