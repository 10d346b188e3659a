//! Identity's events. UsersMerged moves the merged user's orders, after-sale cases, checkout
//! records and cart to the kept user (payments and refunds follow: their reads filter by the
//! order's owner); UsersMergeReversed gives back exactly what moved (`repo::merges`). UserErased
//! drops the cart and strips the orders past retention ([`super::erasure`]).
//!
//! Why rewrite the user ids rather than map them at read time: every read and every rule that
//! names an owner (a consumer's GetOrder, ListMyOrders, the after-sales and payment checks,
//! identity's export and erasure queries by user) would otherwise need the mapping, and one
//! missed would hide the merged user's orders from the kept user — or show them to nobody. The
//! journal (`ord_merge_moves`) makes the rewrite reversible, as membership's `mem_merge_moves`.

use sea_orm::DatabaseTransaction;
use siyu_proto::events::v1 as ev;

use super::Incoming;
use crate::AppError;
use crate::app::App;
use crate::repo;

/// UsersMerged → the merged user's orders, cases, checkouts and cart become the kept user's.
pub async fn users_merged(
    app: &App,
    txn: &DatabaseTransaction,
    e: &Incoming,
) -> Result<(), AppError> {
    let Some(m) = e.decode::<ev::UsersMerged>() else {
        return Ok(());
    };
    let (Some(merge), Some(kept), Some(merged)) = (
        e.id(&m.merge_id),
        e.id(&m.kept_user_id),
        e.id(&m.merged_user_id),
    ) else {
        return Ok(());
    };
    if kept == merged {
        return Ok(());
    }
    let moved = repo::merges::merge(txn, e.tenant, merge, kept, merged, app.now_ms()).await?;
    tracing::info!(merge_id = %merge, ?moved, "users merge applied");
    Ok(())
}

/// UsersMergeReversed → what the merge moved and the kept user still has goes back.
pub async fn merge_reversed(
    app: &App,
    txn: &DatabaseTransaction,
    e: &Incoming,
) -> Result<(), AppError> {
    let Some(m) = e.decode::<ev::UsersMergeReversed>() else {
        return Ok(());
    };
    let (Some(merge), Some(kept), Some(merged)) = (
        e.id(&m.merge_id),
        e.id(&m.kept_user_id),
        e.id(&m.merged_user_id),
    ) else {
        return Ok(());
    };
    let moved = repo::merges::reverse(txn, e.tenant, merge, kept, merged, app.now_ms()).await?;
    tracing::info!(merge_id = %merge, ?moved, "users merge reversal applied");
    Ok(())
}

/// UserErased → the erasure recorded, the cart dropped, the orders past retention stripped.
pub async fn user_erased(
    app: &App,
    txn: &DatabaseTransaction,
    e: &Incoming,
) -> Result<(), AppError> {
    let Some(u) = e.decode::<ev::UserErased>() else {
        return Ok(());
    };
    let Some(user) = e.id(&u.user_id) else {
        return Ok(());
    };
    let now = app.now_ms();
    repo::erasure::record(txn, e.tenant, user, now).await?;
    let cart_lines = repo::erasure::drop_cart(txn, e.tenant, user).await?;
    let mut stripped = 0;
    loop {
        let due = repo::erasure::due(
            txn,
            Some((e.tenant, user)),
            now - super::erasure::RETENTION_MS,
            100,
        )
        .await?;
        if due.is_empty() {
            break;
        }
        for (tenant, order) in due {
            stripped += usize::from(super::erasure::strip(txn, tenant, order, now).await?);
        }
    }
    tracing::info!(%user, cart_lines, stripped, "user erasure applied");
    Ok(())
}
