//! WeChat Pay v3: the suite's client (`siyu-wechatpay`) against the emulator, end to end.

mod bill;
mod callbacks;
mod errors;
mod flow;
mod refunds;
mod rotation;
mod support;
mod tamper;
