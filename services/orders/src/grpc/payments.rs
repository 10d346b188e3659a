//! Handlers of `siyu.payments.v1`: the request decoding, the calls into `app::payments` and the
//! wire forms ([`convert`]); what a [`PaymentError`](crate::app::payments::PaymentError) tells a
//! caller is in [`error`].

pub mod attempts;
pub mod convert;
pub mod error;
pub mod notify;
