//! Storage of merges: merge records and the identity moves of a merge, and their reversal.

pub mod records;
pub mod reversals;

crate::repo::text_enum! {
    /// Why two users were merged.
    pub enum MergeReason {
        /// Binding a phone number another user held (the binder's accounts are one person).
        PhoneBind = "phone_bind",
        /// Customer service merged them (MergeUsers).
        Staff = "staff",
    }
}
