//! RequestWithdrawal, ListWithdrawals, ApproveWithdrawal, RejectWithdrawal and
//! CompleteWithdrawal.

use siyu_proto::membership::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{id, member, money, text};
use super::super::{Handlers, R, ctx, page_of};
use crate::AppError;
use crate::app::domain::WithdrawalStatus;

const WITHDRAWALS: Paging = Paging::new("withdrawals", 20, 100);

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn request(
    h: &Handlers,
    request: Request<pb::RequestWithdrawalRequest>,
) -> R<pb::RequestWithdrawalResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let requested = member("member_id", &req.member_id)?;
    let amount = money("amount", req.amount.as_ref(), 1)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let w = app.request_withdrawal(txn, &ctx, requested, amount).await?;
                Ok(pb::RequestWithdrawalResponse {
                    withdrawal: Some((&w).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn list(
    h: &Handlers,
    request: Request<pb::ListWithdrawalsRequest>,
) -> R<pb::ListWithdrawalsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let requested = member("member_id", &req.member_id)?;
    let statuses = req
        .statuses
        .iter()
        .enumerate()
        .map(|(i, s)| {
            WithdrawalStatus::from_number(*s)
                .ok_or_else(|| AppError::invalid(format!("statuses[{i}]"), "unknown status"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let page = page_of::<(i64, Uuid)>(&WITHDRAWALS, req.page.as_ref())?;
    let rows = h
        .app
        .withdrawals(&ctx, requested, &statuses, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = WITHDRAWALS.finish(rows, &page, |w| (w.requested_at_ms, w.id));
    Ok(Response::new(pb::ListWithdrawalsResponse {
        withdrawals: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all, fields(withdrawal_id = %request.get_ref().withdrawal_id))]
pub(in crate::grpc) async fn approve(
    h: &Handlers,
    request: Request<pb::ApproveWithdrawalRequest>,
) -> R<pb::ApproveWithdrawalResponse> {
    let ctx = ctx(&request)?;
    let w = id("withdrawal_id", &request.get_ref().withdrawal_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let w = app.approve_withdrawal(txn, &ctx, w).await?;
                Ok(pb::ApproveWithdrawalResponse {
                    withdrawal: Some((&w).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(withdrawal_id = %request.get_ref().withdrawal_id))]
pub(in crate::grpc) async fn reject(
    h: &Handlers,
    request: Request<pb::RejectWithdrawalRequest>,
) -> R<pb::RejectWithdrawalResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let w = id("withdrawal_id", &req.withdrawal_id)?;
    let reason = text("reason", req.reason.trim(), 200)?;
    if reason.is_empty() {
        return Err(AppError::invalid("reason", "required").into());
    }
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let w = app.reject_withdrawal(txn, &ctx, w, reason).await?;
                Ok(pb::RejectWithdrawalResponse {
                    withdrawal: Some((&w).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(withdrawal_id = %request.get_ref().withdrawal_id))]
pub(in crate::grpc) async fn complete(
    h: &Handlers,
    request: Request<pb::CompleteWithdrawalRequest>,
) -> R<pb::CompleteWithdrawalResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let w = id("withdrawal_id", &req.withdrawal_id)?;
    let succeeded = req.succeeded;
    let reference = text("payout_reference", req.payout_reference.trim(), 128)?;
    if reference.is_empty() {
        return Err(AppError::invalid(
            "payout_reference",
            "required: the transfer reference, or why the payout failed",
        )
        .into());
    }
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let w = app
                    .complete_withdrawal(txn, &ctx, w, succeeded, reference)
                    .await?;
                Ok(pb::CompleteWithdrawalResponse {
                    withdrawal: Some((&w).into()),
                })
            })
        })
        .await
}
