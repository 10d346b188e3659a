//! `siyu.payments.v1.WechatPayNotifyService`: dispatches to [`super::payments::notify`].

use siyu_proto::payments::v1 as pb;
use siyu_proto::payments::v1::wechat_pay_notify_service_server::WechatPayNotifyService;
use tonic::Request;

use super::payments::notify;
use super::{Handlers, R};

#[tonic::async_trait]
impl WechatPayNotifyService for Handlers {
    async fn handle_wechat_pay_notification(
        &self,
        request: Request<pb::HandleWechatPayNotificationRequest>,
    ) -> R<pb::HandleWechatPayNotificationResponse> {
        notify::handle(self, request).await
    }
}
