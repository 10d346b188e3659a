//! Personal data rights on the wire (UserService): consents, data exports and erasure.

pub(super) mod consents;
pub(super) mod data_export;
pub(super) mod erasure;
