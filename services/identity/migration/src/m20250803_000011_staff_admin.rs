//! Staff administration: profile columns and a version on staff, who granted a role, and guide
//! code retirement (rotation grace).

use sea_orm_migration::prelude::*;

/// Adds staff profile columns, grant authorship and guide-code retirement.
#[derive(DeriveMigrationName)]
pub struct Migration;

const ADD: &[(&str, &str, &str)] = &[
    ("identity_staff", "employee_no", "TEXT NOT NULL DEFAULT ''"),
    ("identity_staff", "phone", "TEXT NOT NULL DEFAULT ''"),
    ("identity_staff", "email", "TEXT NOT NULL DEFAULT ''"),
    ("identity_staff", "avatar_url", "TEXT NOT NULL DEFAULT ''"),
    (
        "identity_staff",
        "wecom_user_id",
        "TEXT NOT NULL DEFAULT ''",
    ),
    ("identity_staff", "version", "BIGINT NOT NULL DEFAULT 1"),
    ("identity_staff", "last_login_at", "{ts}"),
    (
        "identity_staff_roles",
        "granted_by",
        "TEXT NOT NULL DEFAULT ''",
    ),
    ("identity_guide_codes", "retire_at", "{ts}"),
];

// async-trait rewrites the signature; naming the lifetime here breaks it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut statements: Vec<String> = ADD
            .iter()
            .map(|(table, name, ty)| format!("ALTER TABLE {table} ADD COLUMN {name} {ty}"))
            .collect();
        // Partial unique indexes work on Postgres and SQLite alike; an empty number is unset.
        statements.push(
            "CREATE UNIQUE INDEX identity_staff_employee_no ON identity_staff (tenant_id, employee_no) \
             WHERE employee_no <> ''"
                .into(),
        );
        statements.push(
            "CREATE INDEX identity_guide_codes_staff ON identity_guide_codes (tenant_id, staff_id)"
                .into(),
        );
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        super::run(manager, &refs).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut statements = vec![
            "DROP INDEX identity_guide_codes_staff".to_owned(),
            "DROP INDEX identity_staff_employee_no".to_owned(),
        ];
        statements.extend(
            ADD.iter()
                .rev()
                .map(|(table, name, _)| format!("ALTER TABLE {table} DROP COLUMN {name}")),
        );
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        super::run(manager, &refs).await
    }
}
