//! Members (会员): one per identity user per tenant, the per-tenant card number sequence, the
//! short-lived dynamic member codes, guide bindings (history kept, at most one current) and the
//! audit trail of staff changes.

use sea_orm_migration::prelude::*;

/// Creates the member tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "CREATE TABLE mem_members (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    user_id {uuid} NOT NULL,
                    card_number TEXT NOT NULL,
                    status SMALLINT NOT NULL,
                    birthday TEXT NOT NULL DEFAULT '',
                    card_holder_name TEXT NOT NULL DEFAULT '',
                    home_store_id {uuid},
                    attribution TEXT NOT NULL DEFAULT '{}',
                    inviter_member_id {uuid},
                    tag_ids TEXT NOT NULL DEFAULT '[]',
                    attributes TEXT NOT NULL DEFAULT '{}',
                    remark TEXT NOT NULL DEFAULT '',
                    growth_value BIGINT NOT NULL DEFAULT 0 CHECK (growth_value >= 0),
                    enrolled_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                // One member per user: the anchor of EnrollMember's idempotency.
                "CREATE UNIQUE INDEX mem_members_user ON mem_members (tenant, user_id)",
                "CREATE UNIQUE INDEX mem_members_card ON mem_members (tenant, card_number)",
                "CREATE INDEX mem_members_enrolled ON mem_members (tenant, enrolled_at_ms, id)",
                "CREATE INDEX mem_members_home_store ON mem_members (tenant, home_store_id)",
                "CREATE TABLE mem_card_sequences (
                    tenant {uuid} NOT NULL PRIMARY KEY,
                    next_value BIGINT NOT NULL
                )",
                "CREATE TABLE mem_member_codes (
                    tenant {uuid} NOT NULL,
                    code TEXT NOT NULL,
                    member_id {uuid} NOT NULL,
                    expires_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, code)
                )",
                "CREATE INDEX mem_member_codes_expiry ON mem_member_codes (tenant, expires_at_ms)",
                "CREATE TABLE mem_guide_bindings (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    guide_id {uuid} NOT NULL,
                    store_id {uuid},
                    source SMALLINT NOT NULL,
                    bound_at_ms BIGINT NOT NULL,
                    unbound_at_ms BIGINT,
                    unbind_reason SMALLINT NOT NULL DEFAULT 0,
                    changed_by TEXT NOT NULL DEFAULT '',
                    note TEXT NOT NULL DEFAULT '',
                    PRIMARY KEY (tenant, id)
                )",
                // At most one current binding per member.
                "CREATE UNIQUE INDEX mem_guide_bindings_current ON mem_guide_bindings \
                 (tenant, member_id) WHERE unbound_at_ms IS NULL",
                "CREATE INDEX mem_guide_bindings_guide ON mem_guide_bindings (tenant, guide_id) \
                 WHERE unbound_at_ms IS NULL",
                "CREATE TABLE mem_member_audit (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    fields TEXT NOT NULL,
                    reason TEXT NOT NULL DEFAULT '',
                    operator_id TEXT NOT NULL DEFAULT '',
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE INDEX mem_member_audit_member ON mem_member_audit (tenant, member_id, id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE mem_member_audit",
                "DROP TABLE mem_guide_bindings",
                "DROP TABLE mem_member_codes",
                "DROP TABLE mem_card_sequences",
                "DROP TABLE mem_members",
            ],
        )
        .await
    }
}
