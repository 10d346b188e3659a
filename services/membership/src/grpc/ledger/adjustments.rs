//! AdjustBalance on the wire: exactly one of points or stored value, non-zero, with a reason.

use siyu_proto::membership::v1 as pb;
use tonic::Request;

use super::super::convert::{MAX_FEN, MAX_POINTS, key, opt_time, required_member, text};
use super::super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::ledger::adjustments::{Adjust, Adjustment};

impl TryFrom<&pb::AdjustBalanceRequest> for Adjust {
    type Error = AppError;

    fn try_from(req: &pb::AdjustBalanceRequest) -> Result<Self, AppError> {
        let change = match (req.points, &req.stored_value) {
            (0, None) => {
                return Err(AppError::invalid(
                    "points",
                    "points or stored_value is required",
                ));
            }
            (p, None) if p.abs() <= MAX_POINTS => Adjustment::Points(p),
            (_, None) => {
                return Err(AppError::invalid(
                    "points",
                    format!("must be within ±{MAX_POINTS}"),
                ));
            }
            (0, Some(m)) => {
                if m.currency_code != "CNY" {
                    return Err(AppError::CurrencyNotSupported {
                        field: "stored_value.currency_code".into(),
                    });
                }
                let x = m.minor_units;
                if x == 0 || x.abs() > MAX_FEN {
                    return Err(AppError::invalid(
                        "stored_value.minor_units",
                        format!("must be non-zero and within ±{MAX_FEN}"),
                    ));
                }
                if req.principal {
                    Adjustment::Principal(x)
                } else {
                    Adjustment::Bonus(x)
                }
            }
            (_, Some(_)) => {
                return Err(AppError::invalid(
                    "stored_value",
                    "set either points or stored_value",
                ));
            }
        };
        let reason = text("reason", req.reason.trim(), 200)?;
        if reason.chars().count() < 2 {
            return Err(AppError::invalid("reason", "2 to 200 characters"));
        }
        Ok(Self {
            member_id: required_member("member_id", &req.member_id)?,
            change,
            reason,
            key: key("idempotency_key", &req.idempotency_key)?,
            expires_at_ms: opt_time("expires_at", req.expires_at.as_ref())?,
        })
    }
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(in crate::grpc) async fn adjust(
    h: &Handlers,
    request: Request<pb::AdjustBalanceRequest>,
) -> R<pb::AdjustBalanceResponse> {
    let ctx = ctx(&request)?;
    let input = Adjust::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (entry, balances) = app.adjust(txn, &ctx, input).await?;
                Ok(pb::AdjustBalanceResponse {
                    entry: Some((&entry).into()),
                    balances: Some((&balances).into()),
                })
            })
        })
        .await
}
