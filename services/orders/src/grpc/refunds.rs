//! RefundService on the wire: input checks, the app's reads and retries, and the one conversion
//! of a refund into the contract's `Refund` (its lines from the case and the order's priced
//! lines).

use prost::Message as _;
use siyu_core::{PrincipalKind, TenantId};
use siyu_proto::common::v1::Money;
use siyu_proto::orders::v1 as opb;
use siyu_proto::payments::v1 as pb;
use siyu_proto::time::timestamp_ms;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::payments::convert::{id, opt_id, opt_time};
use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::refunds::model::Refund;
use crate::repo;
use crate::repo::refunds::RefundFilter;

const LIST: Paging = Paging::new("refunds", 20, 100);

fn cny(fen: i64) -> Option<Money> {
    Some(Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

/// Enum numbers of a filter, each in `1..=max`.
fn small(field: &str, values: &[i32], max: i16) -> Result<Vec<i16>, AppError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            i16::try_from(*v)
                .ok()
                .filter(|v| (1..=max).contains(v))
                .ok_or_else(|| AppError::invalid(format!("{field}[{i}]"), "unknown value"))
        })
        .collect()
}

/// The contract's `Refund` of `r`.
pub async fn answer(
    conn: &impl sea_orm::ConnectionTrait,
    tenant: TenantId,
    r: &Refund,
) -> Result<pb::Refund, AppError> {
    let case = match r.after_sale_id {
        Some(id) => repo::after_sales::get(conn, tenant, id, false).await?,
        None => None,
    };
    let order = repo::orders::get(conn, tenant, r.order_id, false).await?;
    let lines = case
        .as_ref()
        .map(|c| {
            c.lines
                .iter()
                .map(|l| {
                    let priced = order
                        .as_ref()
                        .and_then(|o| o.lines.iter().find(|x| x.id == l.order_line_id))
                        .and_then(|x| opb::PricedLine::decode(x.priced.as_slice()).ok())
                        .unwrap_or_default();
                    pb::RefundLine {
                        order_line_id: l.order_line_id.to_string(),
                        sku_id: priced.sku_id,
                        product_id: priced.product_id,
                        quantity: l.quantity,
                        cash_amount: cny(l.cash_fen),
                        stored_value_amount: cny(l.stored_value_fen),
                        points: l.points,
                        restock: c.extra.restock,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(pb::Refund {
        refund_id: r.id.to_string(),
        refund_no: r.refund_no.clone(),
        order_id: r.order_id.to_string(),
        order_no: r.order_no.clone(),
        after_sale_id: r.after_sale_id.map(|i| i.to_string()).unwrap_or_default(),
        payment_id: r.payment_id.map(|i| i.to_string()).unwrap_or_default(),
        reason: i32::from(r.reason),
        status: i32::from(r.status),
        lines,
        amount: cny(r.cash_fen + r.stored_value_fen),
        cash_amount: cny(r.cash_fen),
        shipping_amount: cny(r.shipping_fen),
        stored_value_amount: cny(r.stored_value_fen),
        points: r.points,
        full_refund: r.full_refund,
        psp_status: i32::from(r.psp_status),
        psp_refund_id: r.psp_refund_id.clone(),
        psp_received_account: r.psp_received_account.clone(),
        psp_succeeded_at: r.psp_succeeded_at_ms.map(timestamp_ms),
        compensation: r
            .steps
            .iter()
            .map(|s| pb::CompensationStep {
                kind: i32::from(s.kind),
                mechanism: i32::from(s.mechanism),
                status: i32::from(s.status),
                amount: (s.amount_fen > 0).then(|| cny(s.amount_fen)).flatten(),
                points: s.points,
                coupon_ids: Vec::new(),
                attempts: s.attempts,
                last_error_reason: s.last_error.clone(),
                completed_at: s.completed_at_ms.map(timestamp_ms),
            })
            .collect(),
        initiated_by: r.initiated_by.clone(),
        created_at: Some(timestamp_ms(r.created_at_ms)),
        succeeded_at: r.succeeded_at_ms.map(timestamp_ms),
        updated_at: Some(timestamp_ms(r.updated_at_ms)),
    })
}

#[tracing::instrument(skip_all, fields(refund_id = %request.get_ref().refund_id))]
pub(super) async fn get(
    h: &Handlers,
    request: Request<pb::GetRefundRequest>,
) -> R<pb::GetRefundResponse> {
    let ctx = ctx(&request)?;
    let id = id("refund_id", &request.get_ref().refund_id)?;
    let refund = h.app.visible_refund(&ctx, id).await?;
    Ok(Response::new(pb::GetRefundResponse {
        refund: Some(answer(&h.app.db, ctx.tenant, &refund).await?),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn list(
    h: &Handlers,
    request: Request<pb::ListRefundsRequest>,
) -> R<pb::ListRefundsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let mut filter = RefundFilter {
        order_id: opt_id("order_id", &req.order_id)?,
        after_sale_id: opt_id("after_sale_id", &req.after_sale_id)?,
        statuses: small("statuses", &req.statuses, 4)?,
        reasons: small("reasons", &req.reasons, 4)?,
        from_ms: opt_time("created_from", req.created_from.as_ref())?,
        to_ms: opt_time("created_to", req.created_to.as_ref())?,
        ..RefundFilter::default()
    };
    if let (Some(from), Some(to)) = (filter.from_ms, filter.to_ms)
        && from >= to
    {
        return Err(AppError::invalid("created_to", "must be after created_from").into());
    }
    let stores = req
        .store_ids
        .iter()
        .enumerate()
        .map(|(i, s)| id(&format!("store_ids[{i}]"), s))
        .collect::<Result<Vec<Uuid>, _>>()?;
    match ctx.principal.kind {
        PrincipalKind::Consumer => {
            if filter.order_id.is_none() {
                return Err(AppError::invalid("order_id", "required for consumers").into());
            }
            filter.user_id = Some(crate::app::carts::consumer(&ctx)?);
        }
        PrincipalKind::Staff => {
            if let Some(s) = stores
                .iter()
                .find(|s| !crate::app::orders::staff_sees(&ctx, Some(**s)))
            {
                return Err(AppError::StoreOutOfScope(*s).into());
            }
        }
        PrincipalKind::Partner | PrincipalKind::Service => {}
    }
    if !stores.is_empty() {
        filter.store_ids = Some(stores);
    }
    let page = super::page_of::<(i64, Uuid)>(&LIST, req.page.as_ref())?;
    let rows = repo::refunds::list(
        &h.app.db,
        ctx.tenant,
        &filter,
        page.after,
        page.fetch_limit(),
    )
    .await?;
    // Staff see the refunds of orders of their stores only; the order decides.
    let mut visible = Vec::with_capacity(rows.len());
    for r in rows {
        if let Some(o) = repo::orders::get(&h.app.db, ctx.tenant, r.order_id, false).await?
            && crate::app::orders::may_see(&ctx, o.user_id, o.store_id)
        {
            visible.push(r);
        }
    }
    let (rows, next) = LIST.finish(visible, &page, |r| (r.created_at_ms, r.id));
    let mut refunds = Vec::with_capacity(rows.len());
    for r in &rows {
        refunds.push(answer(&h.app.db, ctx.tenant, r).await?);
    }
    Ok(Response::new(pb::ListRefundsResponse {
        refunds,
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all, fields(refund_id = %request.get_ref().refund_id))]
pub(super) async fn query(
    h: &Handlers,
    request: Request<pb::QueryRefundRequest>,
) -> R<pb::QueryRefundResponse> {
    let ctx = ctx(&request)?;
    let id = id("refund_id", &request.get_ref().refund_id)?;
    // The PSP call must not hold a write transaction; the effect is idempotent by the PSP
    // refund id in the inbox.
    let (refund, changed) = h.app.query_refund_now(&ctx, id).await?;
    Ok(Response::new(pb::QueryRefundResponse {
        refund: Some(answer(&h.app.db, ctx.tenant, &refund).await?),
        changed,
    }))
}

#[tracing::instrument(skip_all, fields(refund_id = %request.get_ref().refund_id))]
pub(super) async fn retry(
    h: &Handlers,
    request: Request<pb::RetryRefundRequest>,
) -> R<pb::RetryRefundResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let id = id("refund_id", &req.refund_id)?;
    if req.note.chars().count() > 200 {
        return Err(AppError::invalid("note", "at most 200 characters").into());
    }
    let app = h.app.clone();
    let inner = ctx.clone();
    let answer = h
        .mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let refund = app.retry_refund(txn, &inner, id).await?;
                Ok(pb::RetryRefundResponse {
                    refund: Some(answer(txn, inner.tenant, &refund).await?),
                })
            })
        })
        .await?;
    h.app.kick_refund(ctx.tenant, id);
    Ok(answer)
}
