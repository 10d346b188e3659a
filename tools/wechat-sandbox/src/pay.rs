//! WeChat Pay API v3 (direct merchant, JSAPI): prepay, query, close, refunds, trade bill,
//! platform certificates, signed answers and AES-GCM encrypted callbacks.
//!
//! Same shape as `login`: a state struct, protocol `routes()` at the paths
//! `api.mch.weixin.qq.com` serves, and `control::routes()` under `/sandbox/pay`.

pub mod control;
pub mod keys;
pub mod notify;

mod auth;
mod bill;
mod certificates;
mod crypto;
mod merchants;
mod orders;
mod refunds;
mod transactions;
mod wire;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::routing::{get, post};
use chrono::Duration;

use self::auth::Caller;
use self::bill::BillFile;
use self::keys::PlatformKeys;
use self::merchants::Merchant;
use self::notify::{Notifications, Notifier};
use self::orders::Order;
use self::refunds::RefundRecord;
use self::wire::AnswerSigning;
use crate::clock::SandboxClock;
use crate::random::Random;
use crate::state::AppState;

/// Lifetimes and pacing of the payment half.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PayTimings {
    /// A prepay_id works for 2 hours.
    pub(crate) prepay_ttl: Duration,
    /// Without `time_expire`, an order can be paid for 7 days.
    pub(crate) order_ttl: Duration,
    /// Real milliseconds per second of WeChat's callback retry schedule (1000 = real time).
    pub(crate) retry_millis_per_sec: u64,
}

/// Everything the payment half keeps, behind one lock that is never held across an await.
#[derive(Debug)]
pub(crate) struct PayWorld {
    pub(crate) merchants: HashMap<String, Merchant>,
    pub(crate) platform: PlatformKeys,
    /// By (mchid, out_trade_no).
    pub(crate) orders: HashMap<(String, String), Order>,
    /// prepay_id → (mchid, out_trade_no).
    pub(crate) prepays: HashMap<String, (String, String)>,
    /// transaction_id → (mchid, out_trade_no).
    pub(crate) transactions: HashMap<String, (String, String)>,
    /// By (mchid, out_refund_no).
    pub(crate) refunds: HashMap<(String, String), RefundRecord>,
    /// Bill download tokens.
    pub(crate) bills: HashMap<String, BillFile>,
    pub(crate) notifications: Notifications,
}

/// The payment module's state.
#[derive(Debug)]
pub(crate) struct PayState {
    world: Mutex<PayWorld>,
    pub(crate) notifier: Notifier,
    pub(crate) timings: PayTimings,
}

impl PayState {
    pub(crate) fn new(timings: PayTimings) -> Result<Self, String> {
        Ok(Self {
            world: Mutex::new(PayWorld {
                merchants: HashMap::new(),
                platform: PlatformKeys::shipped()?,
                orders: HashMap::new(),
                prepays: HashMap::new(),
                transactions: HashMap::new(),
                refunds: HashMap::new(),
                bills: HashMap::new(),
                notifications: Notifications::default(),
            }),
            notifier: Notifier::new(),
            timings,
        })
    }

    /// The world, locked.
    pub(crate) fn world(&self) -> MutexGuard<'_, PayWorld> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn merchant(&self, mchid: &str) -> Option<Merchant> {
        self.world().merchants.get(mchid).cloned()
    }

    /// How the next answer to `caller` is signed (consumes one pending probe).
    pub(crate) fn answer_signing(
        &self,
        caller: &Caller,
        clock: &SandboxClock,
        random: &Random,
    ) -> AnswerSigning {
        let mut world = self.world();
        let choice = world
            .platform
            .for_answer(caller.wechatpay_serial.as_deref(), clock.now());
        let probe = match world.merchants.get_mut(&caller.merchant.mchid) {
            Some(m) if m.probe_answers > 0 => {
                m.probe_answers -= 1;
                true
            }
            _ => false,
        };
        AnswerSigning {
            choice,
            timestamp: clock.now().timestamp(),
            nonce: random.alphanumeric(32),
            request_id: request_id(clock, random),
            probe,
        }
    }
}

/// A `Request-ID` shaped like WeChat Pay's: hex time, random part, trailing numeric code.
pub(crate) fn request_id(clock: &SandboxClock, random: &Random) -> String {
    format!(
        "{:08X}{}-0",
        clock.now().timestamp(),
        random.hex(24).to_ascii_uppercase()
    )
}

/// The WeChat Pay routes, at the paths `api.mch.weixin.qq.com` serves them.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/pay/transactions/jsapi", post(transactions::jsapi))
        .route(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}",
            get(transactions::query_by_out_trade_no),
        )
        .route(
            "/v3/pay/transactions/id/{transaction_id}",
            get(transactions::query_by_id),
        )
        .route(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}/close",
            post(transactions::close),
        )
        .route("/v3/refund/domestic/refunds", post(refunds::create))
        .route(
            "/v3/refund/domestic/refunds/{out_refund_no}",
            get(refunds::query),
        )
        .route("/v3/bill/tradebill", get(bill::tradebill))
        .route("/v3/billdownload/file", get(bill::download))
        .route("/v3/certificates", get(certificates::list))
}
