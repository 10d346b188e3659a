//! GetInviteCode, ResolveInviteCode, GetReferral and ListInvitees.

use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::member;
use super::super::{Handlers, R, ctx, page_of};
use crate::AppError;

const INVITEES: Paging = Paging::new("invitees", 20, 100);

/// The mini-program page a share opens, with the code as `ic`.
fn share_path(code: &str) -> String {
    format!("pages/index/index?ic={code}")
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn get_code(
    h: &Handlers,
    request: Request<pb::GetInviteCodeRequest>,
) -> R<pb::GetInviteCodeResponse> {
    let ctx = ctx(&request)?;
    let requested = member("member_id", &request.get_ref().member_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let code = app.invite_code(txn, &ctx, requested).await?;
                Ok(pb::GetInviteCodeResponse {
                    share_path: share_path(&code),
                    invite_code: code,
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn resolve(
    h: &Handlers,
    request: Request<pb::ResolveInviteCodeRequest>,
) -> R<pb::ResolveInviteCodeResponse> {
    let ctx = ctx(&request)?;
    let code = request.get_ref().invite_code.trim();
    let ok = code.len() == 8 && code.bytes().all(|b| b.is_ascii_alphanumeric());
    if !ok {
        return Err(AppError::invalid("invite_code", "must be 8 letters and digits").into());
    }
    let inviter = h.app.resolve_invite_code(&ctx, code).await?;
    Ok(Response::new(pb::ResolveInviteCodeResponse {
        inviter_member_id: inviter.member_id.to_string(),
        inviter_user_id: inviter.user_id.to_string(),
        distributor: inviter.distributor,
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn referral(
    h: &Handlers,
    request: Request<pb::GetReferralRequest>,
) -> R<pb::GetReferralResponse> {
    let ctx = ctx(&request)?;
    let requested = member("member_id", &request.get_ref().member_id)?;
    let r = h.app.referral(&ctx, requested).await?;
    let id = |m: Option<crate::app::domain::MemberId>| m.map(|m| m.to_string()).unwrap_or_default();
    Ok(Response::new(pb::GetReferralResponse {
        inviter_member_id: id(r.inviter),
        second_inviter_member_id: id(r.second_inviter),
        referred_at: r.referred_at_ms.map(timestamp_ms),
        invitee_count: i32::try_from(r.invitee_count).unwrap_or(i32::MAX),
        distributor: r.distributor,
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn invitees(
    h: &Handlers,
    request: Request<pb::ListInviteesRequest>,
) -> R<pb::ListInviteesResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let requested = member("member_id", &req.member_id)?;
    let level = match req.level {
        0 | 1 => 1,
        2 => 2,
        _ => return Err(AppError::invalid("level", "must be 1 or 2 (never deeper)").into()),
    };
    let page = page_of::<(i64, Uuid)>(&INVITEES, req.page.as_ref())?;
    let rows = h
        .app
        .invitees(&ctx, requested, level, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = INVITEES.finish(rows, &page, |r| (r.enrolled_at_ms, r.id));
    Ok(Response::new(pb::ListInviteesResponse {
        invitees: rows
            .iter()
            .map(|r| pb::Invitee {
                member_id: r.id.to_string(),
                enrolled_at: Some(timestamp_ms(r.enrolled_at_ms)),
                has_ordered: r.has_ordered,
            })
            .collect(),
        page: Some(next),
    }))
}
