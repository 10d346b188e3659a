//! GetUser, BatchGetUsers and ListLinkedIdentities (inherent handlers the `UserService` impl
//! delegates to): a consumer sees itself, staff with a reading role see phones masked.

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::consumers::access::{Target, target};
use crate::grpc::consumers::convert::{identity_pb, view_pb};
use crate::grpc::{Caller, UserApi};
use crate::otp::mask_phone;

impl UserApi {
    /// GetUser.
    pub(crate) async fn get_user_rpc(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<pb::GetUserResponse, Status> {
        let caller = Caller::of(&request)?;
        let t = target(&caller, &request.get_ref().user_id)?;
        let view = self.app.user_view(&caller.tenant(), &t.user_id).await?;
        Ok(pb::GetUserResponse {
            user: Some(view_pb(&view, &t, &caller)),
        })
    }

    /// BatchGetUsers: the users found in the tenant, in request order.
    pub(crate) async fn batch_get_users_rpc(
        &self,
        request: Request<pb::BatchGetUsersRequest>,
    ) -> Result<pb::BatchGetUsersResponse, Status> {
        let caller = Caller::of(&request)?;
        let ids = &request.get_ref().user_ids;
        if ids.is_empty() || ids.len() > 200 {
            return Err(AppError::invalid("user_ids", "must hold 1..200 ids").into());
        }
        let ids: Vec<String> = crate::grpc::ids::ids("user_ids", ids)?
            .iter()
            .map(ToString::to_string)
            .collect();
        // Staff see phones masked, services in full (the contract admits no other kind).
        let masked = caller.ctx.principal.kind != PrincipalKind::Service;
        let views = self.app.user_views(&caller.tenant(), &ids).await?;
        let users = views
            .iter()
            .map(|v| {
                let t = Target {
                    user_id: v.user.id.clone(),
                    masked,
                    actor: crate::app::Actor {
                        kind: String::new(),
                        id: String::new(),
                    },
                };
                view_pb(v, &t, &caller)
            })
            .collect();
        Ok(pb::BatchGetUsersResponse { users })
    }

    /// ListLinkedIdentities.
    pub(crate) async fn list_linked_identities_rpc(
        &self,
        request: Request<pb::ListLinkedIdentitiesRequest>,
    ) -> Result<pb::ListLinkedIdentitiesResponse, Status> {
        let caller = Caller::of(&request)?;
        let t = target(&caller, &request.get_ref().user_id)?;
        let rows = self
            .app
            .linked_identities(&caller.tenant(), &t.user_id)
            .await?;
        // A consumer sees openids of the app of their session only.
        let own_app = if caller.ctx.principal.kind == PrincipalKind::Consumer {
            match caller.sid.as_deref() {
                Some(sid) => self.app.session(sid).await?.map(|s| s.app_id),
                None => None,
            }
        } else {
            None
        };
        let identities = rows
            .iter()
            .filter(|i| {
                own_app
                    .as_ref()
                    .is_none_or(|app| i.kind != "OPENID" || &i.scope == app)
            })
            .map(|i| {
                let mut pb = identity_pb(i, "");
                if t.masked && i.kind == "PHONE" {
                    pb.value = mask_phone(&i.value);
                }
                pb
            })
            .collect();
        Ok(pb::ListLinkedIdentitiesResponse { identities })
    }
}
