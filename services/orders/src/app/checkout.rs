//! Checkout: the saga that turns a quote into an order and starts its payment (see the
//! contract's `CheckoutService.Checkout`): the quote both price with ([`quote`]; top-up and
//! paid plans in [`plans`]), the saga ([`saga`]), its record per idempotency key ([`record`])
//! and the calls that take and give back stock, coupons, points and stored value ([`remote`]).

pub mod pay;
pub mod plans;
pub mod quote;
pub mod record;
pub mod recovery;
pub mod remote;
pub mod saga;
