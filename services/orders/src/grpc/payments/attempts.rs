//! CreatePayment, GetPayment, ListPayments, QueryPayment, ClosePayment and
//! ListPaymentNotifications.

use siyu_proto::payments::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::{Handlers, R, ctx};
use super::convert::{id, opt_id, opt_time};
use crate::AppError;
use crate::repo::payments::attempts::PaymentFilter;
use crate::repo::payments::inbox::InboxFilter;

const PAYMENTS: Paging = Paging::new("payments", 20, 100);
const NOTIFICATIONS: Paging = Paging::new("payment_notifications", 20, 100);

/// A list cursor: (time ms, id).
type Cursor = (i64, Uuid);

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn create(
    h: &Handlers,
    request: Request<pb::CreatePaymentRequest>,
) -> R<pb::CreatePaymentResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let order_id = id("order_id", &req.order_id)?;
    let app_id = (!req.app_id.is_empty()).then(|| req.app_id.clone());
    // The PSP call must not hold a write transaction; business idempotency (one open attempt
    // per order) makes a retry return the same attempt.
    let prepaid = h.app.create_payment(&ctx, order_id, app_id).await?;
    Ok(Response::new(pb::CreatePaymentResponse {
        payment: Some((&prepaid.payment).into()),
        wechat_pay_params: Some((&prepaid.params).into()),
    }))
}

#[tracing::instrument(skip_all, fields(payment_id = %request.get_ref().payment_id))]
pub(in crate::grpc) async fn get(
    h: &Handlers,
    request: Request<pb::GetPaymentRequest>,
) -> R<pb::GetPaymentResponse> {
    let ctx = ctx(&request)?;
    let payment_id = id("payment_id", &request.get_ref().payment_id)?;
    let payment = h.app.visible_payment(&ctx, payment_id).await?;
    Ok(Response::new(pb::GetPaymentResponse {
        payment: Some((&payment).into()),
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn list(
    h: &Handlers,
    request: Request<pb::ListPaymentsRequest>,
) -> R<pb::ListPaymentsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let filter = PaymentFilter {
        order_id: opt_id("order_id", &req.order_id)?,
        statuses: small("statuses", &req.statuses)?,
        providers: small("providers", &req.providers)?,
        late_only: req.late_only,
        created_from_ms: opt_time("created_from", req.created_from.as_ref())?,
        created_to_ms: opt_time("created_to", req.created_to.as_ref())?,
    };
    let page = PAYMENTS
        .parse::<Cursor>(req.page.as_ref())
        .map_err(AppError::from)?;
    let rows = h
        .app
        .list_payments(&ctx, &filter, page.after, page.fetch_limit())
        .await?;
    let (rows, page) = PAYMENTS.finish(rows, &page, |p| (p.created_at_ms, p.id));
    Ok(Response::new(pb::ListPaymentsResponse {
        payments: rows.iter().map(Into::into).collect(),
        page: Some(page),
    }))
}

#[tracing::instrument(skip_all, fields(payment_id = %request.get_ref().payment_id))]
pub(in crate::grpc) async fn query(
    h: &Handlers,
    request: Request<pb::QueryPaymentRequest>,
) -> R<pb::QueryPaymentResponse> {
    let ctx = ctx(&request)?;
    let payment_id = id("payment_id", &request.get_ref().payment_id)?;
    let (payment, changed) = h.app.query_payment(&ctx, payment_id).await?;
    Ok(Response::new(pb::QueryPaymentResponse {
        payment: Some((&payment).into()),
        changed,
    }))
}

#[tracing::instrument(skip_all, fields(payment_id = %request.get_ref().payment_id))]
pub(in crate::grpc) async fn close(
    h: &Handlers,
    request: Request<pb::ClosePaymentRequest>,
) -> R<pb::ClosePaymentResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let payment_id = id("payment_id", &req.payment_id)?;
    if req.reason.chars().count() > 200 {
        return Err(AppError::invalid("reason", "at most 200 characters").into());
    }
    let payment = h.app.close_payment(&ctx, payment_id, &req.reason).await?;
    Ok(Response::new(pb::ClosePaymentResponse {
        payment: Some((&payment).into()),
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn notifications(
    h: &Handlers,
    request: Request<pb::ListPaymentNotificationsRequest>,
) -> R<pb::ListPaymentNotificationsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let text = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    let filter = InboxFilter {
        payment_id: opt_id("payment_id", &req.payment_id)?,
        refund_id: opt_id("refund_id", &req.refund_id)?,
        out_trade_no: text(&req.out_trade_no),
        psp_key: text(&req.psp_id),
        outcomes: small("outcomes", &req.outcomes)?,
        from_ms: opt_time("received_from", req.received_from.as_ref())?,
        to_ms: opt_time("received_to", req.received_to.as_ref())?,
    };
    let any = filter.payment_id.is_some()
        || filter.refund_id.is_some()
        || filter.out_trade_no.is_some()
        || filter.psp_key.is_some()
        || !filter.outcomes.is_empty()
        || filter.from_ms.is_some()
        || filter.to_ms.is_some();
    if !any {
        return Err(AppError::invalid("payment_id", "at least one filter is required").into());
    }
    let page = NOTIFICATIONS
        .parse::<Cursor>(req.page.as_ref())
        .map_err(AppError::from)?;
    let rows = h
        .app
        .list_payment_notifications(&ctx, &filter, page.after, page.fetch_limit())
        .await?;
    let (rows, page) = NOTIFICATIONS.finish(rows, &page, |n| (n.first_received_at_ms, n.id));
    Ok(Response::new(pb::ListPaymentNotificationsResponse {
        notifications: rows.iter().map(Into::into).collect(),
        page: Some(page),
    }))
}

/// Enum numbers of a filter: each 1..=5.
fn small(field: &str, values: &[i32]) -> Result<Vec<i16>, AppError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            i16::try_from(*v)
                .ok()
                .filter(|v| (1..=5).contains(v))
                .ok_or_else(|| AppError::invalid(format!("{field}[{i}]"), "unknown value"))
        })
        .collect()
}
