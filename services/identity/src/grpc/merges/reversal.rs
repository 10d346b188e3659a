//! UserService: ReverseUserMerge.

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::Request;

use crate::app::merges::merge::Merged;
use crate::grpc::consumers::access::{actor, reason};
use crate::grpc::ids::id;
use crate::grpc::merges::masked;
use crate::grpc::{Api, Caller, R, record};

/// ReverseUserMerge: both users as they were, phones masked in the answer.
#[tracing::instrument(skip_all, fields(merge_id))]
pub(crate) async fn reverse(
    api: &Api,
    request: Request<pb::ReverseUserMergeRequest>,
) -> R<pb::ReverseUserMergeResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let merge_id = id("merge_id", req.merge_id.trim())?.to_string();
    record("merge_id", &merge_id);
    let why = reason(&req.reason, true)?;
    let (app, tenant, actor) = (Arc::clone(&api.app), caller.tenant(), actor(&caller));
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (record, moved) = app
                    .reverse_merge(txn, tenant, &merge_id, &why, &actor)
                    .await?;
                let mut merge = masked(&Merged {
                    merge: record.merge,
                    moved,
                });
                merge.reverse_time = record.reversed_at.map(timestamp);
                merge.reversed_by = record.reversed_by.unwrap_or_default();
                Ok(pb::ReverseUserMergeResponse { merge: Some(merge) })
            })
        })
        .await
}
