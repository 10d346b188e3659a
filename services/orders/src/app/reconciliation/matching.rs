//! RunReconciliation and the run behind it: the day's bill rows against local WeChat Pay
//! payments (by out_trade_no, compared on transaction id, status and amount) and refunds (by
//! out_refund_no). A local record in the last minutes of the day may sit in the next day's bill:
//! the next day's run reports it, when it is in neither bill.
//!
//! A run records only what is new; an open mismatch of the day found again stays as it is, one
//! no longer found is closed AUTO_MATCHED, and one staff resolved stays resolved.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use uuid::Uuid;

use super::{
    Mismatch, ReconciliationError, Run, day_start_ms, import_status, kind, resolution, run_status,
    subject,
};
use crate::AppError;
use crate::app::App;
use crate::repo::reconciliation::local::{self, LocalPayment, LocalRefund};
use crate::repo::reconciliation::{self as repo, BillLine, mismatches, runs};

/// Records this close to midnight may be in the other day's bill.
const BOUNDARY_MS: i64 = 600_000;
const DAY_MS: i64 = 86_400_000;

impl App {
    /// RunReconciliation: a RUNNING run of the day (the one already running, if any); the
    /// matching runs after the commit ([`App::run_reconciliation`]).
    pub async fn start_reconciliation(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        provider: i16,
        bill_date: NaiveDate,
        staff_id: &str,
    ) -> Result<Run, AppError> {
        let import = repo::of_day(conn, tenant, provider, bill_date).await?;
        let import = match import {
            Some(i) if i.status == import_status::IMPORTED => i,
            other => {
                return Err(
                    ReconciliationError::BillNotImported(other.map_or(0, |i| i.status)).into(),
                );
            }
        };
        runs::start(
            conn,
            tenant,
            provider,
            bill_date,
            import.id,
            staff_id,
            self.now_ms(),
        )
        .await
    }

    /// The run `id` of the tenant.
    pub async fn reconciliation_run(&self, tenant: TenantId, id: Uuid) -> Result<Run, AppError> {
        runs::get(&self.db, tenant, id, false)
            .await?
            .ok_or_else(|| ReconciliationError::RunNotFound.into())
    }

    /// Starts [`App::run_reconciliation`] in the background.
    pub fn kick_run(&self, tenant: TenantId, id: Uuid) {
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.run_reconciliation(tenant, id).await {
                tracing::warn!(error = %e, run = %id, "reconciliation run");
            }
        });
    }

    /// Matches a RUNNING run in one transaction (its row locked: a second caller waits and
    /// finds it done). A failure marks the run FAILED. Answers whether this call finished it.
    pub async fn run_reconciliation(&self, tenant: TenantId, id: Uuid) -> Result<bool, AppError> {
        match self.match_run(tenant, id).await {
            Ok(done) => Ok(done),
            Err(e) => {
                tracing::warn!(error = %e, run = %id, "reconciliation failed");
                runs::fail(&self.db, tenant, id, "INTERNAL", self.now_ms()).await
            }
        }
    }

    async fn match_run(&self, tenant: TenantId, id: Uuid) -> Result<bool, AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let Some(mut run) = runs::get(&txn, tenant, id, true).await? else {
            return Ok(false);
        };
        if run.status != run_status::RUNNING {
            return Ok(false);
        }
        let day = run.bill_date;
        repo::lock(&txn, tenant, run.bill_import_id).await?;
        let lines = repo::lines(&txn, tenant, run.bill_import_id).await?;
        let neighbour = |d: NaiveDate| {
            let txn = &txn;
            async move {
                match repo::of_day(txn, tenant, run.provider, d).await? {
                    Some(i) if i.status == import_status::IMPORTED => {
                        Ok::<_, AppError>(Some(repo::lines(txn, tenant, i.id).await?))
                    }
                    _ => Ok(None),
                }
            }
        };
        let before = neighbour(day - Duration::days(1)).await?;
        let start = day_start_ms(day);
        let pay_keys: Vec<String> = lines
            .iter()
            .filter(|l| l.subject == subject::PAYMENT)
            .map(|l| l.out_trade_no.clone())
            .collect();
        let refund_keys: Vec<String> = lines
            .iter()
            .filter(|l| l.subject == subject::REFUND)
            .map(|l| l.out_refund_no.clone())
            .collect();
        let input = Input {
            day,
            start,
            lines: &lines,
            before: before.as_deref(),
            payments: local::payments_by_trade_no(&txn, tenant, &pay_keys).await?,
            refunds: local::refunds_by_no(&txn, tenant, &refund_keys).await?,
            paid: local::payments_paid_between(&txn, tenant, start - BOUNDARY_MS, start + DAY_MS)
                .await?,
            refunded: local::refunds_submitted_between(
                &txn,
                tenant,
                start - BOUNDARY_MS,
                start + DAY_MS,
            )
            .await?,
        };
        let found = compare(&input, &mut run);
        let now = self.now_ms();
        let earlier = mismatches::of_day(&txn, tenant, run.provider, day).await?;
        let found_keys: HashSet<(String, i16)> = found
            .iter()
            .map(|m| (m.match_key.clone(), m.kind))
            .collect();
        let mut known: HashSet<(String, i16)> = HashSet::new();
        for m in &earlier {
            let key = (m.match_key.clone(), m.kind);
            if m.resolution == resolution::OPEN && !found_keys.contains(&key) {
                mismatches::resolve(&txn, tenant, m.id, resolution::AUTO_MATCHED, "", "", now)
                    .await?;
                run.auto_resolved_count += 1;
            } else if m.resolution != resolution::AUTO_MATCHED {
                known.insert(key);
            }
        }
        for mut m in found {
            if known.contains(&(m.match_key.clone(), m.kind)) {
                continue;
            }
            m.id = siyu_core::id::new();
            m.run_id = run.id;
            m.detected_at_ms = now;
            mismatches::insert(&txn, tenant, run.provider, &m).await?;
            run.mismatch_count += 1;
        }
        run.finished_at_ms = Some(now);
        let done = runs::complete(&txn, tenant, &run).await?;
        txn.commit().await?;
        Ok(done)
    }
}

