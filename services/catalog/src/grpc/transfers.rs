//! InventoryService: transfers (调拨) between locations — create, ship, receive, cancel, get,
//! list. Shapes are checked here; stock and state rules live in `app/transfers.rs`.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::time::timestamp_ms;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::convert::{at_most, id, lines, opt_id, wire_enum};
use super::{Handlers, R, ctx, page_of};
use crate::AppError;
use crate::app::MAX_QUANTITY;
use crate::app::domain::{Transfer, TransferStatus};
use crate::app::transfers::CreateTransfer;

/// Most lines of a transfer.
const MAX_LINES: usize = 200;
/// ListTransfers pages by id, newest first.
const TRANSFERS: Paging = Paging::new("transfers", 20, 200);

impl TryFrom<&pb::CreateTransferRequest> for CreateTransfer {
    type Error = AppError;

    fn try_from(req: &pb::CreateTransferRequest) -> Result<Self, AppError> {
        let from = id("from_location_id", &req.from_location_id)?;
        let to = id("to_location_id", &req.to_location_id)?;
        if from == to {
            return Err(AppError::SameLocation);
        }
        Ok(Self {
            from,
            to,
            lines: lines(
                "lines",
                req.lines.iter().map(|l| (l.sku_id.as_str(), l.quantity)),
                MAX_LINES,
            )?,
            note: at_most("note", &req.note, 500)?,
        })
    }
}

/// The counted (SKU, units) of a ReceiveTransfer request: distinct SKUs, 0..shipped units
/// (the app checks against the lines).
fn received_in(req: &pb::ReceiveTransferRequest) -> Result<Vec<(Uuid, i32)>, AppError> {
    if req.received.len() > MAX_LINES {
        return Err(AppError::invalid(
            "received",
            format!("at most {MAX_LINES} lines"),
        ));
    }
    let mut received: Vec<(Uuid, i32)> = Vec::with_capacity(req.received.len());
    for (i, r) in req.received.iter().enumerate() {
        let sku = id(&format!("received[{i}].sku_id"), &r.sku_id)?;
        if received.iter().any(|(s, _)| *s == sku) {
            return Err(AppError::invalid(
                format!("received[{i}].sku_id"),
                "duplicate SKU",
            ));
        }
        if !(0..=MAX_QUANTITY).contains(&r.quantity) {
            return Err(AppError::invalid(
                format!("received[{i}].quantity"),
                format!("must be 0..{MAX_QUANTITY}"),
            ));
        }
        received.push((sku, r.quantity));
    }
    Ok(received)
}

impl From<&Transfer> for pb::Transfer {
    fn from(t: &Transfer) -> Self {
        Self {
            transfer_id: t.id.to_string(),
            transfer_no: t.transfer_no.clone(),
            from_location_id: t.from_location_id.to_string(),
            to_location_id: t.to_location_id.to_string(),
            lines: t
                .lines
                .iter()
                .map(|l| pb::TransferLine {
                    sku_id: l.sku_id.to_string(),
                    quantity: l.quantity,
                    received_quantity: l.received_quantity,
                })
                .collect(),
            status: t.status as i32,
            note: t.note.clone(),
            tracking_reference: t.tracking_reference.clone(),
            created_by: t.created_by.clone(),
            created_at: Some(timestamp_ms(t.created_at_ms)),
            shipped_at: t.shipped_at_ms.map(timestamp_ms),
            closed_at: t.closed_at_ms.map(timestamp_ms),
        }
    }
}

#[tracing::instrument(
    skip_all,
    fields(from = %request.get_ref().from_location_id, to = %request.get_ref().to_location_id)
)]
pub(super) async fn create(
    h: &Handlers,
    request: Request<pb::CreateTransferRequest>,
) -> R<pb::CreateTransferResponse> {
    let ctx = ctx(&request)?;
    let input = CreateTransfer::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let t = app.create_transfer(txn, &ctx, input).await?;
                Ok(pb::CreateTransferResponse {
                    transfer: Some((&t).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(transfer_id = %request.get_ref().transfer_id))]
pub(super) async fn ship(
    h: &Handlers,
    request: Request<pb::ShipTransferRequest>,
) -> R<pb::ShipTransferResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let id = id("transfer_id", &req.transfer_id)?;
    let tracking = at_most("tracking_reference", &req.tracking_reference, 128)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let t = app.ship_transfer(txn, &ctx, id, &tracking).await?;
                Ok(pb::ShipTransferResponse {
                    transfer: Some((&t).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(transfer_id = %request.get_ref().transfer_id))]
pub(super) async fn receive(
    h: &Handlers,
    request: Request<pb::ReceiveTransferRequest>,
) -> R<pb::ReceiveTransferResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let id = id("transfer_id", &req.transfer_id)?;
    let received = received_in(req)?;
    let note = at_most("note", &req.note, 500)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let t = app
                    .receive_transfer(txn, &ctx, id, &received, &note)
                    .await?;
                Ok(pb::ReceiveTransferResponse {
                    transfer: Some((&t).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(transfer_id = %request.get_ref().transfer_id))]
pub(super) async fn cancel(
    h: &Handlers,
    request: Request<pb::CancelTransferRequest>,
) -> R<pb::CancelTransferResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let id = id("transfer_id", &req.transfer_id)?;
    at_most("reason", &req.reason, 500)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let t = app.cancel_transfer(txn, &ctx, id).await?;
                Ok(pb::CancelTransferResponse {
                    transfer: Some((&t).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(transfer_id = %request.get_ref().transfer_id))]
pub(super) async fn get(
    h: &Handlers,
    request: Request<pb::GetTransferRequest>,
) -> R<pb::GetTransferResponse> {
    let ctx = ctx(&request)?;
    let id = id("transfer_id", &request.get_ref().transfer_id)?;
    let t = h.app.get_transfer(&ctx, id).await?;
    Ok(Response::new(pb::GetTransferResponse {
        transfer: Some((&t).into()),
    }))
}

#[tracing::instrument(skip_all, fields(location_id = %request.get_ref().location_id))]
pub(super) async fn list(
    h: &Handlers,
    request: Request<pb::ListTransfersRequest>,
) -> R<pb::ListTransfersResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let location = opt_id("location_id", &req.location_id)?;
    let mut statuses = Vec::with_capacity(req.statuses.len());
    for (i, s) in req.statuses.iter().enumerate() {
        statuses.push(wire_enum::<TransferStatus>(
            &format!("statuses[{i}]"),
            *s,
            "status",
        )?);
    }
    let page = page_of::<Uuid>(&TRANSFERS, req.page.as_ref())?;
    let rows = h
        .app
        .list_transfers(&ctx, location, &statuses, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = TRANSFERS.finish(rows, &page, |t| t.id);
    Ok(Response::new(pb::ListTransfersResponse {
        transfers: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}
