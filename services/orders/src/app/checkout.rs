//! Checkout: the saga that turns a quote into an order and starts its payment (see the
//! contract's `CheckoutService.Checkout`): the record per idempotency key ([`record`]), the
//! calls that take and give back stock, coupons, points and stored value ([`remote`]).

pub mod record;
pub mod remote;