/// What one day's matching reads.
struct Input<'a> {
    day: NaiveDate,
    start: i64,
    lines: &'a [BillLine],
    before: Option<&'a [BillLine]>,
    payments: Vec<LocalPayment>,
    refunds: Vec<LocalRefund>,
    paid: Vec<LocalPayment>,
    refunded: Vec<LocalRefund>,
}

/// Whether a local record at `at_ms` missing from the day's bill is this run's to report:
/// inside the day before its last minutes, or in the last minutes of the day before and in
/// neither bill.
fn reportable(i: &Input<'_>, at_ms: i64, in_before: impl Fn(&[BillLine]) -> bool) -> bool {
    if at_ms < i.start {
        return i.before.is_none_or(|b| !in_before(b));
    }
    at_ms < i.start + DAY_MS - BOUNDARY_MS
}

fn payment_status(n: i16) -> String {
    siyu_proto::payments::v1::PaymentStatus::try_from(i32::from(n))
        .map_or_else(|_| n.to_string(), |s| s.as_str_name().to_owned())
}

fn refund_status(n: i16) -> String {
    siyu_proto::payments::v1::RefundStatus::try_from(i32::from(n))
        .map_or_else(|_| n.to_string(), |s| s.as_str_name().to_owned())
}

/// The day's differences (ids, run and time are set by the caller); fills the run's counts.
fn compare(i: &Input<'_>, run: &mut Run) -> Vec<Mismatch> {
    let date = i.day.format("%Y-%m-%d").to_string();
    let mut found = Vec::new();
    let base = |key: String, k: i16, s: i16| Mismatch {
        bill_date: date.clone(),
        match_key: key,
        kind: k,
        subject: s,
        ..Mismatch::default()
    };
    let payments: HashMap<&str, &LocalPayment> = i
        .payments
        .iter()
        .map(|p| (p.out_trade_no.as_str(), p))
        .collect();
    let refunds: HashMap<&str, &LocalRefund> = i
        .refunds
        .iter()
        .map(|r| (r.refund_no.as_str(), r))
        .collect();
    let (mut matched, mut psp_pay, mut psp_refund) = (0, 0, 0);
    for l in i.lines {
        let (key, local_kind) = if l.subject == subject::PAYMENT {
            psp_pay += l.amount_fen;
            let key = format!("P:{}", l.out_trade_no);
            let kind = match payments.get(l.out_trade_no.as_str()) {
                None => Some((kind::MISSING_LOCALLY, None)),
                Some(p)
                    if !p.psp_transaction_id.is_empty()
                        && p.psp_transaction_id != l.transaction_id =>
                {
                    Some((kind::MISSING_LOCALLY, None))
                }
                Some(p) if p.status != 3 => Some((kind::STATUS_DIFFERS, Some(*p))),
                Some(p) if p.amount_fen != l.amount_fen => Some((kind::AMOUNT_DIFFERS, Some(*p))),
                Some(_) => None,
            };
            let Some((k, p)) = kind else {
                matched += 1;
                continue;
            };
            let mut m = base(key.clone(), k, subject::PAYMENT);
            if let Some(p) = p {
                m.order_id = Some(p.order_id);
                m.payment_id = Some(p.id);
                m.local_fen = Some(p.amount_fen);
                m.local_status = payment_status(p.status);
            }
            (key, m)
        } else {
            psp_refund += l.amount_fen;
            let key = format!("R:{}", l.out_refund_no);
            let local = refunds.get(l.out_refund_no.as_str());
            let kind = match local {
                None => Some(kind::MISSING_LOCALLY),
                // Not submitted locally, or given up while the bill says WeChat returned it.
                Some(r)
                    if r.psp_status <= 2 || (l.refund_status == "SUCCESS" && r.psp_status >= 5) =>
                {
                    Some(kind::STATUS_DIFFERS)
                }
                Some(r) if r.cash_fen != l.amount_fen => Some(kind::AMOUNT_DIFFERS),
                Some(_) => None,
            };
            let Some(k) = kind else {
                matched += 1;
                continue;
            };
            let mut m = base(key.clone(), k, subject::REFUND);
            m.out_refund_no.clone_from(&l.out_refund_no);
            m.psp_refund_id.clone_from(&l.refund_id);
            if let Some(r) = local {
                m.order_id = Some(r.order_id);
                m.refund_id = Some(r.id);
                m.local_fen = Some(r.cash_fen);
                m.local_status = refund_status(r.status);
            }
            (key, m)
        };
        let _ = key;
        let mut m = local_kind;
        m.out_trade_no.clone_from(&l.out_trade_no);
        m.psp_transaction_id.clone_from(&l.transaction_id);
        m.psp_fen = Some(l.amount_fen);
        m.psp_status = if l.subject == subject::REFUND && !l.refund_status.is_empty() {
            l.refund_status.clone()
        } else {
            l.trade_state.clone()
        };
        found.push(m);
    }
    let billed: HashSet<&str> = i
        .lines
        .iter()
        .filter(|l| l.subject == subject::PAYMENT)
        .map(|l| l.out_trade_no.as_str())
        .collect();
    let mut local_pay = 0;
    for p in &i.paid {
        let at = p.paid_at_ms.unwrap_or(i.start);
        if at >= i.start {
            local_pay += p.amount_fen;
        }
        if billed.contains(p.out_trade_no.as_str())
            || !reportable(i, at, |b| {
                b.iter()
                    .any(|l| l.out_trade_no == p.out_trade_no && l.subject == subject::PAYMENT)
            })
        {
            continue;
        }
        let mut m = base(
            format!("P:{}", p.out_trade_no),
            kind::MISSING_AT_PSP,
            subject::PAYMENT,
        );
        m.out_trade_no.clone_from(&p.out_trade_no);
        m.psp_transaction_id.clone_from(&p.psp_transaction_id);
        m.order_id = Some(p.order_id);
        m.payment_id = Some(p.id);
        m.local_fen = Some(p.amount_fen);
        m.local_status = payment_status(p.status);
        found.push(m);
    }
    let billed: HashSet<&str> = i
        .lines
        .iter()
        .filter(|l| l.subject == subject::REFUND)
        .map(|l| l.out_refund_no.as_str())
        .collect();
    let mut local_refund = 0;
    for r in &i.refunded {
        if r.created_at_ms >= i.start && r.psp_status == 4 {
            local_refund += r.cash_fen;
        }
        if billed.contains(r.refund_no.as_str())
            || !reportable(i, r.created_at_ms, |b| {
                b.iter().any(|l| l.out_refund_no == r.refund_no)
            })
        {
            continue;
        }
        let mut m = base(
            format!("R:{}", r.refund_no),
            kind::MISSING_AT_PSP,
            subject::REFUND,
        );
        m.out_trade_no.clone_from(&r.out_trade_no);
        m.out_refund_no.clone_from(&r.refund_no);
        m.psp_transaction_id.clone_from(&r.psp_transaction_id);
        m.psp_refund_id.clone_from(&r.psp_refund_id);
        m.order_id = Some(r.order_id);
        m.refund_id = Some(r.id);
        m.local_fen = Some(r.cash_fen);
        m.local_status = refund_status(r.status);
        found.push(m);
    }
    run.matched_count = matched;
    run.local_payment_total_fen = local_pay;
    run.psp_payment_total_fen = psp_pay;
    run.local_refund_total_fen = local_refund;
    run.psp_refund_total_fen = psp_refund;
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> Run {
        Run {
            id: Uuid::nil(),
            provider: 1,
            bill_date: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default(),
            bill_import_id: Uuid::nil(),
            status: run_status::RUNNING,
            matched_count: 0,
            mismatch_count: 0,
            auto_resolved_count: 0,
            local_payment_total_fen: 0,
            psp_payment_total_fen: 0,
            local_refund_total_fen: 0,
            psp_refund_total_fen: 0,
            error_reason: String::new(),
            started_by_staff_id: String::new(),
            started_at_ms: 0,
            finished_at_ms: None,
        }
    }

    fn line(no: &str, fen: i64) -> BillLine {
        BillLine {
            line_no: 1,
            subject: subject::PAYMENT,
            traded_at: String::new(),
            out_trade_no: no.into(),
            transaction_id: format!("4200{no}"),
            out_refund_no: String::new(),
            refund_id: String::new(),
            trade_state: "SUCCESS".into(),
            refund_status: String::new(),
            amount_fen: fen,
        }
    }

    fn paid(no: &str, fen: i64, at_ms: i64, status: i16) -> LocalPayment {
        LocalPayment {
            id: Uuid::nil(),
            order_id: Uuid::nil(),
            out_trade_no: no.into(),
            status,
            amount_fen: fen,
            psp_transaction_id: format!("4200{no}"),
            paid_at_ms: Some(at_ms),
        }
    }

    fn kinds(found: &[Mismatch]) -> Vec<(String, i16)> {
        let mut k: Vec<_> = found
            .iter()
            .map(|m| (m.match_key.clone(), m.kind))
            .collect();
        k.sort();
        k
    }

    #[test]
    fn each_difference_is_its_kind_and_equal_rows_match() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        let start = day_start_ms(day);
        let noon = start + DAY_MS / 2;
        let lines = [
            line("A", 100),
            line("B", 200),
            line("C", 300),
            line("D", 400),
        ];
        let locals = vec![
            paid("A", 100, noon, 3),
            paid("B", 201, noon, 3),
            paid("C", 300, noon, 2),
            paid("E", 500, noon, 3),
        ];
        let input = Input {
            day,
            start,
            lines: &lines,
            before: None,
            payments: locals.clone(),
            refunds: Vec::new(),
            paid: locals.into_iter().filter(|p| p.status == 3).collect(),
            refunded: Vec::new(),
        };
        let mut r = run();
        let found = compare(&input, &mut r);
        assert_eq!(
            kinds(&found),
            vec![
                ("P:B".into(), kind::AMOUNT_DIFFERS),
                ("P:C".into(), kind::STATUS_DIFFERS),
                ("P:D".into(), kind::MISSING_LOCALLY),
                ("P:E".into(), kind::MISSING_AT_PSP),
            ]
        );
        assert_eq!(r.matched_count, 1);
        assert_eq!(
            (r.local_payment_total_fen, r.psp_payment_total_fen),
            (801, 1000)
        );
    }

    #[test]
    fn the_last_minutes_of_a_day_belong_to_the_next_days_run() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        let start = day_start_ms(day);
        // Paid at 23:55 on the 7th and at 23:55 on the 6th, in no bill of the 7th.
        let late = paid("LATE", 100, start + DAY_MS - 300_000, 3);
        let early = paid("EARLY", 100, start - 300_000, 3);
        let input = |before: Option<&'static [BillLine]>| Input {
            day,
            start,
            lines: &[],
            before,
            payments: Vec::new(),
            refunds: Vec::new(),
            paid: vec![late.clone(), early.clone()],
            refunded: Vec::new(),
        };
        // The 7th's run leaves the 7th's last minutes to the 8th's run, and reports the 6th's
        // last minutes when the 6th's bill lacks them too.
        let found = compare(&input(Some(&[])), &mut run());
        assert_eq!(
            kinds(&found),
            vec![("P:EARLY".into(), kind::MISSING_AT_PSP)]
        );
        // In the 6th's bill: nothing to report.
        let in_sixth: &'static [BillLine] = Box::leak(Box::new([line("EARLY", 100)]));
        assert!(compare(&input(Some(in_sixth)), &mut run()).is_empty());
    }
}
