//! UserService: SetUserBlocked.

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use tonic::Request;

use crate::grpc::consumers::access::{reason, target};
use crate::grpc::consumers::convert::view_pb;
use crate::grpc::{Api, Caller, R, record};

/// SetUserBlocked: blocking ends every session; setting the current state is a no-op.
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn set_blocked(
    api: &Api,
    request: Request<pb::SetUserBlockedRequest>,
) -> R<pb::SetUserBlockedResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let t = target(&caller, &req.user_id)?;
    record("user_id", &t.user_id);
    let why = reason(&req.reason, true)?;
    let (app, tenant, kind) = (
        Arc::clone(&api.app),
        caller.tenant(),
        caller.ctx.principal.kind,
    );
    let blocked = req.blocked;
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let view = app
                    .set_user_blocked(txn, tenant, &t.user_id, blocked, &why, &t.actor)
                    .await?;
                Ok(pb::SetUserBlockedResponse {
                    user: Some(view_pb(&view, t.masked, kind)),
                })
            })
        })
        .await
}
