//! The points and stored-value ledger: balances per member (one row, one column per member
//! account, never negative), journal entries with their postings (unique business key per
//! tenant), points lots, and checkout holds with the lots each points hold took.
//!
//! Stored value held by an order is one account on the wire; here it is kept as its principal
//! and bonus parts (`sv_held_principal`, `sv_held_bonus`, and `part` on postings), so a release
//! or refund restores each part exactly and the liability report splits principal from bonus.

use sea_orm_migration::prelude::*;

/// Creates the ledger tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // Locked (FOR UPDATE) by every operation on the member: the row that serialises
                // a member's ledger on Postgres.
                "CREATE TABLE mem_balances (
                    tenant {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    points_available BIGINT NOT NULL DEFAULT 0 CHECK (points_available >= 0),
                    points_held BIGINT NOT NULL DEFAULT 0 CHECK (points_held >= 0),
                    sv_principal BIGINT NOT NULL DEFAULT 0 CHECK (sv_principal >= 0),
                    sv_bonus BIGINT NOT NULL DEFAULT 0 CHECK (sv_bonus >= 0),
                    sv_held_principal BIGINT NOT NULL DEFAULT 0 CHECK (sv_held_principal >= 0),
                    sv_held_bonus BIGINT NOT NULL DEFAULT 0 CHECK (sv_held_bonus >= 0),
                    points_earned_total BIGINT NOT NULL DEFAULT 0,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, member_id)
                )",
                "CREATE TABLE mem_entries (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    entry_type SMALLINT NOT NULL,
                    member_id {uuid} NOT NULL,
                    idempotency_key TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    order_id {uuid},
                    refund_id {uuid},
                    hold_id {uuid},
                    rule_id {uuid},
                    points_delta BIGINT NOT NULL DEFAULT 0,
                    sv_delta BIGINT NOT NULL DEFAULT 0,
                    assets SMALLINT NOT NULL DEFAULT 0,
                    description TEXT NOT NULL DEFAULT '',
                    reason TEXT NOT NULL DEFAULT '',
                    operator_id TEXT NOT NULL DEFAULT '',
                    reference_id TEXT NOT NULL DEFAULT '',
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                // The business key: the same key never applies twice.
                "CREATE UNIQUE INDEX mem_entries_key ON mem_entries (tenant, idempotency_key)",
                "CREATE INDEX mem_entries_member ON mem_entries (tenant, member_id, id)",
                "CREATE TABLE mem_postings (
                    tenant {uuid} NOT NULL,
                    entry_id {uuid} NOT NULL,
                    seq SMALLINT NOT NULL,
                    account SMALLINT NOT NULL,
                    member_id {uuid},
                    amount BIGINT NOT NULL,
                    lot_id {uuid},
                    part SMALLINT NOT NULL DEFAULT 0,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, entry_id, seq)
                )",
                "CREATE INDEX mem_postings_account ON mem_postings (tenant, account, created_at_ms)",
                "CREATE INDEX mem_postings_member ON mem_postings (tenant, member_id, account)",
                "CREATE TABLE mem_lots (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    original_points BIGINT NOT NULL CHECK (original_points > 0),
                    remaining_points BIGINT NOT NULL,
                    expires_at_ms BIGINT,
                    entry_id {uuid} NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id),
                    CHECK (remaining_points >= 0 AND remaining_points <= original_points)
                )",
                "CREATE INDEX mem_lots_member ON mem_lots (tenant, member_id, expires_at_ms)",
                "CREATE TABLE mem_holds (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    kind SMALLINT NOT NULL,
                    attempt INTEGER NOT NULL,
                    member_id {uuid} NOT NULL,
                    status SMALLINT NOT NULL,
                    points BIGINT NOT NULL DEFAULT 0,
                    amount BIGINT NOT NULL DEFAULT 0,
                    principal_part BIGINT NOT NULL DEFAULT 0,
                    bonus_part BIGINT NOT NULL DEFAULT 0,
                    refunded_points BIGINT NOT NULL DEFAULT 0,
                    refunded_amount BIGINT NOT NULL DEFAULT 0,
                    refunded_bonus BIGINT NOT NULL DEFAULT 0,
                    release_reason TEXT NOT NULL DEFAULT '',
                    created_at_ms BIGINT NOT NULL,
                    settled_at_ms BIGINT,
                    PRIMARY KEY (tenant, id),
                    CHECK (refunded_points >= 0 AND refunded_points <= points),
                    CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
                    CHECK (refunded_bonus >= 0 AND refunded_bonus <= bonus_part)
                )",
                // One hold per (order, kind, attempt): the anchor of HoldPoints/HoldStoredValue.
                "CREATE UNIQUE INDEX mem_holds_order ON mem_holds (tenant, order_id, kind, attempt)",
                "CREATE TABLE mem_hold_lots (
                    tenant {uuid} NOT NULL,
                    hold_id {uuid} NOT NULL,
                    lot_id {uuid} NOT NULL,
                    points BIGINT NOT NULL CHECK (points > 0),
                    refunded BIGINT NOT NULL DEFAULT 0,
                    PRIMARY KEY (tenant, hold_id, lot_id),
                    CHECK (refunded >= 0 AND refunded <= points)
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE mem_hold_lots",
                "DROP TABLE mem_holds",
                "DROP TABLE mem_lots",
                "DROP TABLE mem_postings",
                "DROP TABLE mem_entries",
                "DROP TABLE mem_balances",
            ],
        )
        .await
    }
}
