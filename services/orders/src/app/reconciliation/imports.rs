//! ImportBill and the download behind it: the day's import is one row per (tenant, provider,
//! day); whoever downloads holds its claim, so concurrent requests, the spawned task and the
//! jobs pass never download one day twice at once, and a download cut off by a restart is
//! taken over once its claim is stale.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use siyu_wechatpay::WechatPayError;
use siyu_wechatpay::error::ApiCode;
use siyu_wechatpay::model::BillType;
use uuid::Uuid;

use super::{BillImport, ReconciliationError, STALE_MS, day_start_ms, import_status, subject};
use crate::AppError;
use crate::app::App;
use crate::app::payments::PaymentError;
use crate::repo::reconciliation::{self as repo, BillLine, Imported, Unimported};

/// A bill not ready is asked for again after this long.
const RETRY_NOT_READY_MS: i64 = 3_600_000;

/// How a download ended.
enum Download {
    Imported(Vec<BillLine>, Imported),
    NotReady,
    Failed(&'static str),
}

impl App {
    /// ImportBill: the day's import, DOWNLOADING when it was new, FAILED or `replace`d (the
    /// download runs after the commit: [`App::download_bill`]), else as it is.
    pub async fn import_bill(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        provider: i16,
        bill_date: NaiveDate,
        replace: bool,
    ) -> Result<BillImport, AppError> {
        let merchant = self.merchants.get(&self.db, tenant).await?;
        let now = self.now_ms();
        let import =
            repo::request(conn, tenant, provider, bill_date, &merchant.mch_id, now).await?;
        if import.status != import_status::DOWNLOADING
            && repo::restart(conn, tenant, import.id, replace, &merchant.mch_id, now).await?
        {
            return repo::get(conn, tenant, import.id)
                .await?
                .ok_or_else(|| ReconciliationError::BillImportNotFound.into());
        }
        Ok(import)
    }

    /// The import `id` of the tenant.
    pub async fn bill_import(&self, tenant: TenantId, id: Uuid) -> Result<BillImport, AppError> {
        repo::get(&self.db, tenant, id)
            .await?
            .ok_or_else(|| ReconciliationError::BillImportNotFound.into())
    }

