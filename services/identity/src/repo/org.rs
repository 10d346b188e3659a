//! Storage of the org tree: units and the tree operations over their materialized paths.

pub mod tree;
pub mod units;

crate::repo::text_enum! {
    /// What an org unit is in the tree.
    pub enum OrgUnitType {
        /// The root (总部), one per tenant.
        Hq = "HQ",
        /// A region (大区) under the root or another region.
        Region = "REGION",
        /// A store (门店) under the root or a region.
        Store = "STORE",
        /// A department (部门) anywhere above stores.
        Department = "DEPARTMENT",
    }
}

crate::repo::text_enum! {
    /// Whether an org unit is in use.
    pub enum OrgUnitStatus {
        /// In use.
        Active = "ACTIVE",
        /// Disabled: no new children, hidden from consumers.
        Disabled = "DISABLED",
    }
}
