//! UserService: MergeUsers. Staff see phones masked in the merge they get back, as in
//! ListUserMerges.

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use tonic::Request;

use crate::error::AppError;
use crate::grpc::consumers::access::{Target, reason, target};
use crate::grpc::merges::masked;
use crate::grpc::{Api, Caller, R, record};

/// MergeUsers: the older user is kept; a pair already merged answers that merge.
#[tracing::instrument(skip_all, fields(user_id_a, user_id_b))]
pub(crate) async fn merge(
    api: &Api,
    request: Request<pb::MergeUsersRequest>,
) -> R<pb::MergeUsersResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let (a, b) = (
        side(&caller, &req.user_id_a, "user_id_a")?,
        side(&caller, &req.user_id_b, "user_id_b")?,
    );
    record("user_id_a", &a.user_id);
    record("user_id_b", &b.user_id);
    if a.user_id == b.user_id {
        return Err(AppError::invalid("user_id_b", "must name another user than user_id_a").into());
    }
    let why = reason(&req.reason, true)?;
    let (app, tenant) = (Arc::clone(&api.app), caller.tenant());
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let pair = (a.user_id.as_str(), b.user_id.as_str());
                let merge = app.merge_users(txn, tenant, pair, &why, &a.actor).await?;
                Ok(pb::MergeUsersResponse {
                    merge: Some(masked(&merge)),
                })
            })
        })
        .await
}

/// One user of the pair; its field violations name the request field they came from.
fn side(caller: &Caller, user_id: &str, field: &str) -> Result<Target, AppError> {
    target(caller, user_id).map_err(|err| match err {
        AppError::InvalidArgument { reason, fields } => AppError::InvalidArgument {
            reason,
            fields: fields
                .into_iter()
                .map(|(_, d)| (field.to_owned(), d))
                .collect(),
        },
        other => other,
    })
}
