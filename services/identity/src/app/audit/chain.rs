//! Reading and verifying the hash-chained audit log.

use siyu_core::TenantId;

use crate::app::App;
use crate::error::AppError;
use crate::repo::audit::chain::{self as repo, Entry};

/// Why a chain verification stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakKind {
    /// A row's hash does not match its content (edited).
    HashMismatch,
    /// A row's prev_hash does not match the previous row's hash.
    PrevHashMismatch,
    /// A sequence number is missing (deleted).
    SequenceGap,
    /// The head records more entries than the log holds (tail deleted).
    Truncated,
}

/// The first break found.
#[derive(Debug, Clone)]
pub struct ChainBreak {
    /// What broke.
    pub kind: BreakKind,
    /// At which sequence.
    pub seq: i64,
    /// The entry id there (empty for a gap).
    pub entry_id: String,
    /// The hash expected.
    pub expected: String,
    /// The hash found.
    pub actual: String,
}

/// The outcome of a verification.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Entries checked.
    pub checked: i64,
    /// Last sequence checked.
    pub last_seq: i64,
    /// Its hash.
    pub last_hash: String,
    /// The first break, if any.
    pub first_break: Option<ChainBreak>,
    /// The head sequence.
    pub head_seq: i64,
}

impl App {
    /// Verifies a tenant's whole chain from the first entry.
    #[tracing::instrument(skip_all, fields(tenant))]
    pub async fn verify_audit_chain(&self, tenant: TenantId) -> Result<Verification, AppError> {
        let (head_seq, head_hash) = repo::head(&self.db, tenant).await?;
        let mut prev_hash = String::new();
        let mut expected_seq = 1;
        let mut checked = 0;
        let mut from = 1;
        loop {
            let batch = repo::range(&self.db, tenant, from, 500).await?;
            if batch.is_empty() {
                break;
            }
            for entry in &batch {
                if let Some(found) = check(entry, expected_seq, &prev_hash) {
                    return Ok(Verification {
                        checked,
                        last_seq: expected_seq - 1,
                        last_hash: prev_hash,
                        first_break: Some(found),
                        head_seq,
                    });
                }
                checked += 1;
                expected_seq = entry.seq + 1;
                prev_hash.clone_from(&entry.hash);
            }
            from = expected_seq;
        }
        let first_break =
            (expected_seq - 1 != head_seq || prev_hash != head_hash).then(|| ChainBreak {
                kind: BreakKind::Truncated,
                seq: expected_seq,
                entry_id: String::new(),
                expected: head_hash,
                actual: prev_hash.clone(),
            });
        Ok(Verification {
            checked,
            last_seq: expected_seq - 1,
            last_hash: prev_hash,
            first_break,
            head_seq,
        })
    }

    /// Entries of a tenant, newest first, before `before` (exclusive).
    pub async fn audit_entries(
        &self,
        tenant: TenantId,
        before: i64,
        limit: i64,
    ) -> Result<Vec<Entry>, AppError> {
        repo::list_desc(&self.db, tenant, before, limit).await
    }
}

fn check(entry: &Entry, expected_seq: i64, prev_hash: &str) -> Option<ChainBreak> {
    if entry.seq != expected_seq {
        return Some(ChainBreak {
            kind: BreakKind::SequenceGap,
            seq: expected_seq,
            entry_id: String::new(),
            expected: String::new(),
            actual: String::new(),
        });
    }
    if entry.prev_hash != prev_hash {
        return Some(ChainBreak {
            kind: BreakKind::PrevHashMismatch,
            seq: entry.seq,
            entry_id: entry.id.clone(),
            expected: prev_hash.to_owned(),
            actual: entry.prev_hash.clone(),
        });
    }
    let expected = entry.expected_hash();
    (expected != entry.hash).then(|| ChainBreak {
        kind: BreakKind::HashMismatch,
        seq: entry.seq,
        entry_id: entry.id.clone(),
        expected,
        actual: entry.hash.clone(),
    })
}
