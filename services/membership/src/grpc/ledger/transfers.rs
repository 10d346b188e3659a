//! TransferPoints on the wire.

use siyu_proto::membership::v1 as pb;
use tonic::Request;

use super::super::convert::{key, member, points, required_member, text};
use super::super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::ledger::transfers::{Recipient, Transfer};

impl TryFrom<&pb::TransferPointsRequest> for Transfer {
    type Error = AppError;

    fn try_from(req: &pb::TransferPointsRequest) -> Result<Self, AppError> {
        let to = match (req.to_member_id.is_empty(), req.to_card_number.is_empty()) {
            (false, true) => Recipient::Member(required_member("to_member_id", &req.to_member_id)?),
            (true, false) => {
                let card = &req.to_card_number;
                if card.len() > 20 || !card.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(AppError::invalid(
                        "to_card_number",
                        "must be 1 to 20 digits",
                    ));
                }
                Recipient::Card(card.clone())
            }
            (true, true) => {
                return Err(AppError::invalid(
                    "to_member_id",
                    "to_member_id or to_card_number is required",
                ));
            }
            (false, false) => {
                return Err(AppError::invalid(
                    "to_member_id",
                    "set either to_member_id or to_card_number, not both",
                ));
            }
        };
        Ok(Self {
            from: member("from_member_id", &req.from_member_id)?,
            to,
            points: points("points", req.points)?,
            key: key("idempotency_key", &req.idempotency_key)?,
            note: text("note", &req.note, 100)?,
        })
    }
}

#[tracing::instrument(skip_all, fields(from = %request.get_ref().from_member_id))]
pub(in crate::grpc) async fn transfer(
    h: &Handlers,
    request: Request<pb::TransferPointsRequest>,
) -> R<pb::TransferPointsResponse> {
    let ctx = ctx(&request)?;
    let input = Transfer::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (entry, balances) = app.transfer(txn, &ctx, input).await?;
                Ok(pb::TransferPointsResponse {
                    entry: Some((&entry).into()),
                    from_balances: Some((&balances).into()),
                })
            })
        })
        .await
}
