//! MemberService: members on the wire, and the reads — GetMember, GetMemberByUser,
//! GetMemberByCardNumber — plus IssueMemberCode (enrolment, updates and the staff list in the
//! sub-modules).

use chrono::NaiveDate;
use siyu_core::{Ctx, PrincipalKind};
use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;
use tonic::{Request, Response};

use super::convert::{attribution_to_wire, id, member, opt_id};
use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::domain::{GuideBinding, Member, MemberId};

pub(super) mod enrol;
pub(super) mod list;
pub(super) mod update;

/// The calendar day of the service's clock in Asia/Shanghai (birthdays are dates there).
pub(super) fn today(h: &Handlers) -> NaiveDate {
    crate::app::ledger::arith::local_date(h.app.clock.now())
}

impl From<&GuideBinding> for pb::GuideBinding {
    fn from(b: &GuideBinding) -> Self {
        Self {
            binding_id: b.id.to_string(),
            member_id: b.member_id.to_string(),
            guide_id: b.guide_id.to_string(),
            store_id: b.store_id.map(|s| s.to_string()).unwrap_or_default(),
            source: i32::from(b.source.number()),
            bound_at: Some(timestamp_ms(b.bound_at_ms)),
            unbound_at: b.unbound_at_ms.map(timestamp_ms),
            unbind_reason: i32::from(b.unbind_reason),
            changed_by: b.changed_by.clone(),
            note: b.note.clone(),
        }
    }
}

/// A member as `ctx` may see it: the staff remark for staff only.
pub(super) fn member_to_wire(m: &Member, ctx: &Ctx) -> pb::Member {
    pb::Member {
        member_id: m.id.to_string(),
        user_id: m.user_id.to_string(),
        card_number: m.card_number.clone(),
        status: i32::from(m.status.number()),
        // Filled by `member_wire`, which reads the tier the member holds.
        tier: None,
        growth_value: m.growth_value,
        birthday: m.birthday.clone(),
        card_holder_name: m.card_holder_name.clone(),
        home_store_id: m.home_store_id.map(|s| s.to_string()).unwrap_or_default(),
        enrolled_at: Some(timestamp_ms(m.enrolled_at_ms)),
        enrolment_attribution: Some(attribution_to_wire(&m.attribution)),
        inviter_member_id: m
            .inviter_member_id
            .map(|i| i.to_string())
            .unwrap_or_default(),
        guide: m.guide.as_ref().map(Into::into),
        tag_ids: m.tag_ids.iter().map(ToString::to_string).collect(),
        attributes: m.attributes.clone().into_iter().collect(),
        remark: if ctx.principal.kind == PrincipalKind::Staff {
            m.remark.clone()
        } else {
            String::new()
        },
        paid_membership_expires_at: None,
        updated_at: Some(timestamp_ms(m.updated_at_ms)),
    }
}

/// A member as `ctx` may see it, with the tier it holds.
pub(super) async fn member_wire(
    conn: &impl sea_orm::ConnectionTrait,
    m: &Member,
    ctx: &Ctx,
) -> Result<pb::Member, AppError> {
    let mut wire = [member_to_wire(m, ctx)];
    super::tiers::fill_member_tiers(conn, ctx, &[m], &mut wire).await?;
    let [wire] = wire;
    Ok(wire)
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(super) async fn get(
    h: &Handlers,
    request: Request<pb::GetMemberRequest>,
) -> R<pb::GetMemberResponse> {
    let ctx = ctx(&request)?;
    let id = MemberId(id("member_id", &request.get_ref().member_id)?);
    let m = h.app.member(&ctx, id).await?;
    Ok(Response::new(pb::GetMemberResponse {
        member: Some(member_wire(&h.app.db, &m, &ctx).await?),
    }))
}

#[tracing::instrument(skip_all, fields(user_id = %request.get_ref().user_id))]
pub(super) async fn by_user(
    h: &Handlers,
    request: Request<pb::GetMemberByUserRequest>,
) -> R<pb::GetMemberByUserResponse> {
    let ctx = ctx(&request)?;
    let user = opt_id("user_id", &request.get_ref().user_id)?;
    let m = h.app.member_of_user(&ctx, user).await?;
    Ok(Response::new(pb::GetMemberByUserResponse {
        member: Some(member_wire(&h.app.db, &m, &ctx).await?),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn by_card(
    h: &Handlers,
    request: Request<pb::GetMemberByCardNumberRequest>,
) -> R<pb::GetMemberByCardNumberResponse> {
    let ctx = ctx(&request)?;
    let card = &request.get_ref().card_number;
    if card.is_empty() || card.len() > 20 || !card.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid("card_number", "must be 1 to 20 digits").into());
    }
    let m = h.app.member_by_card(&ctx, card).await?;
    Ok(Response::new(pb::GetMemberByCardNumberResponse {
        member: Some(member_wire(&h.app.db, &m, &ctx).await?),
    }))
}

/// IssueMemberCode: its reply is a short-lived secret, so it is never stored for replay
/// (`IDEMPOTENCY_MODE_DEDUPE`); each call issues a fresh code.
#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(super) async fn issue_code(
    h: &Handlers,
    request: Request<pb::IssueMemberCodeRequest>,
) -> R<pb::IssueMemberCodeResponse> {
    let ctx = ctx(&request)?;
    let member = member("member_id", &request.get_ref().member_id)?;
    let (code, expires_at_ms) = h.app.issue_code(&ctx, member).await?;
    Ok(Response::new(pb::IssueMemberCodeResponse {
        code,
        expires_at: Some(timestamp_ms(expires_at_ms)),
    }))
}
