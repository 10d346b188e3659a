//! Callbacks: the encrypted envelope, its signature, delivery with WeChat Pay's retry
//! schedule, and the test's levers (duplicates, delays, probes, holding for reordering).

use std::collections::{HashMap, HashSet};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::crypto;
use super::merchants::Merchant;
use super::wire::{AnswerSigning, beijing, signature_headers};
use crate::state::AppState;

/// WeChat Pay's retry schedule after a failed delivery, in seconds (15 retries, ~24 h).
const RETRY_SCHEDULE_SECS: [u64; 15] = [
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
];

/// How one callback is delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryOptions {
    /// Send two copies at once (same id, same content), as WeChat Pay does over two links.
    #[serde(default)]
    pub duplicate: bool,
    /// Sign the first attempt with a `WECHATPAY/SIGNTEST/` probe signature.
    #[serde(default)]
    pub probe: bool,
    /// Wait this long (real milliseconds) before the first attempt.
    #[serde(default)]
    pub delay_ms: u64,
}

/// A callback ready to send: the envelope is fixed, the signature is made per attempt.
#[derive(Debug, Clone)]
pub(crate) struct Notification {
    pub(crate) id: String,
    pub(crate) mchid: String,
    pub(crate) event_type: String,
    pub(crate) url: String,
    pub(crate) body: String,
    pub(crate) out_trade_no: String,
}

/// One delivery attempt, as the control API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    /// When it was sent, on the sandbox clock.
    pub at: DateTime<Utc>,
    /// Whether it carried a probe signature.
    pub probe: bool,
    /// The merchant's HTTP status, if it answered.
    pub status: Option<u16>,
    /// The transport error, if it did not.
    pub error: Option<String>,
}

/// A callback and what happened to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryView {
    /// The notification id (copies and resends share it).
    pub id: String,
    /// `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`, …
    pub event_type: String,
    /// The merchant order number it is about.
    pub out_trade_no: String,
    /// Where it goes.
    pub url: String,
    /// Every attempt of every copy, in order.
    pub attempts: Vec<Attempt>,
    /// Whether a correctly signed copy got a 2xx.
    pub acknowledged: bool,
    /// Whether the merchant answered 2xx to a probe: it does not verify signatures.
    pub probe_acknowledged: bool,
}

/// The callback log and the held queues.
#[derive(Debug, Default)]
pub(crate) struct Notifications {
    pub(crate) log: Vec<(Notification, DeliveryView)>,
    pub(crate) holding: HashSet<String>,
    pub(crate) held: HashMap<String, Vec<(Notification, DeliveryOptions)>>,
}

/// The HTTP client that calls merchants' notify URLs.
#[derive(Debug)]
pub(crate) struct Notifier {
    http: reqwest::Client,
}

impl Notifier {
    pub(crate) fn new() -> Self {
        // WeChat Pay gives the merchant 5 seconds to answer.
        let http = reqwest::Client::builder()
            .timeout(StdDuration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self { http }
    }
}

impl Notification {
    /// Encrypts `resource` with the merchant's APIv3 key into a callback envelope.
    #[expect(
        clippy::too_many_arguments,
        reason = "one callback has this many facts"
    )]
    pub(crate) fn build(
        state: &AppState,
        merchant: &Merchant,
        url: &str,
        event_type: &str,
        summary: &str,
        original_type: &str,
        resource: &Value,
        out_trade_no: &str,
    ) -> Self {
        let nonce = state.random.alphanumeric(12);
        let ciphertext = crypto::seal(
            merchant.apiv3_key.as_bytes(),
            &nonce,
            original_type,
            resource.to_string().as_bytes(),
        )
        .unwrap_or_default();
        let id = siyu_core::id::new_string();
        let body = json!({
            "id": id,
            "create_time": beijing(state.clock.now()),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": ciphertext,
                "associated_data": original_type,
                "nonce": nonce,
            },
        });
        Self {
            id,
            mchid: merchant.mchid.clone(),
            event_type: event_type.to_owned(),
            url: url.to_owned(),
            body: body.to_string(),
            out_trade_no: out_trade_no.to_owned(),
        }
    }
}

/// Logs the callback and delivers it in the background, or holds it if the test asked to.
pub(crate) fn dispatch(state: &AppState, notification: Notification, options: DeliveryOptions) {
    {
        let mut world = state.pay.world();
        let log = &mut world.notifications;
        if !log.log.iter().any(|(n, _)| n.id == notification.id) {
            log.log.push((
                notification.clone(),
                DeliveryView {
                    id: notification.id.clone(),
                    event_type: notification.event_type.clone(),
                    out_trade_no: notification.out_trade_no.clone(),
                    url: notification.url.clone(),
                    attempts: Vec::new(),
                    acknowledged: false,
                    probe_acknowledged: false,
                },
            ));
        }
        if log.holding.contains(&notification.mchid) {
            log.held
                .entry(notification.mchid.clone())
                .or_default()
                .push((notification, options));
            return;
        }
    }
    let state = state.clone();
    tokio::spawn(async move {
        if options.delay_ms > 0 {
            tokio::time::sleep(StdDuration::from_millis(options.delay_ms)).await;
        }
        let copies = if options.duplicate { 2 } else { 1 };
        let mut tasks = Vec::new();
        for _ in 0..copies {
            let (state, notification) = (state.clone(), notification.clone());
            tasks.push(tokio::spawn(async move {
                deliver(&state, &notification, options.probe).await;
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
    });
}

/// Delivers until a 2xx or the schedule is exhausted. A probe goes first when asked; a 4xx/5xx
/// to it is the right answer, and the correctly signed copy follows.
pub(crate) async fn deliver(state: &AppState, notification: &Notification, probe_first: bool) {
    let mut probe = probe_first;
    for round in 0..=RETRY_SCHEDULE_SECS.len() {
        let choice = state.pay.world().platform.for_callback(state.clock.now());
        let signing = AnswerSigning {
            choice,
            timestamp: state.clock.now().timestamp(),
            nonce: state.random.alphanumeric(32),
            request_id: super::request_id(&state.clock, &state.random),
            probe,
        };
        let headers = signature_headers(&signing, notification.body.as_bytes());
        let result = state
            .pay
            .notifier
            .http
            .post(&notification.url)
            .headers(headers)
            .header("content-type", "application/json")
            .body(notification.body.clone())
            .send()
            .await;
        let (status, error) = match result {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(error) => (None, Some(error.to_string())),
        };
        let success = status.is_some_and(|s| (200..300).contains(&s));
        record(state, notification, probe, status, error, success);
        if success {
            return;
        }
        probe = false;
        if let Some(wait) = RETRY_SCHEDULE_SECS.get(round) {
            let millis = wait.saturating_mul(state.pay.timings.retry_millis_per_sec);
            tokio::time::sleep(StdDuration::from_millis(millis)).await;
        }
    }
}

fn record(
    state: &AppState,
    notification: &Notification,
    probe: bool,
    status: Option<u16>,
    error: Option<String>,
    success: bool,
) {
    let at = state.clock.now();
    let mut world = state.pay.world();
    if let Some((_, view)) = world
        .notifications
        .log
        .iter_mut()
        .find(|(n, _)| n.id == notification.id)
    {
        view.attempts.push(Attempt {
            at,
            probe,
            status,
            error,
        });
        if success && probe {
            view.probe_acknowledged = true;
        } else if success {
            view.acknowledged = true;
        }
    }
}
