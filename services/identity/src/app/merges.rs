//! Merges of two users who turn out to be one person: the shared merge, the merge a phone
//! binding causes, the staff merge, the reversal of a merge, and the merge history of a user.

pub mod history;
pub mod merge;
pub mod phone_merge;
pub mod reversal;
pub mod staff_merge;
