//! GetGuidePolicy and UpdateGuidePolicy on the wire.

use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;
use tonic::{Request, Response};

use super::super::convert::mask;
use super::super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::domain::{GuidePolicy, Succession};
use crate::app::guides::policy::GuidePolicyUpdate;

impl From<&GuidePolicy> for pb::GuidePolicy {
    fn from(p: &GuidePolicy) -> Self {
        Self {
            latest_scan_wins: p.latest_scan_wins,
            succession: i32::from(p.succession.number()),
            update_time: p.updated_at_ms.map(timestamp_ms),
        }
    }
}

/// The masked fields of the request; `update_time` is the server's to set.
fn parse(req: &pb::UpdateGuidePolicyRequest) -> Result<GuidePolicyUpdate, AppError> {
    let p = req.policy.unwrap_or_default();
    let mut u = GuidePolicyUpdate {
        policy: GuidePolicy::default(),
        latest_scan_wins: false,
        succession: false,
    };
    for path in mask(req.update_mask.as_ref())? {
        match path.as_str() {
            "latest_scan_wins" => {
                u.latest_scan_wins = true;
                u.policy.latest_scan_wins = p.latest_scan_wins;
            }
            "succession" => {
                u.succession = true;
                u.policy.succession = Succession::from_number(p.succession).ok_or_else(|| {
                    AppError::invalid("policy.succession", "must be STORE or STORE_GUIDES")
                })?;
            }
            other => return Err(AppError::UnknownFieldPath(other.to_owned())),
        }
    }
    Ok(u)
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn get(
    h: &Handlers,
    request: Request<pb::GetGuidePolicyRequest>,
) -> R<pb::GetGuidePolicyResponse> {
    let ctx = ctx(&request)?;
    let p = h.app.guide_policy(&h.app.db, &ctx).await?;
    Ok(Response::new(pb::GetGuidePolicyResponse {
        policy: Some((&p).into()),
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateGuidePolicyRequest>,
) -> R<pb::UpdateGuidePolicyResponse> {
    let ctx = ctx(&request)?;
    let input = parse(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let p = app.update_guide_policy(txn, &ctx, input).await?;
                Ok(pb::UpdateGuidePolicyResponse {
                    policy: Some((&p).into()),
                })
            })
        })
        .await
}
