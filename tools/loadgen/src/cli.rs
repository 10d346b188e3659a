//! Command line: `list`, `run <scenario>`, `suite <names…>`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};

use crate::echo::EchoServer;
use crate::options::ScenarioOptions;
use crate::registry;
use crate::report::{SuiteReport, print_ratios, print_report};
use crate::runner::{self, RunConfig, Stop};
use crate::scenario::ScenarioSpec;

/// Load generator for Siyu: runs registered scenarios and reports throughput and latency.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List scenarios and their options.
    List,
    /// Serve the echo service until Ctrl-C, as an external `--target` for `grpc-echo`
    /// (e.g. on another machine, or in a container with its own CPU quota).
    EchoServer {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:50099")]
        listen: SocketAddr,
    },
    /// Run one scenario. Scenario options (e.g. --target URL) follow its name.
    Run {
        /// Run parameters.
        #[command(flatten)]
        common: CommonArgs,
        /// Scenario name, then its options.
        #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run several scenarios one after another in this process, then print ratios of
    /// subjects to their references. Options after the names go to every scenario that
    /// declares them.
    Suite {
        /// Run parameters, shared by every scenario.
        #[command(flatten)]
        common: CommonArgs,
        /// Scenario names, then options.
        #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Parameters shared by every scenario of a run.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Concurrent workers.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Length of the measured phase, e.g. 10s, 500ms, 2m.
    #[arg(long, value_parser = parse_duration, conflicts_with = "count")]
    pub duration: Option<Duration>,
    /// Exact number of measured operations instead of a duration.
    #[arg(long)]
    pub count: Option<u64>,
    /// Unmeasured warmup before measuring.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub warmup: Duration,
    /// Also write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// The common flags as they may also appear among a scenario's options, where clap's
/// trailing arguments hide them.
#[derive(Debug, Parser)]
#[command(no_binary_name = true)]
struct TrailingCommon {
    #[arg(long)]
    concurrency: Option<usize>,
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    #[arg(long)]
    count: Option<u64>,
    #[arg(long, value_parser = parse_duration)]
    warmup: Option<Duration>,
    #[arg(long)]
    json: Option<PathBuf>,
}

const COMMON_FLAGS: &[&str] = &["concurrency", "duration", "count", "warmup", "json"];

/// Moves common flags found after the scenario name(s) into `common`, so
/// `loadgen run grpc-echo --count 200` means what it says; returns the scenario options.
fn take_common(common: &CommonArgs, args: &[String]) -> anyhow::Result<(CommonArgs, Vec<String>)> {
    let (mut picked, mut rest) = (Vec::new(), Vec::new());
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let name = arg
            .strip_prefix("--")
            .map(|f| f.split_once('=').map_or(f, |(n, _)| n));
        if name.is_some_and(|n| COMMON_FLAGS.contains(&n)) {
            picked.push(arg.clone());
            if !arg.contains('=') {
                picked.extend(iter.next().cloned());
            }
        } else {
            rest.push(arg.clone());
        }
    }
    let t = TrailingCommon::try_parse_from(&picked)?;
    let merged = CommonArgs {
        concurrency: t.concurrency.unwrap_or(common.concurrency),
        duration: t.duration.or(common.duration),
        count: t.count.or(common.count),
        warmup: t.warmup.unwrap_or(common.warmup),
        json: t.json.or_else(|| common.json.clone()),
    };
    Ok((merged, rest))
}

/// Runs the command; `Ok(false)` when an invariant failed.
pub async fn execute(cli: Cli) -> anyhow::Result<bool> {
    match cli.command {
        Command::List => {
            print_list(registry::all());
            Ok(true)
        }
        Command::EchoServer { listen } => {
            let server = EchoServer::start_on(listen).await?;
            announce(&format!(
                "echo server listening on http://{}; Ctrl-C stops it",
                server.addr
            ));
            tokio::signal::ctrl_c().await?;
            announce(&format!("served {} requests", server.served()));
            server.stop().await?;
            Ok(true)
        }
        Command::Run { common, args } => {
            let (name, rest) = args.split_first().context("missing scenario name")?;
            if name.starts_with("--") {
                bail!(
                    "put the scenario name before its options: loadgen run <scenario> [--option value]"
                );
            }
            let (common, rest) = take_common(&common, rest)?;
            run_suite(&common, std::slice::from_ref(name), &rest).await
        }
        Command::Suite { common, args } => {
            let split = args
                .iter()
                .position(|a| a.starts_with("--"))
                .unwrap_or(args.len());
            let (names, rest) = args.split_at(split);
            if names.is_empty() {
                bail!("name at least one scenario");
            }
            let (common, rest) = take_common(&common, rest)?;
            run_suite(&common, names, &rest).await
        }
    }
}

async fn run_suite(common: &CommonArgs, names: &[String], rest: &[String]) -> anyhow::Result<bool> {
    // Resolve and validate everything before running anything: a typo in the last scenario
    // should not surface after the first has run for minutes.
    let specs = names
        .iter()
        .map(|n| registry::find(n))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let options = ScenarioOptions::parse(rest)?;
    options.ensure_known(specs.iter().flat_map(|s| s.options.iter()))?;
    let config = run_config(common)?;

    let mut reports = Vec::with_capacity(specs.len());
    for spec in specs {
        let report = runner::run(spec, &options, &config).await?;
        print_report(&report);
        reports.push(report);
    }
    let suite = SuiteReport::new(reports);
    print_ratios(&suite.ratios);
    if let Some(path) = &common.json {
        suite.write_json(path)?;
    }
    Ok(suite.reports.iter().all(|r| r.passed()))
}

/// The runner's parameters from the common flags (10 s when neither duration nor count).
pub fn run_config(common: &CommonArgs) -> anyhow::Result<RunConfig> {
    if common.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let stop = match (common.count, common.duration) {
        (Some(_), Some(_)) => bail!("give --duration or --count, not both"),
        (Some(0), _) => bail!("--count must be at least 1"),
        (Some(n), _) => Stop::Count(n),
        (None, Some(d)) => Stop::Duration(d),
        (None, None) => Stop::Duration(Duration::from_secs(10)),
    };
    Ok(RunConfig {
        concurrency: common.concurrency,
        stop,
        warmup: common.warmup,
    })
}

/// Parses `250ms`, `10s`, `1.5s`, `2m`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid duration {text:?}"))?;
    let seconds = match unit {
        "ms" => value / 1_000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("invalid duration unit in {text:?}: use ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("invalid duration {text:?}: {e}"))
}

#[expect(clippy::print_stdout, reason = "the CLI's output")]
fn announce(line: &str) {
    println!("{line}");
}

#[expect(clippy::print_stdout, reason = "the CLI's output")]
fn print_list(specs: &[ScenarioSpec]) {
    for spec in specs {
        let reference = spec
            .reference
            .map(|r| format!(" (reported against {r})"))
            .unwrap_or_default();
        println!("{:<12} {}{reference}", spec.name, spec.description);
        for option in spec.options {
            let default = option
                .default
                .map(|d| format!(" [default: {d}]"))
                .unwrap_or_default();
            println!("    --{:<16} {}{default}", option.name, option.help);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("10h").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn common_flags_may_come_before_or_after_the_scenario_name() {
        let cli = Cli::try_parse_from([
            "loadgen",
            "run",
            "--concurrency",
            "4",
            "grpc-echo",
            "--count",
            "9",
            "--target",
            "http://x:1",
            "--warmup=0s",
        ]);
        let Command::Run { common, args } = cli.unwrap().command else {
            panic!("not run")
        };
        assert_eq!(common.concurrency, 4);
        let (common, rest) = take_common(&common, &args[1..]).unwrap();
        assert_eq!(rest, ["--target", "http://x:1"]);
        let config = run_config(&common).unwrap();
        assert_eq!(config.stop, Stop::Count(9));
        assert_eq!(config.concurrency, 4);
        assert_eq!(config.warmup, Duration::ZERO);
    }

    #[test]
    fn duration_and_count_together_are_rejected() {
        let cli = Cli::try_parse_from([
            "loadgen",
            "run",
            "--duration",
            "1s",
            "pg-insert",
            "--count",
            "5",
        ]);
        let Command::Run { common, args } = cli.unwrap().command else {
            panic!("not run")
        };
        let (common, _) = take_common(&common, &args[1..]).unwrap();
        assert!(run_config(&common).is_err());
    }
}
