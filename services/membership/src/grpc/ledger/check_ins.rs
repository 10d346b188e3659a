//! CheckIn and GetCheckInStatus on the wire.

use siyu_proto::membership::v1 as pb;
use tonic::{Request, Response};

use super::super::convert::member;
use super::super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::domain::StreakBonus;

/// A `YYYY-MM` month (empty = the current one).
fn month(value: &str) -> Result<Option<(i32, u32)>, AppError> {
    if value.is_empty() {
        return Ok(None);
    }
    let bad = || AppError::invalid("month", "must be YYYY-MM");
    let (y, m) = value.split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if !(2000..=9999).contains(&y) || !(1..=12).contains(&m) {
        return Err(bad());
    }
    Ok(Some((y, m)))
}

fn bonus_to_wire(b: StreakBonus) -> pb::CheckInStreakBonus {
    pb::CheckInStreakBonus {
        streak_days: b.streak_days,
        bonus_points: b.bonus_points,
    }
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(in crate::grpc) async fn check_in(
    h: &Handlers,
    request: Request<pb::CheckInRequest>,
) -> R<pb::CheckInResponse> {
    let ctx = ctx(&request)?;
    let requested = member("member_id", &request.get_ref().member_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let done = app.check_in(txn, &ctx, requested).await?;
                Ok(pb::CheckInResponse {
                    points: done.day.points,
                    bonus_points: done.day.bonus_points,
                    streak_days: done.day.streak,
                    already_checked_in: done.already,
                    entry: Some((&done.entry).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(in crate::grpc) async fn status(
    h: &Handlers,
    request: Request<pb::GetCheckInStatusRequest>,
) -> R<pb::GetCheckInStatusResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let requested = member("member_id", &req.member_id)?;
    let month = month(&req.month)?;
    let s = h.app.check_in_status(&ctx, requested, month).await?;
    Ok(Response::new(pb::GetCheckInStatusResponse {
        checked_in_today: s.today,
        streak_days: s.streak,
        checked_in_dates: s.dates,
        next_bonus: s.next_bonus.map(bonus_to_wire),
        points_today: s.points_today,
    }))
}
