//! SetUserBlocked (inherent handler the `UserService` impl delegates to).

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::grpc::consumers::access::{reason, target};
use crate::grpc::consumers::convert::view_pb;
use crate::grpc::{Caller, UserApi};

impl UserApi {
    /// SetUserBlocked.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn set_user_blocked_rpc(
        &self,
        request: Request<pb::SetUserBlockedRequest>,
    ) -> Result<Response<pb::SetUserBlockedResponse>, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let t = target(&caller, &req.user_id)?;
        let why = reason(&req.reason, true)?;
        let blocked = req.blocked;
        let tenant = caller.tenant();
        let scope = tenant.clone();
        let reply = self
            .mutate(&request, &scope, "SetUserBlocked", move |app, txn| {
                Box::pin(async move {
                    let view = app
                        .set_user_blocked(txn, &tenant, &t.user_id, blocked, &why, &t.actor)
                        .await?;
                    Ok(pb::SetUserBlockedResponse {
                        user: Some(view_pb(&view, &t, &caller)),
                    })
                })
            })
            .await?;
        Ok(Response::new(reply))
    }
}
