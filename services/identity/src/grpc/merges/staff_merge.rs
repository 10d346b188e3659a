//! MergeUsers (inherent handler the `UserService` impl delegates to). Staff see phones masked
//! in the merge they get back, as in ListUserMerges.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::error::AppError;
use crate::grpc::consumers::access::{reason, target};
use crate::grpc::merges::masked;
use crate::grpc::{Caller, UserApi};

impl UserApi {
    /// MergeUsers.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn merge_users_rpc(
        &self,
        request: Request<pb::MergeUsersRequest>,
    ) -> Result<Response<pb::MergeUsersResponse>, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let a = target(&caller, &req.user_id_a).map_err(|e| rename(e, "user_id_a"))?;
        let b = target(&caller, &req.user_id_b).map_err(|e| rename(e, "user_id_b"))?;
        if a.user_id == b.user_id {
            return Err(
                AppError::invalid("user_id_b", "must name another user than user_id_a").into(),
            );
        }
        let why = reason(&req.reason, true)?;
        let tenant = caller.tenant();
        let scope = tenant.clone();
        let reply = self
            .mutate(&request, &scope, "MergeUsers", move |app, txn| {
                Box::pin(async move {
                    let pair = (a.user_id.as_str(), b.user_id.as_str());
                    let merge = app.merge_users(txn, &tenant, pair, &why, &a.actor).await?;
                    Ok(pb::MergeUsersResponse {
                        merge: Some(masked(&merge)),
                    })
                })
            })
            .await?;
        Ok(Response::new(reply))
    }
}

/// Field violations of a user id name the request field they came from.
fn rename(err: AppError, field: &str) -> AppError {
    match err {
        AppError::InvalidArgument { reason, fields } => AppError::InvalidArgument {
            reason,
            fields: fields
                .into_iter()
                .map(|(_, d)| (field.to_owned(), d))
                .collect(),
        },
        other => other,
    }
}
