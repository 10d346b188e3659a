//! Storage of merges: merge records and the identity moves of a merge, and their reversal.

pub mod records;
pub mod reversals;
