//! EraseUser (inherent handler the `UserService` impl delegates to): a consumer confirms with an
//! OTP or a WeChat code, staff give a reason.

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::privacy::erasure::Erasure;
use crate::error::AppError;
use crate::grpc::consumers::access::target;
use crate::grpc::{Caller, UserApi};
use siyu_proto::time::timestamp;

impl UserApi {
    /// EraseUser: the consumer confirms (OTP to the bound phone, else a fresh WeChat code);
    /// staff give a reason.
    pub(crate) async fn erase_user_rpc(
        &self,
        request: Request<pb::EraseUserRequest>,
    ) -> Result<Response<pb::EraseUserResponse>, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let t = target(&caller, &req.user_id)?;
        if req.otp.len() > 16 {
            return Err(AppError::invalid("otp", "must be 6 digits").into());
        }
        if req.wechat_code.len() > 128 {
            return Err(AppError::invalid("wechat_code", "must be at most 128 characters").into());
        }
        let tenant = caller.tenant();
        let (requested_by, reason) = if caller.ctx.principal.kind == PrincipalKind::Consumer {
            self.confirm_erasure(&caller, &tenant, &t.user_id, req)
                .await?;
            ("self", String::new())
        } else {
            let reason = req.reason.trim();
            if !(4..=200).contains(&reason.chars().count()) {
                return Err(AppError::invalid("reason", "is required: 4..200 characters").into());
            }
            ("staff", reason.to_owned())
        };
        let reply = self
            .mutate(&request, &tenant, "EraseUser", {
                let tenant = tenant.clone();
                move |app, txn| {
                    Box::pin(async move {
                        let erasure = Erasure {
                            tenant: &tenant,
                            user_id: &t.user_id,
                            requested_by,
                            actor: &t.actor,
                            reason: &reason,
                        };
                        let erased = app.erase_user(txn, erasure).await?;
                        Ok(pb::EraseUserResponse {
                            user_id: erased.user_id,
                            erase_time: Some(timestamp(erased.erased_at)),
                        })
                    })
                }
            })
            .await?;
        Ok(Response::new(reply))
    }

    /// The consumer's confirmation: an OTP (purpose CONFIRM) to the bound phone, or — with no
    /// phone bound — a fresh wx.login() code of the session's mini-program.
    async fn confirm_erasure(
        &self,
        caller: &Caller,
        tenant: &str,
        user_id: &str,
        req: &pb::EraseUserRequest,
    ) -> Result<(), Status> {
        let view = self.app.user_view(tenant, user_id).await?;
        if view.user.status == "ERASED" {
            // Nothing left to confirm against; the erasure answers its first outcome.
            return Ok(());
        }
        match view.user.phone.as_deref() {
            Some(phone) => {
                if req.otp.len() != 6 || !req.otp.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(AppError::invalid(
                        "otp",
                        "the 6-digit CONFIRM code sent to the bound phone is required",
                    )
                    .into());
                }
                Ok(self
                    .app
                    .confirm_erasure_otp(tenant, phone, &req.otp)
                    .await?)
            }
            None => {
                if req.wechat_code.trim().is_empty() {
                    return Err(AppError::invalid(
                        "wechat_code",
                        "a fresh wx.login() code is required when no phone is bound",
                    )
                    .into());
                }
                let app_id = self.session_app(caller).await?;
                Ok(self
                    .app
                    .confirm_erasure_wechat(tenant, user_id, &app_id, req.wechat_code.trim())
                    .await?)
            }
        }
    }
}
