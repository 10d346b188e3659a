//! After-sales (售后): refund-only and return-and-refund cases on paid orders, by line and
//! quantity.
//!
//! - [`model`]: a case, its lines, its status machine;
//! - [`split`]: what a case refunds per line (exact pro rata, the remainder on the last unit);
//! - [`open`]: PreviewAfterSale and RequestAfterSale (automatic approval before shipment);
//! - [`decide`]: approval, rejection, withdrawal, the return parcel and its receipt;
//! - [`purchase`]: top-up and paid-plan orders, taken back at membership before the money.
//!
//! Units in open cases count against their line through a guarded update of
//! `ord_order_lines.in_after_sale_quantity`, under the order's row lock, so two concurrent cases
//! can never both take the last unit.

pub mod decide;
pub mod error;
pub mod model;
pub mod open;
pub mod purchase;
pub mod split;

pub use error::AfterSaleError;
