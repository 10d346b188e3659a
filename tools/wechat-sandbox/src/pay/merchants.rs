//! Merchants known to the sandbox: their request-signing key, APIv3 key, bound apps, and the
//! per-merchant behaviours a test has asked for (refund outcome, injected faults, probes).

use rsa::RsaPublicKey;

/// How refunds of a merchant end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefundOutcome {
    /// Settle at once with this status (`SUCCESS`, `ABNORMAL`, `CLOSED`).
    Settle(&'static str),
    /// Stay PROCESSING until a control call completes them.
    Hold,
}

/// A fault the next refund call answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RefundFault {
    pub(crate) code: &'static str,
    /// Whether the refund is created anyway (the answer is lost or misleading).
    pub(crate) accept: bool,
}

/// One merchant.
#[derive(Debug, Clone)]
pub(crate) struct Merchant {
    pub(crate) mchid: String,
    /// The merchant API certificate serial the Authorization header must name.
    pub(crate) serial_no: String,
    pub(crate) public_key: RsaPublicKey,
    /// The 32-character APIv3 key that encrypts callbacks and certificates.
    pub(crate) apiv3_key: String,
    /// Mini-program appids bound to this merchant.
    pub(crate) appids: Vec<String>,
    pub(crate) refund_outcome: RefundOutcome,
    pub(crate) refund_faults: Vec<RefundFault>,
    /// How many next answers get a probe signature.
    pub(crate) probe_answers: u32,
    /// Whether `close` on an unknown out_trade_no answers 404 (default: 204, as observed).
    pub(crate) close_unknown_is_404: bool,
}

impl Merchant {
    pub(crate) fn binds(&self, appid: &str) -> bool {
        self.appids.iter().any(|a| a == appid)
    }
}
