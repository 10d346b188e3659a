//! Segment evaluation over 1,000,000 generated members on PostgreSQL, timed next to references
//! measured in the same run on the same server.
//!
//! ```sh
//! cargo run -p siyu-membership --example segment_bench            # 1,000,000 members
//! SIYU_BENCH_MEMBERS=100000 cargo run -p siyu-membership --example segment_bench
//! ```
//!
//! It creates the scratch database `siyu_segment_bench` on the server of
//! `SIYU_BENCH_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`), migrates
//! it, generates one tenant's members with `generate_series` (home stores, birthdays, growth,
//! enrolment times, points balances, three manual tags on 30 %, 20 % and 10 % of members),
//! then times PreviewSegment, EvaluateSegment, CheckSegmentMembership and an export through the
//! app layer (the handlers add decoding only) against:
//! - `count`: `SELECT COUNT(*)` of the tenant's members (one pass over the tenant), and
//! - `copy`: `INSERT … SELECT` of as many member ids into the snapshot table as the evaluation
//!   wrote (the write an evaluation cannot avoid).
//!
//! The database is dropped at the end unless `SIYU_BENCH_KEEP` is set.

#![allow(clippy::print_stdout, reason = "a benchmark prints its report")]
#![expect(
    clippy::disallowed_methods,
    reason = "a benchmark program, not a service: its two knobs come from the environment"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
use siyu_core::{Ctx, Principal, PrincipalKind, TenantId};
use siyu_membership::app::App;
use siyu_membership::app::domain::MemberId;
use siyu_membership::app::segments::expression::Expr;
use siyu_membership::app::segments::{Segment, SegmentId};
use siyu_store::DbOptions;
use uuid::Uuid;

const DB: &str = "siyu_segment_bench";
const DAY_MS: i64 = 86_400_000;

