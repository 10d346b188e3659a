//! Personal data rights on the wire (UserService): consents, data exports and erasure.

mod consents;
mod data_export;
mod erasure;

use tonic::Status;

use crate::grpc::{Caller, UserApi};

impl UserApi {
    /// The app of the caller's session ('' without one).
    async fn session_app(&self, caller: &Caller) -> Result<String, Status> {
        Ok(match caller.sid.as_deref() {
            Some(sid) => self.app.session(sid).await?.map(|s| s.app_id),
            None => None,
        }
        .unwrap_or_default())
    }
}
