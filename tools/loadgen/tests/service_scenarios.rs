//! `token-verify`, `catalog-reserve` and `catalog-reserve-hot` end to end for small exact
//! counts through the real binary, against the local Postgres (127.0.0.1:5432, trust).
#![expect(
    clippy::unwrap_used,
    reason = "the helpers below are test code too: a failed unwrap is a failed test"
)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::Value;

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn json_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("loadgen-svc-{name}.json"))
}

/// Runs the binary with `--json`; asserts it succeeded and returns the JSON report.
fn loadgen(name: &str, args: &[&str]) -> Value {
    let path = json_path(name);
    let _ = std::fs::remove_file(&path);
    let output: Output = Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .arg("--json")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn assert_exact_clean_run(report: &Value, scenario: &str, count: u64) {
    assert_eq!(report["scenario"], scenario);
    assert_eq!(report["ops"], count, "{report:#}");
    assert_eq!(report["ok"], count);
    assert_eq!(report["errors"], 0, "{report:#}");
    assert_eq!(report["latency"]["count"], count);
    assert_eq!(report["invariant"]["status"], "ok", "{report:#}");
    let l = &report["latency"];
    assert!(l["p50_us"].as_f64().unwrap() <= l["p99_us"].as_f64().unwrap());
}

fn detail(report: &Value) -> &str {
    report["invariant"]["detail"].as_str().unwrap()
}

async fn scratch_databases() -> BTreeSet<String> {
    let db = Database::connect(ADMIN_URL).await.unwrap();
    let sql = "SELECT datname FROM pg_database WHERE datname LIKE 'loadgen_catalog_%'";
    let rows = db
        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

#[test]
fn token_verify_verifies_every_token_and_builds_its_ctx() {
    let args = [
        "run",
        "token-verify",
        "--count",
        "300",
        "--concurrency",
        "2",
        "--warmup",
        "50ms",
        "--tokens",
        "50",
    ];
    let report = loadgen("token-verify", &args);
    let report = &report["reports"][0];
    assert_exact_clean_run(report, "token-verify", 300);
    assert!(report["reference"].is_null());
    assert!(detail(report).contains("tenant mismatches 0"), "{report:#}");
}

/// One test for every catalog run, so the scratch-database check below sees no other run's.
#[tokio::test]
async fn catalog_scenarios_keep_their_invariants_and_drop_their_databases() {
    let before = scratch_databases().await;

    // In a suite with its reference: the ratio is reported.
    let args = [
        "suite",
        "pg-insert",
        "catalog-reserve",
        "--count",
        "60",
        "--concurrency",
        "4",
        "--warmup",
        "0s",
        "--skus",
        "30",
    ];
    let report = loadgen("catalog-reserve", &args);
    let reserve = &report["reports"][1];
    assert_exact_clean_run(reserve, "catalog-reserve", 60);
    // 60 orders × 3 lines, quantities 1..=3 cycling: 2 per line on average.
    assert!(
        detail(reserve).contains("reserved in DB 360 = sum of ok reservations 360"),
        "{reserve:#}"
    );
    let ratios = report["ratios"].as_array().unwrap();
    assert_eq!(ratios.len(), 1, "{report:#}");
    assert_eq!(ratios[0]["subject"], "catalog-reserve");
    assert_eq!(ratios[0]["reference"], "pg-insert");

    // More attempts than stock: exactly the stock is sold, the rest refused, no error.
    let args = [
        "run",
        "catalog-reserve-hot",
        "--count",
        "60",
        "--concurrency",
        "8",
        "--warmup",
        "0s",
        "--stock",
        "25",
    ];
    let report = loadgen("hot-sold-out", &args);
    let hot = &report["reports"][0];
    assert_exact_clean_run(hot, "catalog-reserve-hot", 60);
    assert!(
        detail(hot).contains("sold 25 = min(stock 25, attempts 60) = 25; refused 35"),
        "{hot:#}"
    );

    // Fewer attempts than stock: every attempt sells.
    let args = [
        "run",
        "catalog-reserve-hot",
        "--count",
        "40",
        "--concurrency",
        "4",
        "--warmup",
        "0s",
        "--stock",
        "1000",
    ];
    let report = loadgen("hot-in-stock", &args);
    let hot = &report["reports"][0];
    assert_exact_clean_run(hot, "catalog-reserve-hot", 40);
    assert!(detail(hot).contains("sold 40 = min"), "{hot:#}");

    let after = scratch_databases().await;
    let left: Vec<&String> = after.difference(&before).collect();
    assert!(left.is_empty(), "scratch databases left behind: {left:?}");
}

#[test]
fn catalog_options_are_validated_before_anything_runs() {
    for (scenario, option, value) in [
        ("catalog-reserve", "--skus", "2"),
        ("catalog-reserve", "--sku-stock", "0"),
        ("catalog-reserve-hot", "--stock", "0"),
        ("catalog-reserve-hot", "--pool-size", "0"),
        ("token-verify", "--tokens", "0"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_loadgen"))
            .args(["run", scenario, "--count", "1", option, value])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{scenario} {option} {value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(option), "{scenario}: {stderr}");
    }
}