    /// Starts [`App::download_bill`] in the background (the import survives a restart: the
    /// jobs pass takes over a stale claim).
    pub fn kick_download(&self, tenant: TenantId, id: Uuid) {
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.download_bill(tenant, id).await {
                tracing::warn!(error = %e, bill_import = %id, "bill download");
            }
        });
    }

    /// Downloads, checks and stores the import's bill if this caller wins its claim; answers
    /// whether it did.
    pub async fn download_bill(&self, tenant: TenantId, id: Uuid) -> Result<bool, AppError> {
        let claim = siyu_core::id::new_string();
        let now = self.now_ms();
        if !repo::claim(&self.db, tenant, id, &claim, now, now - STALE_MS).await? {
            return Ok(false);
        }
        let import = self.bill_import(tenant, id).await?;
        let outcome = self.fetch(tenant, import.bill_date).await;
        let now = self.now_ms();
        match outcome {
            Download::Imported(lines, done) => {
                let txn = siyu_store::db::begin_write(&self.db).await?;
                let ok =
                    repo::finish_imported(&txn, tenant, id, &claim, &lines, &done, now).await?;
                txn.commit().await?;
                Ok(ok)
            }
            Download::NotReady => {
                // WeChat makes the bill of D from 09:00 on D+1; past the end of D+1 it will not come.
                let give_up = day_start_ms(import.bill_date) + 2 * 86_400_000;
                let end = if now + RETRY_NOT_READY_MS < give_up {
                    Unimported {
                        status: import_status::NOT_READY,
                        reason: "",
                        retry_at_ms: Some(now + RETRY_NOT_READY_MS),
                    }
                } else {
                    Unimported {
                        status: import_status::FAILED,
                        reason: "PAYMENT_PROVIDER_UNAVAILABLE",
                        retry_at_ms: None,
                    }
                };
                repo::finish_unimported(&self.db, tenant, id, &claim, end, now).await
            }
            Download::Failed(reason) => {
                let end = Unimported {
                    status: import_status::FAILED,
                    reason,
                    retry_at_ms: None,
                };
                repo::finish_unimported(&self.db, tenant, id, &claim, end, now).await
            }
        }
    }

    async fn fetch(&self, tenant: TenantId, bill_date: NaiveDate) -> Download {
        let merchant = match self.merchants.get(&self.db, tenant).await {
            Ok(m) => m,
            Err(AppError::Payment(PaymentError::PayConfigMissing(_))) => {
                return Download::Failed("PAY_CONFIG_MISSING");
            }
            Err(_) => return Download::Failed("PAYMENT_PROVIDER_UNAVAILABLE"),
        };
        let meta = match merchant.client.trade_bill(bill_date, BillType::All).await {
            Ok(meta) => meta,
            // No trades that day: an empty bill, everything local of the day is compared to it.
            Err(WechatPayError::Api(e)) if e.code == ApiCode::NoStatementExist => {
                return Download::Imported(
                    Vec::new(),
                    Imported {
                        sha256: siyu_wechatpay::bill::sha256_hex(b""),
                        ..Imported::default()
                    },
                );
            }
            Err(WechatPayError::Api(e)) if e.code == ApiCode::StatementCreating => {
                return Download::NotReady;
            }
            Err(e) => {
                tracing::warn!(error = %e, "trade bill");
                return Download::Failed("PAYMENT_PROVIDER_UNAVAILABLE");
            }
        };
        let bytes = match merchant.client.download_bill(&meta).await {
            Ok(bytes) => bytes,
            Err(WechatPayError::BillHashMismatch) => return Download::Failed("BILL_HASH_MISMATCH"),
            Err(e) => {
                tracing::warn!(error = %e, "bill download");
                return Download::Failed("PAYMENT_PROVIDER_UNAVAILABLE");
            }
        };
        match parse(&bytes) {
            Ok((lines, mut done)) => {
                done.sha256 = siyu_wechatpay::bill::sha256_hex(&bytes);
                Download::Imported(lines, done)
            }
            Err(e) => {
                tracing::warn!(error = %e, "bill parse");
                Download::Failed("BILL_PARSE_ERROR")
            }
        }
    }
}

/// The bill's rows in fen and its totals.
fn parse(bytes: &[u8]) -> Result<(Vec<BillLine>, Imported), WechatPayError> {
    let text = std::str::from_utf8(bytes).map_err(|e| WechatPayError::Malformed(e.to_string()))?;
    let bill = siyu_wechatpay::bill::parse(text)?;
    let mut done = Imported::default();
    let mut lines = Vec::with_capacity(bill.rows.len());
    for (i, row) in bill.rows.iter().enumerate() {
        let text = |c: &str| row.get(c).unwrap_or_default().to_owned();
        let state = text("交易状态");
        let refund = state == "REFUND";
        // A payment is compared on what the payer was asked (订单金额), a refund on 退款金额.
        let amount = if refund {
            row.fen("退款金额")?
        } else {
            row.fen("订单金额").or_else(|_| row.fen("应结订单金额"))?
        };
        if refund {
            done.refund_rows += 1;
            done.refund_total_fen += amount;
        } else {
            done.payment_rows += 1;
            done.payment_total_fen += row.fen("应结订单金额")?;
        }
        lines.push(BillLine {
            line_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
            subject: if refund {
                subject::REFUND
            } else {
                subject::PAYMENT
            },
            traded_at: text("交易时间"),
            out_trade_no: text("商户订单号"),
            transaction_id: text("微信订单号"),
            out_refund_no: if refund {
                text("商户退款单号")
            } else {
                String::new()
            },
            refund_id: if refund {
                text("微信退款单号")
            } else {
                String::new()
            },
            trade_state: state,
            refund_status: text("退款状态"),
            amount_fen: amount,
        });
    }
    if !bill.summary.is_empty() {
        done.fee_total = bill.fee_total_units()?;
    }
    Ok((lines, done))
}
