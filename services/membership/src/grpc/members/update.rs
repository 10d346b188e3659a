//! UpdateMember on the wire: the member's fields and the update mask.

use chrono::NaiveDate;
use siyu_proto::membership::v1 as pb;
use tonic::Request;

use super::super::convert::{birthday, mask, member, opt_id, text};
use super::super::{Handlers, R, ctx};
use super::enrol::attributes;
use super::{member_wire, today};
use crate::AppError;
use crate::app::domain::MemberStatus;
use crate::app::members::update::{Path, Update};

fn parse(req: &pb::UpdateMemberRequest, today: NaiveDate) -> Result<Update, AppError> {
    let m = req.member.clone().unwrap_or_default();
    let mut paths = Vec::new();
    for p in mask(req.update_mask.as_ref())? {
        paths.push(match p.as_str() {
            "birthday" => Path::Birthday,
            "card_holder_name" => Path::CardHolderName,
            "home_store_id" => Path::HomeStore,
            "attributes" => Path::Attributes,
            "remark" => Path::Remark,
            "status" => Path::Status,
            other => match other.strip_prefix("attributes.") {
                Some(key) if !key.is_empty() => Path::Attribute(key.to_owned()),
                _ => return Err(AppError::UnknownFieldPath(other.to_owned())),
            },
        });
    }
    let status = if paths.contains(&Path::Status) {
        match MemberStatus::from_number(m.status) {
            Some(s @ (MemberStatus::Active | MemberStatus::Frozen)) => Some(s),
            _ => {
                return Err(AppError::invalid(
                    "member.status",
                    "must be MEMBER_STATUS_ACTIVE or MEMBER_STATUS_FROZEN",
                ));
            }
        }
    } else {
        None
    };
    Ok(Update {
        member_id: member("member.member_id", &m.member_id)?,
        birthday: birthday("member.birthday", &m.birthday, today)?,
        card_holder_name: text("member.card_holder_name", &m.card_holder_name, 50)?,
        home_store_id: opt_id("member.home_store_id", &m.home_store_id)?,
        attributes: attributes("member.attributes", &m.attributes)?,
        remark: text("member.remark", &m.remark, 500)?,
        status,
        reason: text("reason", &req.reason, 200)?,
        paths,
    })
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateMemberRequest>,
) -> R<pb::UpdateMemberResponse> {
    let ctx = ctx(&request)?;
    let input = parse(request.get_ref(), today(h))?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let m = app.update_member(txn, &ctx, input).await?;
                Ok(pb::UpdateMemberResponse {
                    member: Some(member_wire(txn, &m, &ctx).await?),
                })
            })
        })
        .await
}
