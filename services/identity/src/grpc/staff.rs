//! StaffService handlers.

use siyu_proto::identity::v1 as pb;

use super::StaffApi;

#[tonic::async_trait]
impl pb::staff_service_server::StaffService for StaffApi {}
