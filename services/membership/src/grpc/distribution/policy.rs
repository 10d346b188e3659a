//! GetCommissionPolicy, UpdateCommissionPolicy, the per-SKU rates and SetDistributorEnabled.

use siyu_core::PrincipalKind;
use siyu_proto::membership::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{id, mask, money, required_member, text};
use super::super::{Handlers, R, ctx, page_of};
use crate::AppError;
use crate::app::domain::{CommissionPolicy, MAX_RATE_BPS, SkuRate};

/// One masked field's change of the stored policy.
type Change = Box<dyn FnOnce(&mut CommissionPolicy) + Send>;

const RATES: Paging = Paging::new("sku_commission_rates", 50, 200);

/// A rate in 0..=5000 bps.
fn rate(field: &str, bps: i32) -> Result<i32, AppError> {
    if (0..=MAX_RATE_BPS).contains(&bps) {
        Ok(bps)
    } else {
        Err(AppError::invalid(field, "must be within 0..=5000"))
    }
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn get(
    h: &Handlers,
    request: Request<pb::GetCommissionPolicyRequest>,
) -> R<pb::GetCommissionPolicyResponse> {
    let ctx = ctx(&request)?;
    let p = h.app.commission_policy(&ctx).await?;
    let mut wire = pb::CommissionPolicy::from(&p);
    // Consumers see the rates and the threshold, not the approval limit.
    if ctx.principal.kind == PrincipalKind::Consumer {
        wire.auto_approve_max = None;
    }
    Ok(Response::new(pb::GetCommissionPolicyResponse {
        policy: Some(wire),
    }))
}

/// The masked fields of the request, parsed, as a change of the stored policy.
fn changes(
    req: &pb::UpdateCommissionPolicyRequest,
) -> Result<impl FnOnce(&mut CommissionPolicy) + Send + 'static, AppError> {
    let paths = mask(req.update_mask.as_ref())?;
    let w = req.policy.clone().unwrap_or_default();
    let mut set: Vec<Change> = Vec::new();
    for p in &paths {
        match p.as_str() {
            "enabled" => {
                let v = w.enabled;
                set.push(Box::new(move |c| c.enabled = v));
            }
            "open_to_all_members" => {
                let v = w.open_to_all_members;
                set.push(Box::new(move |c| c.open_to_all_members = v));
            }
            "level1_rate_bps" => {
                let v = rate("policy.level1_rate_bps", w.level1_rate_bps)?;
                set.push(Box::new(move |c| c.level1_rate_bps = v));
            }
            "level2_enabled" => {
                let v = w.level2_enabled;
                set.push(Box::new(move |c| c.level2_enabled = v));
            }
            "level2_rate_bps" => {
                let v = rate("policy.level2_rate_bps", w.level2_rate_bps)?;
                set.push(Box::new(move |c| c.level2_rate_bps = v));
            }
            "min_withdrawal" => {
                let v = money("policy.min_withdrawal", w.min_withdrawal.as_ref(), 0)?;
                set.push(Box::new(move |c| c.min_withdrawal = v));
            }
            "auto_approve_max" => {
                let v = match w.auto_approve_max.as_ref() {
                    None => 0,
                    Some(m) => money("policy.auto_approve_max", Some(m), 0)?,
                };
                set.push(Box::new(move |c| c.auto_approve_max = v));
            }
            other => return Err(AppError::UnknownFieldPath(other.to_owned())),
        }
    }
    Ok(move |c: &mut CommissionPolicy| {
        for f in set {
            f(c);
        }
    })
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateCommissionPolicyRequest>,
) -> R<pb::UpdateCommissionPolicyResponse> {
    let ctx = ctx(&request)?;
    let apply = changes(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let p = app.update_commission_policy(txn, &ctx, apply).await?;
                Ok(pb::UpdateCommissionPolicyResponse {
                    policy: Some((&p).into()),
                })
            })
        })
        .await
}

impl TryFrom<Option<&pb::SkuCommissionRate>> for SkuRate {
    type Error = AppError;

    fn try_from(r: Option<&pb::SkuCommissionRate>) -> Result<Self, AppError> {
        let r = r.ok_or_else(|| AppError::invalid("rate", "required"))?;
        Ok(Self {
            sku_id: id("rate.sku_id", &r.sku_id)?,
            level1_rate_bps: rate("rate.level1_rate_bps", r.level1_rate_bps)?,
            level2_rate_bps: rate("rate.level2_rate_bps", r.level2_rate_bps)?,
        })
    }
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn set_rate(
    h: &Handlers,
    request: Request<pb::SetSkuCommissionRateRequest>,
) -> R<pb::SetSkuCommissionRateResponse> {
    let ctx = ctx(&request)?;
    let r = SkuRate::try_from(request.get_ref().rate.as_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let r = app.set_sku_rate(txn, &ctx, r).await?;
                Ok(pb::SetSkuCommissionRateResponse {
                    rate: Some((&r).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn delete_rate(
    h: &Handlers,
    request: Request<pb::DeleteSkuCommissionRateRequest>,
) -> R<pb::DeleteSkuCommissionRateResponse> {
    let ctx = ctx(&request)?;
    let sku = id("sku_id", &request.get_ref().sku_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                app.delete_sku_rate(txn, &ctx, sku).await?;
                Ok(pb::DeleteSkuCommissionRateResponse {})
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn rates(
    h: &Handlers,
    request: Request<pb::ListSkuCommissionRatesRequest>,
) -> R<pb::ListSkuCommissionRatesResponse> {
    let ctx = ctx(&request)?;
    let page = page_of::<Uuid>(&RATES, request.get_ref().page.as_ref())?;
    let rows = h
        .app
        .sku_rates(&ctx, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = RATES.finish(rows, &page, |r| r.sku_id);
    Ok(Response::new(pb::ListSkuCommissionRatesResponse {
        rates: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(in crate::grpc) async fn set_distributor(
    h: &Handlers,
    request: Request<pb::SetDistributorEnabledRequest>,
) -> R<pb::SetDistributorEnabledResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let member = required_member("member_id", &req.member_id)?;
    let enabled = req.enabled;
    let reason = text("reason", &req.reason, 200)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let enabled = app
                    .set_distributor(txn, &ctx, member, enabled, &reason)
                    .await?;
                Ok(pb::SetDistributorEnabledResponse { enabled })
            })
        })
        .await
}
