//! Orders' events as coupon packs read them: OrderPaid of a member's goods order grants the
//! tenant's FIRST_ORDER pack when the member has no other paid order, once per member (grant
//! key `first_order:<member>`), so a redelivered payment, a second order or two handlers at
//! once grant it no second time. Non-goods orders, non-member orders and unusable ids are
//! skipped with a log line.

use sea_orm::DatabaseTransaction;
use siyu_proto::events::v1 as ev;
use uuid::Uuid;

use super::Incoming;
use crate::AppError;
use crate::app::App;
use crate::app::domain::MemberId;

/// OrderPaid → the first-order pack.
pub async fn paid(app: &App, txn: &DatabaseTransaction, e: &Incoming) -> Result<(), AppError> {
    let Some(paid) = e.decode::<ev::OrderPaid>() else {
        return Ok(());
    };
    let Some(o) = paid.order.as_ref() else {
        return Ok(());
    };
    if o.kind != ev::OrderKind::Goods as i32 {
        return Ok(());
    }
    let (Ok(order), Ok(member)) = (Uuid::parse_str(&o.order_id), Uuid::parse_str(&o.member_id))
    else {
        tracing::info!(event_id = %e.event_id, "order without usable order or member id: no pack");
        return Ok(());
    };
    let coupons = app
        .grant_first_order_pack(txn, &e.ctx("orders"), MemberId(member), order)
        .await?;
    if !coupons.is_empty() {
        tracing::info!(%order, coupons = coupons.len(), "first-order pack granted");
    }
    Ok(())
}
