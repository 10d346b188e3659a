//! Identity's events: TenantCreated seeds the ledger (`app::ledger::identity_events`) and the
//! entry tier (`app::tiers::seed`),
//! UserPhoneBound credits the PHONE_BOUND rule, UserErased closes and erases the member
//! (`app::members::erasure`), UsersMerged merges the two members (`app::ledger::merges`) and
//! UsersMergeReversed splits them back (`app::ledger::merge_reversals`).
//! UserRegistered changes nothing: enrolment is an explicit act (the contract's MemberService
//! comment).

use sea_orm::DatabaseTransaction;
use siyu_proto::events::v1 as ev;
use uuid::Uuid;

use super::Incoming;
use crate::AppError;
use crate::app::App;
use crate::app::ledger::identity_events::PointsDefaults;

fn user(e: &Incoming, id: &str) -> Option<Uuid> {
    let parsed = Uuid::parse_str(id).ok();
    if parsed.is_none() {
        tracing::info!(event_id = %e.event_id, "identity event without a usable user id skipped");
    }
    parsed
}

/// TenantCreated → the tenant's ledger policy and order earning rule from its defaults.
pub async fn tenant_created(
    app: &App,
    txn: &DatabaseTransaction,
    e: &Incoming,
) -> Result<(), AppError> {
    let Some(t) = e.decode::<ev::TenantCreated>() else {
        return Ok(());
    };
    let p = t.points.unwrap_or_default();
    let d = PointsDefaults {
        earn_points_per_yuan: p.earn_points_per_yuan,
        redeem_points_per_yuan: p.redeem_points_per_yuan,
        max_points_deduction_bps: p.max_points_deduction_bps,
        points_expiry_years: p.points_expiry_years,
    };
    let seeded = app.seed_tenant_ledger(txn, &e.ctx("identity"), &d).await?;
    tracing::info!(tenant = %e.tenant, seeded, "tenant ledger seeded");
    Ok(())
}

/// TenantCreated → the tenant's entry tier, unless it has tiers (`app::tiers::seed`).
pub async fn tenant_tier(
    app: &App,
    txn: &DatabaseTransaction,
    e: &Incoming,
) -> Result<(), AppError> {
    let Some(t) = e.decode::<ev::TenantCreated>() else {
        return Ok(());
    };
    let seeded = app
        .seed_default_tier(txn, &e.ctx("identity"), &t.name)
        .await?;
    tracing::info!(tenant = %e.tenant, seeded, "tenant tier seeded");
    Ok(())
}

/// UserPhoneBound → the PHONE_BOUND rule's points, once per member.
pub async fn phone_bound(
    app: &App,
    txn: &DatabaseTransaction,
    e: &Incoming,
) -> Result<(), AppError> {
    let Some(b) = e.decode::<ev::UserPhoneBound>() else {
        return Ok(());
    };
    let Some(user_id) = user(e, &b.user_id) else {
        return Ok(());
    };
    let points = app
        .credit_phone_bound(txn, &e.ctx("identity"), user_id)
        .await?;
    tracing::info!(%user_id, points, "phone binding applied");
    Ok(())
}

/// UserErased → the member closed, its personal fields cleared.
pub async fn user_erased(
    app: &App,
    txn: &DatabaseTransaction,
    e: &Incoming,
) -> Result<(), AppError> {
    let Some(u) = e.decode::<ev::UserErased>() else {
        return Ok(());
    };
    let Some(user_id) = user(e, &u.user_id) else {
        return Ok(());
    };
    let erased = app.erase_user(txn, &e.ctx("identity"), user_id).await?;
    tracing::info!(%user_id, erased, "user erasure applied");
    Ok(())
}

/// UsersMerged → the merged user's member re-pointed, or combined into the kept user's.
pub async fn users_merged(
    app: &App,
    txn: &DatabaseTransaction,
    e: &Incoming,
) -> Result<(), AppError> {
    let Some(m) = e.decode::<ev::UsersMerged>() else {
        return Ok(());
    };
    let (Some(merge), Some(kept), Some(merged)) = (
        user(e, &m.merge_id),
        user(e, &m.kept_user_id),
        user(e, &m.merged_user_id),
    ) else {
        return Ok(());
    };
    let done = app
        .merge_users(txn, &e.ctx("identity"), merge, kept, merged)
        .await?;
    tracing::info!(merge_id = %merge, ?done, "users merge applied");
    Ok(())
}

/// UsersMergeReversed → the member split back by the merge's journal.
pub async fn merge_reversed(
    app: &App,
    txn: &DatabaseTransaction,
    e: &Incoming,
) -> Result<(), AppError> {
    let Some(m) = e.decode::<ev::UsersMergeReversed>() else {
        return Ok(());
    };
    let (Some(merge), Some(merged)) = (user(e, &m.merge_id), user(e, &m.merged_user_id)) else {
        return Ok(());
    };
    let split = app
        .reverse_merge(txn, &e.ctx("identity"), merge, merged)
        .await?;
    tracing::info!(merge_id = %merge, split, "users merge reversal applied");
    Ok(())
}
