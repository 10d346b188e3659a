//! HandleWechatPayNotification: the gateway's raw request into the app, the inbox record out.

use siyu_proto::payments::v1 as pb;
use tonic::{Request, Response};

use super::super::{Handlers, R, ctx};
use crate::app::payments::notify::RawNotification;

#[tracing::instrument(skip_all, fields(route_key = %request.get_ref().route_key))]
pub(in crate::grpc) async fn handle(
    h: &Handlers,
    request: Request<pb::HandleWechatPayNotificationRequest>,
) -> R<pb::HandleWechatPayNotificationResponse> {
    let caller = ctx(&request)?;
    let r = request.into_inner();
    let raw = RawNotification {
        route_key: r.route_key,
        timestamp: r.wechatpay_timestamp,
        nonce: r.wechatpay_nonce,
        signature: r.wechatpay_signature,
        serial: r.wechatpay_serial,
        signature_type: r.wechatpay_signature_type,
        body: r.body,
    };
    let (outcome, notification) = h.app.handle_wechat_pay_notification(&caller, raw).await?;
    Ok(Response::new(pb::HandleWechatPayNotificationResponse {
        outcome: outcome as i32,
        notification: Some((&notification).into()),
    }))
}
