//! The services of `siyu.content.v1` not built yet: registered so that callers get the
//! contract's UNIMPLEMENTED (the generated default methods) rather than an unknown service.

use siyu_proto::content::v1::campaign_service_server::CampaignService;
use siyu_proto::content::v1::notification_service_server::NotificationService;
use siyu_proto::content::v1::subscription_service_server::SubscriptionService;
use siyu_proto::content::v1::template_service_server::TemplateService;

use super::Handlers;

#[tonic::async_trait]
impl TemplateService for Handlers {}

#[tonic::async_trait]
impl SubscriptionService for Handlers {}

#[tonic::async_trait]
impl NotificationService for Handlers {}

#[tonic::async_trait]
impl CampaignService for Handlers {}
