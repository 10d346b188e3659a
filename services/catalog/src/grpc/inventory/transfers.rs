//! InventoryService: transfers (调拨) between locations — create, ship, receive, cancel, get,
//! list. Shapes are checked here; stock and state rules live in `app/transfers.rs`.

use siyu_proto::catalog::v1 as pb;
use tonic::{Request, Response};
use uuid::Uuid;

use crate::app::domain::{Transfer, TransferStatus};
use crate::app::transfers::CreateTransfer;
use crate::app::{MAX_QUANTITY, invalid, rejected};
use crate::grpc::convert::{id, lines, opt_id, page, ts};
use crate::grpc::{Handlers, R, ctx, err};

/// Most lines of a transfer.
const MAX_LINES: usize = 200;

/// Transfer → proto.
fn transfer_out(t: &Transfer) -> pb::Transfer {
    pb::Transfer {
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
        created_at: Some(ts(t.created_at_ms)),
        shipped_at: t.shipped_at_ms.map(ts),
        closed_at: t.closed_at_ms.map(ts),
    }
}

fn text(field: &str, v: &str, max: usize) -> Result<String, tonic::Status> {
    if v.chars().count() > max {
        return Err(err(invalid(field, format!("at most {max} characters"))));
    }
    Ok(v.trim().to_owned())
}

impl Handlers {
    #[tracing::instrument(skip_all)]
    pub(super) async fn create_transfer_rpc(
        &self,
        request: Request<pb::CreateTransferRequest>,
    ) -> R<pb::CreateTransferResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let from = id("from_location_id", &req.from_location_id).map_err(err)?;
        let to = id("to_location_id", &req.to_location_id).map_err(err)?;
        if from == to {
            return Err(err(rejected(
                "SAME_LOCATION",
                "to_location_id",
                "must differ from from_location_id",
            )));
        }
        let input = CreateTransfer {
            from,
            to,
            lines: lines(
                "lines",
                req.lines.iter().map(|l| (l.sku_id.as_str(), l.quantity)),
                MAX_LINES,
            )
            .map_err(err)?,
            note: text("note", &req.note, 500)?,
        };
        self.mutate(&ctx, key, "CreateTransfer", &req, move |txn| {
            Box::pin(async move {
                let t = app.create_transfer(txn, &c, input).await?;
                Ok(pb::CreateTransferResponse {
                    transfer: Some(transfer_out(&t)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn ship_transfer_rpc(
        &self,
        request: Request<pb::ShipTransferRequest>,
    ) -> R<pb::ShipTransferResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let tid = id("transfer_id", &req.transfer_id).map_err(err)?;
        let tracking = text("tracking_reference", &req.tracking_reference, 128)?;
        self.mutate(&ctx, key, "ShipTransfer", &req, move |txn| {
            Box::pin(async move {
                let t = app.ship_transfer(txn, &c, tid, &tracking).await?;
                Ok(pb::ShipTransferResponse {
                    transfer: Some(transfer_out(&t)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn receive_transfer_rpc(
        &self,
        request: Request<pb::ReceiveTransferRequest>,
    ) -> R<pb::ReceiveTransferResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let tid = id("transfer_id", &req.transfer_id).map_err(err)?;
        if req.received.len() > MAX_LINES {
            return Err(err(invalid(
                "received",
                format!("at most {MAX_LINES} lines"),
            )));
        }
        let mut received: Vec<(Uuid, i32)> = Vec::with_capacity(req.received.len());
        for (i, r) in req.received.iter().enumerate() {
            let sku = id(&format!("received[{i}].sku_id"), &r.sku_id).map_err(err)?;
            if received.iter().any(|(s, _)| *s == sku) {
                return Err(err(invalid(
                    format!("received[{i}].sku_id"),
                    "duplicate SKU",
                )));
            }
            if !(0..=MAX_QUANTITY).contains(&r.quantity) {
                return Err(err(invalid(
                    format!("received[{i}].quantity"),
                    format!("must be 0..{MAX_QUANTITY}"),
                )));
            }
            received.push((sku, r.quantity));
        }
        let note = text("note", &req.note, 500)?;
        self.mutate(&ctx, key, "ReceiveTransfer", &req, move |txn| {
            Box::pin(async move {
                let t = app.receive_transfer(txn, &c, tid, &received, &note).await?;
                Ok(pb::ReceiveTransferResponse {
                    transfer: Some(transfer_out(&t)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn cancel_transfer_rpc(
        &self,
        request: Request<pb::CancelTransferRequest>,
    ) -> R<pb::CancelTransferResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let tid = id("transfer_id", &req.transfer_id).map_err(err)?;
        text("reason", &req.reason, 500)?;
        self.mutate(&ctx, key, "CancelTransfer", &req, move |txn| {
            Box::pin(async move {
                let t = app.cancel_transfer(txn, &c, tid).await?;
                Ok(pb::CancelTransferResponse {
                    transfer: Some(transfer_out(&t)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn get_transfer_rpc(
        &self,
        request: Request<pb::GetTransferRequest>,
    ) -> R<pb::GetTransferResponse> {
        let ctx = ctx(&request)?;
        let tid = id("transfer_id", &request.get_ref().transfer_id).map_err(err)?;
        let t = self.app.get_transfer(&ctx, tid).await.map_err(err)?;
        Ok(Response::new(pb::GetTransferResponse {
            transfer: Some(transfer_out(&t)),
        }))
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn list_transfers_rpc(
        &self,
        request: Request<pb::ListTransfersRequest>,
    ) -> R<pb::ListTransfersResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let location = opt_id("location_id", &req.location_id).map_err(err)?;
        let mut statuses = Vec::with_capacity(req.statuses.len());
        for (i, s) in req.statuses.iter().enumerate() {
            let s = i16::try_from(*s)
                .ok()
                .and_then(|s| TransferStatus::try_from(s).ok())
                .ok_or_else(|| err(invalid(format!("statuses[{i}]"), "unknown status")))?;
            statuses.push(s);
        }
        let p = page::<Uuid>("transfers", req.page.as_ref()).map_err(err)?;
        let rows = self
            .app
            .list_transfers(&ctx, location, &statuses, p.after, p.fetch_limit())
            .await
            .map_err(err)?;
        let (rows, next) = siyu_core::PageToken::finish("transfers", rows, p.size, |t| t.id);
        Ok(Response::new(pb::ListTransfersResponse {
            transfers: rows.iter().map(transfer_out).collect(),
            page: Some(siyu_proto::common::v1::PageResponse {
                next_page_token: next,
            }),
        }))
    }
}
