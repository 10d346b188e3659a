//! `gateway-hop`, `refresh-rotation`, `wechat-login-gateway` and `product-detail-gateway` end
//! to end for small exact counts through the real binary: the whole suite in-process on the
//! local Postgres (127.0.0.1:5432, trust) and Redis (127.0.0.1:6379).
#![expect(
    clippy::unwrap_used,
    reason = "the helpers below are test code too: a failed unwrap is a failed test"
)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::Value;

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn loadgen(name: &str, args: &[&str]) -> Value {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("loadgen-pf-{name}.json"));
    let _ = std::fs::remove_file(&path);
    let output = Command::new(env!("CARGO_BIN_EXE_loadgen"))
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

fn clean(report: &Value, scenario: &str, count: u64) -> String {
    assert_eq!(report["scenario"], scenario);
    assert_eq!(report["ok"], count, "{report:#}");
    assert_eq!(report["errors"], 0, "{report:#}");
    assert_eq!(report["invariant"]["status"], "ok", "{report:#}");
    report["invariant"]["detail"].as_str().unwrap().to_owned()
}

async fn scratch_databases() -> BTreeSet<String> {
    let db = Database::connect(ADMIN_URL).await.unwrap();
    let sql = "SELECT datname FROM pg_database WHERE datname LIKE 'loadgen_platform_%'";
    let rows = db
        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

fn run(name: &str, scenario: &str, count: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "run",
        scenario,
        "--count",
        count,
        "--concurrency",
        "3",
        "--warmup",
        "0s",
    ];
    args.extend_from_slice(extra);
    let report = loadgen(name, &args);
    report["reports"][0].clone()
}

/// One test for every platform run, so the scratch-database check sees no other run's.
#[tokio::test]
async fn platform_scenarios_keep_their_invariants_and_drop_their_databases() {
    let before = scratch_databases().await;

    // With its reference in one suite: the ratio is reported.
    let args = [
        "suite",
        "grpc-echo",
        "gateway-hop",
        "--count",
        "60",
        "--concurrency",
        "3",
        "--warmup",
        "0s",
    ];
    let report = loadgen("gateway-hop", &args);
    let detail = clean(&report["reports"][1], "gateway-hop", 60);
    assert!(detail.contains("= ok ops 60"), "{detail}");
    let ratios = report["ratios"].as_array().unwrap();
    assert_eq!(ratios[0]["subject"], "gateway-hop", "{report:#}");
    assert_eq!(ratios[0]["reference"], "grpc-echo");

    let report = run("refresh", "refresh-rotation", "45", &[]);
    let detail = clean(&report, "refresh-rotation", 45);
    assert!(
        detail.contains("sessions 3 (expected 3), with exactly one live refresh token 3; spent tokens 45 = ok rotations 45"),
        "{detail}"
    );

    // Every 3rd code of a worker is a returning user's: the invariant compares the DB's user
    // count with the distinct openids and the isNewUser replies (how the 36 logins spread over
    // the workers is the runner's business).
    let extra = ["--codes", "36", "--returning-every", "3"];
    let report = run("login", "wechat-login-gateway", "36", &extra);
    let detail = clean(&report, "wechat-login-gateway", 36);
    assert!(detail.contains("logins 36 ("), "{detail}");
    assert!(!detail.contains("(0 returning)"), "{detail}");

    let report = run(
        "detail",
        "product-detail-gateway",
        "30",
        &["--products", "7"],
    );
    let detail = clean(&report, "product-detail-gateway", 30);
    assert!(detail.contains("= ok ops 30 over 7 products"), "{detail}");

    let after = scratch_databases().await;
    let left: Vec<&String> = after.difference(&before).collect();
    assert!(left.is_empty(), "scratch databases left behind: {left:?}");
}

#[test]
fn platform_options_are_validated_before_anything_runs() {
    for (scenario, option, value) in [
        ("gateway-hop", "--redis-url", "http://x"),
        ("refresh-rotation", "--pool-size", "0"),
        ("wechat-login-gateway", "--codes", "0"),
        ("product-detail-gateway", "--products", "0"),
        ("product-detail-gateway", "--suite-threads", "0"),
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
