//! PartnerService handlers.

use siyu_proto::identity::v1 as pb;

use super::PartnerApi;

#[tonic::async_trait]
impl pb::partner_service_server::PartnerService for PartnerApi {}
