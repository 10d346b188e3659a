//! Storage of personal data rights: consent records, data exports, the facts an export
//! document gathers, and erasure.

pub mod consents;
pub mod erasure;
pub mod exports;
pub mod personal_data;
