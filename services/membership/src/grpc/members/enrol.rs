//! EnrollMember on the wire.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use siyu_proto::membership::v1 as pb;
use tonic::Request;

use super::super::convert::{attribution, birthday, card_number, each_id, opt_id, text};
use super::super::{Handlers, R, ctx};
use super::{member_wire, today};
use crate::AppError;
use crate::app::members::enrol::Enrol;
use crate::app::members::update::MAX_ATTRIBUTES;

/// Custom attributes: lower_snake_case keys (at most 50 of them), values of at most 200
/// characters.
pub(in crate::grpc) fn attributes(
    field: &str,
    map: &std::collections::HashMap<String, String>,
) -> Result<BTreeMap<String, String>, AppError> {
    if map.len() > MAX_ATTRIBUTES {
        return Err(AppError::invalid(
            field,
            format!("at most {MAX_ATTRIBUTES} attributes"),
        ));
    }
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let snake = !k.is_empty()
            && k.len() <= 50
            && k.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && k.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
        if !snake {
            return Err(AppError::invalid(
                format!("{field}[{k}]"),
                "keys are lower_snake_case",
            ));
        }
        out.insert(k.clone(), text(&format!("{field}[{k}]"), v, 200)?);
    }
    Ok(out)
}

fn parse(req: &pb::EnrollMemberRequest, today: NaiveDate) -> Result<Enrol, AppError> {
    Ok(Enrol {
        user_id: opt_id("user_id", &req.user_id)?,
        attribution: attribution("attribution", req.attribution.as_ref())?,
        birthday: birthday("birthday", &req.birthday, today)?,
        card_holder_name: text("card_holder_name", &req.card_holder_name, 50)?,
        card_number: (!req.card_number.is_empty())
            .then(|| card_number(&req.card_number))
            .transpose()?,
        tag_ids: each_id("tag_ids", &req.tag_ids, 50)?,
        invite_code: text("invite_code", &req.invite_code, 32)?,
        attributes: attributes("attributes", &req.attributes)?,
    })
}

#[tracing::instrument(skip_all, fields(user_id = %request.get_ref().user_id))]
pub(in crate::grpc) async fn enrol(
    h: &Handlers,
    request: Request<pb::EnrollMemberRequest>,
) -> R<pb::EnrollMemberResponse> {
    let ctx = ctx(&request)?;
    let input = parse(request.get_ref(), today(h))?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let done = app.enrol(txn, &ctx, input).await?;
                Ok(pb::EnrollMemberResponse {
                    member: Some(member_wire(txn, &done.member, &ctx).await?),
                    created: done.created,
                    invite_code_applied: done.invite_applied,
                })
            })
        })
        .await
}
