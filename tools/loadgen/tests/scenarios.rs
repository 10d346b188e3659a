//! Every scenario end to end for a small exact count, through the real binary (and the
//! library for the external-target path), against the local Postgres.
#![expect(
    clippy::unwrap_used,
    reason = "the helpers below are test code too: a failed unwrap is a failed test"
)]

use std::path::PathBuf;
use std::process::{Command, Output};

use loadgen::echo::EchoServer;
use loadgen::options::ScenarioOptions;
use loadgen::registry;
use loadgen::runner::{self, RunConfig, Stop};
use loadgen::scenario::InvariantStatus;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::Value;

const BENCH_URL: &str = "postgres://postgres@127.0.0.1:5432/loadgen_bench";

fn json_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("loadgen-{name}.json"))
}

/// Runs the binary; returns its output and, if it wrote one, the JSON report.
fn loadgen(args: &[&str], json: Option<&PathBuf>) -> (Output, Option<Value>, u32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loadgen"));
    cmd.args(args);
    if let Some(path) = json {
        let _ = std::fs::remove_file(path);
        cmd.arg("--json").arg(path);
    }
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let output = child.wait_with_output().unwrap();
    let report = json
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| serde_json::from_str(&t).unwrap());
    (output, report, pid)
}

fn assert_exact_clean_run(report: &Value, scenario: &str, count: u64) {
    assert_eq!(report["scenario"], scenario);
    assert_eq!(report["ops"], count, "{report:#}");
    assert_eq!(report["ok"], count);
    assert_eq!(report["errors"], 0, "{report:#}");
    assert_eq!(report["latency"]["count"], count);
    assert_eq!(report["invariant"]["status"], "ok", "{report:#}");
    assert!(report["throughput_ops_s"].as_f64().unwrap() > 0.0);
    let l = &report["latency"];
    assert!(l["p50_us"].as_f64().unwrap() <= l["p99_us"].as_f64().unwrap());
    assert!(l["p99_us"].as_f64().unwrap() <= l["p999_us"].as_f64().unwrap());
}

#[test]
fn grpc_echo_runs_exactly_count_ops() {
    let path = json_path("grpc-echo");
    let args = [
        "run",
        "grpc-echo",
        "--count",
        "200",
        "--concurrency",
        "4",
        "--warmup",
        "0s",
    ];
    let (out, report, _) = loadgen(&args, Some(&path));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("throughput") && stdout.contains("p999"),
        "{stdout}"
    );
    let report = report.unwrap();
    assert_exact_clean_run(&report["reports"][0], "grpc-echo", 200);
    assert!(
        report["reports"][0]["invariant"]["detail"]
            .as_str()
            .unwrap()
            .contains("answered 200")
    );
}

#[tokio::test]
async fn pg_insert_runs_exactly_count_ops_and_drops_its_table() {
    let path = json_path("pg-insert");
    let args = [
        "run",
        "pg-insert",
        "--count",
        "200",
        "--concurrency",
        "4",
        "--warmup",
        "100ms",
    ];
    let (out, report, pid) = loadgen(&args, Some(&path));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = &report.unwrap()["reports"][0];
    assert_exact_clean_run(report, "pg-insert", 200);

    let db = Database::connect(BENCH_URL).await.unwrap();
    let sql = format!("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'run_{pid}_%'");
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap();
    let left: i64 = row.try_get_by_index(0).unwrap();
    assert_eq!(left, 0, "scratch table not dropped");
}

#[test]
fn suite_runs_every_named_scenario_in_one_process() {
    let path = json_path("suite");
    let args = [
        "suite",
        "grpc-echo",
        "pg-insert",
        "--count",
        "100",
        "--concurrency",
        "2",
        "--warmup",
        "0s",
    ];
    let (out, report, _) = loadgen(&args, Some(&path));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = report.unwrap();
    assert_exact_clean_run(&report["reports"][0], "grpc-echo", 100);
    assert_exact_clean_run(&report["reports"][1], "pg-insert", 100);
    // Both are references: nothing to compare yet.
    assert_eq!(report["ratios"].as_array().unwrap().len(), 0);
}

#[test]
fn unknown_scenarios_and_options_fail_before_running() {
    let (out, _, _) = loadgen(&["run", "grpc-echo", "--count", "5", "--bogus", "1"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown option --bogus"));

    let (out, _, _) = loadgen(&["suite", "grpc-echo", "nope", "--count", "5"], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown scenario \"nope\""), "{stderr}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("== grpc-echo"),
        "ran before validating"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_echo_can_target_an_external_server() {
    let server = EchoServer::start().await.unwrap();
    let target = format!("http://{}", server.addr);
    let options = ScenarioOptions::parse(&["--target".to_owned(), target]).unwrap();
    let config = RunConfig {
        concurrency: 4,
        stop: Stop::Count(200),
        warmup: std::time::Duration::ZERO,
    };

    let report = runner::run(registry::find("grpc-echo").unwrap(), &options, &config)
        .await
        .unwrap();

    assert_eq!((report.ops, report.ok, report.errors), (200, 200, 0));
    assert_eq!(report.invariant.status, InvariantStatus::NotChecked);
    assert_eq!(
        server.served(),
        200,
        "every op must reach the external server"
    );
    server.stop().await.unwrap();
}
