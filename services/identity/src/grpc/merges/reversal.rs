//! ReverseUserMerge (inherent handler the `UserService` impl delegates to).

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::merges::merge::Merged;
use crate::grpc::consumers::access::{actor, reason};
use crate::grpc::ids::id;
use crate::grpc::merges::masked;
use crate::grpc::{Caller, UserApi};
use siyu_proto::time::timestamp;

impl UserApi {
    /// ReverseUserMerge.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn reverse_user_merge_rpc(
        &self,
        request: Request<pb::ReverseUserMergeRequest>,
    ) -> Result<Response<pb::ReverseUserMergeResponse>, Status> {
        let caller = Caller::of(&request)?;
        let actor = actor(&caller);
        let req = request.get_ref();
        let merge_id = id("merge_id", req.merge_id.trim())?.to_string();
        let why = reason(&req.reason, true)?;
        let tenant = caller.tenant();
        let scope = tenant.clone();
        let reply = self
            .mutate(&request, &scope, "ReverseUserMerge", move |app, txn| {
                Box::pin(async move {
                    let (record, moved) = app
                        .reverse_merge(txn, &tenant, &merge_id, &why, &actor)
                        .await?;
                    let mut merge = masked(&Merged {
                        row: record.row,
                        moved,
                    });
                    merge.reverse_time = record.reversed_at.map(timestamp);
                    merge.reversed_by = record.reversed_by.unwrap_or_default();
                    Ok(pb::ReverseUserMergeResponse { merge: Some(merge) })
                })
            })
            .await?;
        Ok(Response::new(reply))
    }
}
