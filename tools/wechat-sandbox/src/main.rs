//! `wechat-sandbox`: run the WeChat emulator as its own process.

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Parser;
use tracing_subscriber::EnvFilter;
use wechat_sandbox::{AppSettings, Sandbox, SandboxSettings};

/// A local emulator of the WeChat server APIs, with a test-control API under /sandbox.
#[derive(Debug, Parser)]
#[command(name = "wechat-sandbox", version)]
struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:9400")]
    listen: SocketAddr,
    /// A mini-program app to register at start, as APPID:SECRET (repeatable).
    #[arg(long = "app", value_name = "APPID:SECRET", value_parser = parse_app)]
    apps: Vec<AppSettings>,
    /// Lifetime of login and phone codes, in seconds.
    #[arg(long, default_value_t = 300)]
    code_ttl_secs: i64,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, default_value_t = 7200)]
    access_token_ttl_secs: i64,
}

fn parse_app(value: &str) -> Result<AppSettings, String> {
    match value.split_once(':') {
        Some((appid, secret)) if !appid.is_empty() && !secret.is_empty() => {
            Ok(AppSettings::new(appid, secret))
        }
        _ => Err("expected APPID:SECRET".to_owned()),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let settings = SandboxSettings {
        listen: args.listen,
        apps: args.apps,
        code_ttl_secs: args.code_ttl_secs,
        access_token_ttl_secs: args.access_token_ttl_secs,
        ..SandboxSettings::default()
    };
    let sandbox = Sandbox::build(settings)
        .await
        .context("starting the sandbox")?;
    sandbox
        .run_until_stopped()
        .await
        .context("serving the sandbox")
}
