//! PartnerService: RotatePartnerClientSecret.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::partners::input::required_id;
use crate::grpc::partners::partner_view;
use crate::grpc::sealed::{open, seal};
use crate::grpc::{Caller, PartnerApi, owned_actor};

impl PartnerApi {
    /// RotatePartnerClientSecret: the new secret is in the reply once (sealed in the stored reply).
    pub(super) async fn rotate_partner_client_secret_rpc(
        &self,
        request: Request<pb::RotatePartnerClientSecretRequest>,
    ) -> Result<pb::RotatePartnerClientSecretResponse, Status> {
        let caller = Caller::of(&request)?;
        self.admin(&caller).await?;
        let req = request.get_ref();
        let id = required_id(&req.client_id, "client_id")?;
        if !(0..=604_800).contains(&req.previous_secret_grace_seconds) {
            return Err(
                AppError::invalid("previous_secret_grace_seconds", "must be 0..604800").into(),
            );
        }
        let grace = i64::from(req.previous_secret_grace_seconds);
        let (tenant, actor) = (caller.tenant(), owned_actor(&caller));
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "RotatePartnerClientSecret",
                move |app, txn| {
                    Box::pin(async move {
                        let (row, secret) = app
                            .rotate_partner_secret(txn, &tenant, (&actor.0, &actor.1), &id, grace)
                            .await?;
                        Ok(pb::RotatePartnerClientSecretResponse {
                            client: Some(partner_view(&row)),
                            client_secret: seal(&app, &secret)?,
                        })
                    })
                },
            )
            .await?;
        Ok(pb::RotatePartnerClientSecretResponse {
            client_secret: open(self, &reply.client_secret)?,
            ..reply
        })
    }
}
