//! Storage of the org tree: units and the tree operations over their materialized paths.

pub mod tree;
pub mod units;