async fn exec(db: &DatabaseConnection, sql: &str) -> anyhow::Result<u64> {
    let r = db
        .execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .with_context(|| sql.chars().take(80).collect::<String>())?;
    Ok(r.rows_affected())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Generates `n` members of `tenant` with balances and three tagged populations.
async fn generate(
    db: &DatabaseConnection,
    tenant: Uuid,
    tags: [Uuid; 3],
    n: i64,
    now_ms: i64,
) -> anyhow::Result<()> {
    exec(
        db,
        &format!(
            "INSERT INTO mem_members (tenant, id, user_id, card_number, status, birthday, \
             home_store_id, attribution, tag_ids, attributes, growth_value, enrolled_at_ms, \
             updated_at_ms) \
             SELECT '{tenant}', md5('m' || g)::uuid, md5('u' || g)::uuid, 'C' || g, 1, \
             CASE WHEN g % 3 = 0 THEN '1990-' || lpad((g % 12 + 1)::text, 2, '0') || '-' || \
             lpad((g % 28 + 1)::text, 2, '0') ELSE '' END, \
             ('00000000-0000-0000-0000-0000000000' || lpad((g % 20)::text, 2, '0'))::uuid, \
             '{{\"channel\":' || (g % 5) || '}}', '[]', '{{}}', (g::bigint * 7919) % 2000, \
             {now_ms} - (g % 1000)::bigint * {DAY_MS}, {now_ms} FROM generate_series(1, {n}) g"
        ),
    )
    .await?;
    exec(
        db,
        &format!(
            "INSERT INTO mem_balances (tenant, member_id, points_available, updated_at_ms) \
             SELECT tenant, id, abs(hashtext(id::text)) % 5000, {now_ms} FROM mem_members"
        ),
    )
    .await?;
    for (i, (tag, (name, percent))) in tags
        .iter()
        .zip([("VIP", 3), ("敏感肌", 2), ("流失", 1)])
        .enumerate()
    {
        exec(
            db,
            &format!(
                "INSERT INTO mem_tags (tenant, id, name, tag_group, kind, created_at_ms, \
                 updated_at_ms) VALUES ('{tenant}', '{tag}', '{name}', '', 1, {now_ms}, {now_ms})"
            ),
        )
        .await?;
        exec(
            db,
            &format!(
                "INSERT INTO mem_member_tags (tenant, tag_id, member_id, created_at_ms) \
                 SELECT tenant, '{tag}', id, {now_ms} FROM mem_members \
                 WHERE abs(hashtext(id::text || '{i}')) % 10 < {percent}"
            ),
        )
        .await?;
    }
    exec(db, "ANALYZE").await?;
    Ok(())
}

fn attr(name: &str, op: i32, values: &[&str]) -> Expr {
    Expr::Attribute {
        attribute: name.into(),
        operator: op,
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let server = std::env::var("SIYU_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let n: i64 = std::env::var("SIYU_BENCH_MEMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let admin = siyu_store::db::connect(&server, &DbOptions::default()).await?;
    exec(&admin, &format!("DROP DATABASE IF EXISTS {DB}")).await?;
    exec(&admin, &format!("CREATE DATABASE {DB}")).await?;
    let url = match server.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{DB}"),
        None => anyhow::bail!("database url without a path"),
    };
    let db = siyu_store::db::connect(&url, &DbOptions::default()).await?;
    siyu_store::db::migrate::<siyu_membership_migration::Migrator>(&db).await?;

    let clock = siyu_core::clock::system();
    let now_ms = clock.now().timestamp_millis();
    let tenant = Uuid::now_v7();
    let tags = [Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
    let started = Instant::now();
    generate(&db, tenant, tags, n, now_ms).await?;
    println!(
        "generated {n} members in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let app = App::new(db.clone(), Arc::clone(&clock));
    let ctx = Ctx::new(
        TenantId(tenant),
        Principal {
            subject: "bench".into(),
            kind: PrincipalKind::Service,
            grants: Vec::new(),
            scopes: Vec::new(),
            token_id: None,
        },
    );
    // VIP, 1,000+ points, enrolled within the last 365 days.
    let expr = Expr::AllOf(vec![
        Expr::Tag {
            tag_ids: vec![tags[0]],
            match_all: false,
        },
        attr("points_available", 6, &["1000"]),
        attr("enrolled_at", 10, &["365"]),
    ]);
    expr.check("expression")?;
    let txn = db.begin().await?;
    let segment = app
        .create_segment(
            &txn,
            &ctx,
            Segment {
                id: SegmentId(Uuid::nil()),
                name: "bench".into(),
                description: String::new(),
                expression: expr.clone(),
                scope_store_id: None,
                last_count: 0,
                last_evaluated_at_ms: None,
                archived: false,
                updated_at_ms: 0,
            },
        )
        .await?;
    txn.commit().await?;

    let runs = 5;
    let (mut preview, mut evaluate, mut count, mut copy) = (vec![], vec![], vec![], vec![]);
    let mut matched = 0;
    let mut snapshot = None;
    for run in 0..runs {
        let t = Instant::now();
        let (c, _) = app.preview_segment(&ctx, &expr, None).await?;
        preview.push(t.elapsed());

        let t = Instant::now();
        let txn = db.begin().await?;
        let snap = app.evaluate_segment(&txn, &ctx, segment.id).await?;
        txn.commit().await?;
        evaluate.push(t.elapsed());
        anyhow::ensure!(snap.member_count == c, "preview and snapshot disagree");
        matched = c;
        snapshot = Some(snap.id);

        let t = Instant::now();
        exec(
            &db,
            &format!("SELECT COUNT(*) FROM mem_members WHERE tenant = '{tenant}'"),
        )
        .await?;
        count.push(t.elapsed());

        let t = Instant::now();
        let txn = db.begin().await?;
        txn.execute_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "INSERT INTO mem_segment_members (tenant, snapshot_id, member_id) SELECT tenant, \
                 '{}', id FROM mem_members WHERE tenant = '{tenant}' LIMIT {c}",
                Uuid::now_v7()
            ),
        ))
        .await?;
        txn.rollback().await?;
        copy.push(t.elapsed());
        println!(
            "run {run}: preview {}, evaluate {}, count {}, copy {}",
            ms(preview[run]),
            ms(evaluate[run]),
            ms(count[run]),
            ms(copy[run])
        );
    }

    let cards: Vec<String> = (0..100)
        .map(|i| format!("'C{}'", i * (n / 100) + 1))
        .collect();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT id FROM mem_members WHERE tenant = '{tenant}' AND card_number IN ({})",
                cards.join(", ")
            ),
        ))
        .await?;
    let sample = rows
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id").map(MemberId))
        .collect::<Result<Vec<_>, _>>()?;
    let t = Instant::now();
    for m in &sample {
        app.check_segment_membership(&ctx, segment.id, *m).await?;
    }
    let check = t.elapsed() / u32::try_from(sample.len().max(1))?;
    let t = Instant::now();
    let mut exported = 0;
    let mut after = None;
    if let Some(snap) = snapshot {
        loop {
            let (rows, _) = app.export_segment(&ctx, snap, after, 5000).await?;
            exported += rows.len();
            match rows.last() {
                Some(r) if rows.len() == 5000 => after = Some(r.member_id.0),
                _ => break,
            }
        }
    }
    let export = t.elapsed();
    anyhow::ensure!(
        i64::try_from(exported)? == matched,
        "export returned {exported} of {matched}"
    );

    let (p, e, c, w) = (
        median(preview),
        median(evaluate),
        median(count),
        median(copy),
    );
    println!();
    println!("members {n}, matched {matched} (VIP ∧ points ≥ 1000 ∧ enrolled ≤ 365 days)");
    println!("| operation | median of {runs} | ratio |");
    println!("|---|---:|---:|");
    println!(
        "| PreviewSegment (count + 20 sample) | {} | {:.2}× count |",
        ms(p),
        p.as_secs_f64() / c.as_secs_f64()
    );
    println!(
        "| EvaluateSegment (snapshot of {matched}) | {} | {:.2}× copy |",
        ms(e),
        e.as_secs_f64() / w.as_secs_f64()
    );
    println!("| reference count (all {n} members) | {} | 1 |", ms(c));
    println!(
        "| reference copy ({matched} ids INSERT … SELECT) | {} | 1 |",
        ms(w)
    );
    println!("| CheckSegmentMembership (mean of 100) | {} | |", ms(check));
    println!(
        "| ExportSegmentMembers (all pages of 5,000) | {} | |",
        ms(export)
    );

    drop((app, db));
    if std::env::var_os("SIYU_BENCH_KEEP").is_none() {
        exec(
            &admin,
            &format!("DROP DATABASE IF EXISTS {DB} WITH (FORCE)"),
        )
        .await?;
    }
    Ok(())
}
