//! `mem_guide_bindings`: a member's guide relationships, at most one current (partial unique
//! index). This slice opens the binding recorded at enrolment; binding changes come next.

use sea_orm::{ConnectionTrait, Value};
use siyu_core::TenantId;

use crate::AppError;
use crate::app::domain::GuideBinding;
use crate::repo::{execute, opt_uuid, uuid};

/// Opens `b` as the member's current binding.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    b: &GuideBinding,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_guide_bindings (tenant, id, member_id, guide_id, store_id, source, \
         bound_at_ms, changed_by, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            uuid(tenant.0),
            uuid(b.id),
            uuid(b.member_id.0),
            uuid(b.guide_id),
            opt_uuid(b.store_id),
            Value::SmallInt(Some(b.source.number())),
            b.bound_at_ms.into(),
            b.changed_by.clone().into(),
            b.note.clone().into(),
        ],
    )
    .await
    .map(|_| ())
}
