//! UserService handlers.

use siyu_proto::identity::v1 as pb;

use super::UserApi;

#[tonic::async_trait]
impl pb::user_service_server::UserService for UserApi {}
