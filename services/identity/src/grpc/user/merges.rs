//! MergeUsers and ReverseUserMerge handlers (inherent methods the `UserService` impl delegates
//! to). Staff see phones masked in the merge they get back, as in ListUserMerges.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::merge::Merged;
use crate::error::AppError;
use crate::events::timestamp;
use crate::grpc::UserApi;
use crate::grpc::user::convert::merge_pb;
use crate::grpc::user::input::{Allowed, target};
use crate::grpc::user::links::reason;
use crate::otp::mask_phone;

/// Staff roles that merge users.
const MERGE_ROLES: &[&str] = &["customer_service", "tenant_admin"];
/// Staff roles that reverse a merge.
const REVERSE_ROLES: &[&str] = &["tenant_admin"];

/// A merge as staff see it: phones masked.
fn masked(merge: &Merged) -> pb::UserMerge {
    let mut pb = merge_pb(merge);
    for identity in &mut pb.moved_identities {
        if identity.kind == pb::IdentityKind::Phone as i32 {
            identity.value = mask_phone(&identity.value);
        }
    }
    pb
}

impl UserApi {
    /// MergeUsers.
    #[tracing::instrument(skip_all)]
    pub(super) async fn merge_users_rpc(
        &self,
        request: Request<pb::MergeUsersRequest>,
    ) -> Result<Response<pb::MergeUsersResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            staff: MERGE_ROLES,
            ..Allowed::default()
        };
        let req = request.get_ref();
        let a = target(&caller, &req.user_id_a, allowed).map_err(|e| rename(e, "user_id_a"))?;
        let b = target(&caller, &req.user_id_b, allowed).map_err(|e| rename(e, "user_id_b"))?;
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

    /// ReverseUserMerge.
    #[tracing::instrument(skip_all)]
    pub(super) async fn reverse_user_merge_rpc(
        &self,
        request: Request<pb::ReverseUserMergeRequest>,
    ) -> Result<Response<pb::ReverseUserMergeResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let allowed = Allowed {
            staff: REVERSE_ROLES,
            ..Allowed::default()
        };
        // Authorization first (a merge names no user up front).
        let t = target(&caller, "-", allowed)?;
        let req = request.get_ref();
        let merge_id = req.merge_id.trim().to_owned();
        if merge_id.is_empty() || merge_id.len() > 64 {
            return Err(AppError::invalid("merge_id", "must be 1..64 characters").into());
        }
        let why = reason(&req.reason, true)?;
        let tenant = caller.tenant();
        let scope = tenant.clone();
        let reply = self
            .mutate(&request, &scope, "ReverseUserMerge", move |app, txn| {
                Box::pin(async move {
                    let (record, moved) = app
                        .reverse_merge(txn, &tenant, &merge_id, &why, &t.actor)
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
