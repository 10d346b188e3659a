//! Domain types: what the catalog (categories, products, SKUs) and inventory (locations, stock,
//! reservations, transfers) are made of. Enum discriminants equal the proto enum numbers and
//! the stored values, so the three never drift apart.

mod catalog;
mod inventory;

pub use catalog::*;
pub use inventory::*;
