//! Domain logic of orders and payments in plain Rust: no tonic, no sea-orm entity types.
//!
//! Who may call an RPC is the contract's business (the access layer admits or refuses each call
//! before a handler runs); what stays here depends on the data (whose cart or order it is, the
//! store a staff member acts on) and the business rules. Calls to catalog, membership and
//! identity go through [`crate::peers::Peers`]; local effects run inside the transaction the
//! handler's `Mutations::mutate` opened, so an order, its payment, its timeline, its outbox
//! events and its idempotency record commit or roll back together.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use siyu_core::Clock;

use crate::peers::Peers;

pub mod after_sales;
pub mod carts;
pub mod checkout;
pub mod jobs;
pub mod orders;
pub mod payments;
pub mod pricing;
pub mod reconciliation;
pub mod refunds;
pub mod settings;

/// The app layer's handles: the database, the clock and the peers.
#[derive(Debug, Clone)]
pub struct App {
    /// The orders database.
    pub db: DatabaseConnection,
    /// Source of "now".
    pub clock: Arc<dyn Clock>,
    /// Catalog, membership and identity over gRPC.
    pub peers: Arc<Peers>,
    /// The tenants' WeChat Pay merchants (credentials from identity).
    pub merchants: Arc<payments::merchant::Merchants>,
    /// A checkout still running this long (ms) died with its process: the jobs recover it.
    pub stale_checkout_ms: i64,
    /// The shared cache the per-caller limits count in (payment queries, wrong pickup codes);
    /// none: not limited (an app built bare, in tests).
    pub limits: Option<siyu_store::Cache>,
}

impl App {
    /// An app over `db` with `clock` and `peers`.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, peers: Arc<Peers>) -> Self {
        let directory = Arc::new(payments::merchant::IdentityDirectory::new(peers.clone()));
        let merchants = Arc::new(payments::merchant::Merchants::new(
            directory,
            crate::settings::WechatPaySettings::default(),
            clock.clone(),
        ));
        Self {
            db,
            clock,
            peers,
            merchants,
            stale_checkout_ms: 120_000,
            limits: None,
        }
    }

    /// The same app counting its limits in `cache`.
    pub fn with_limits(mut self, cache: siyu_store::Cache) -> Self {
        self.limits = Some(cache);
        self
    }

    /// The same app recovering checkouts running longer than `ms`.
    pub fn with_stale_checkout_ms(mut self, ms: i64) -> Self {
        self.stale_checkout_ms = ms;
        self
    }

    /// The same app with `merchants` (configured endpoints, another credential source).
    pub fn with_merchants(mut self, merchants: Arc<payments::merchant::Merchants>) -> Self {
        self.merchants = merchants;
        self
    }

    /// Now, in milliseconds since the epoch (how the schema stores compared timestamps).
    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }
}
