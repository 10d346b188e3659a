//! Daily check-in (签到): one row per member and Asia/Shanghai calendar day. The primary key is
//! the "once a day" of the contract; the row carries the streak it reached, so tomorrow's
//! check-in continues it from one row instead of walking the history.

use sea_orm_migration::prelude::*;

/// Creates `mem_check_ins`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // `day` is the local date as YYYY-MM-DD text: it sorts and prefixes by month on
                // both backends.
                "CREATE TABLE mem_check_ins (
                    tenant {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    day TEXT NOT NULL,
                    streak INTEGER NOT NULL CHECK (streak >= 1),
                    points BIGINT NOT NULL CHECK (points >= 0),
                    bonus_points BIGINT NOT NULL CHECK (bonus_points >= 0),
                    entry_id {uuid} NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, member_id, day)
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["DROP TABLE mem_check_ins"]).await
    }
}
