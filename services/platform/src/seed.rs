//! The demo tenant, seeded through the services' own gRPC contracts (never their databases):
//! a mini-program app in the sandbox, the tenant and its admin, the store tree, a guide, a
//! partner client, locations, a catalog with stock, a membership programme, and a WeChat Pay
//! merchant in the sandbox.
//!
//! Each step is recorded in [`SeedRecord`] once it succeeds; a step whose RPCs a service does
//! not implement yet (`UNIMPLEMENTED`) stays pending and is tried again on the next start, so
//! the demo grows with the services without re-seeding what exists.
//!
//! A service seeds through the [`Seed`] of its registry entry; `siyu dev` runs them in start
//! order ([`crate::registry::SERVICES`]).

pub mod catalog;
pub mod content;
pub mod data;
pub mod identity;
pub mod membership;
pub mod orders;
mod seeding;

use std::collections::BTreeMap;

use anyhow::Context as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tonic::transport::Channel;

pub use seeding::{Seed, Seeding};

/// The tenant code of the demo tenant.
pub const DEMO_TENANT: &str = "demo";
/// Login name of the demo tenant's admin.
pub const DEMO_ADMIN: &str = "admin";
/// Login name of the demo guide.
pub const DEMO_GUIDE: &str = "guide";
/// Scopes of the demo partner client.
pub const PARTNER_SCOPES: &[&str] = &["catalog.read", "inventory.write"];

/// What has been seeded, persisted as JSON in the data directory.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedRecord {
    /// The sandbox app of the mini-program (the sandbox forgets it on restart, so it is
    /// registered again from here on every start).
    pub app: Option<AppSeed>,
    /// The demo tenant and its admin.
    pub tenant: Option<TenantSeed>,
    /// HQ → regions → stores in identity's org tree.
    pub org: Option<OrgSeed>,
    /// The demo guide.
    pub guide: Option<StaffSeed>,
    /// The demo partner client.
    pub partner: Option<PartnerSeed>,
    /// Catalog locations (stores and the warehouse).
    pub locations: Option<LocationsSeed>,
    /// Categories, products, SKUs and stock.
    pub products: Option<ProductsSeed>,
    /// What the other services seeded, one top-level key each ([`SeedRecord::get`]). Identity
    /// and catalog keep their typed fields above, which `seed.json` files already hold.
    #[serde(flatten)]
    pub services: BTreeMap<String, serde_json::Value>,
}

impl SeedRecord {
    /// What was recorded under `key` (`None` when nothing was, or it no longer parses as a `T`,
    /// so it is seeded again).
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let value = self.services.get(key)?;
        match serde_json::from_value(value.clone()) {
            Ok(seeded) => Some(seeded),
            Err(err) => {
                tracing::warn!(key, error = %err, "an unreadable seed record is seeded again");
                None
            }
        }
    }

    /// Records `seeded` under `key`.
    pub fn put<T: Serialize>(&mut self, key: &str, seeded: &T) -> anyhow::Result<()> {
        let value = serde_json::to_value(seeded).with_context(|| format!("recording {key}"))?;
        self.services.insert(key.to_owned(), value);
        Ok(())
    }
}

/// A mini-program registered in the sandbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppSeed {
    /// `wx…` app id.
    pub app_id: String,
    /// Its secret (a local demo's only).
    pub app_secret: String,
}

/// The demo tenant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantSeed {
    /// Tenant id.
    pub tenant_id: String,
    /// Tenant code (typed at staff login).
    pub code: String,
    /// The HQ org unit created with the tenant.
    pub root_org_unit_id: String,
    /// The tenant admin.
    pub admin: Credentials,
}

/// A staff login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    /// Login name.
    pub login: String,
    /// Password (generated; a local demo's only).
    pub password: String,
}

/// One seeded org unit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnitSeed {
    /// Org unit id (also the store's catalog location id).
    pub id: String,
    /// Display name.
    pub name: String,
    /// `root/…/id`, the org path catalog checks staff roles against.
    pub org_path: String,
}

/// The store tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrgSeed {
    /// Regions.
    pub regions: Vec<UnitSeed>,
    /// Stores, in [`data::REGIONS`] order.
    pub stores: Vec<UnitSeed>,
}

/// A staff member.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffSeed {
    /// Staff id.
    pub staff_id: String,
    /// Login.
    pub credentials: Credentials,
    /// The store they work at.
    pub store_id: String,
}

/// A partner client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartnerSeed {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret` (shown once by identity; a local demo's only).
    pub client_secret: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

/// Catalog locations.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocationsSeed {
    /// Store locations, keyed by the org tree's store ids when it was seeded.
    pub stores: Vec<UnitSeed>,
    /// The warehouse.
    pub warehouse: UnitSeed,
    /// True when identity had no org tree yet and the store ids were generated here.
    pub synthetic_store_ids: bool,
}

/// The demo catalog.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductsSeed {
    /// Category ids.
    pub categories: Vec<String>,
    /// Product ids (published).
    pub products: Vec<String>,
    /// How many SKUs.
    pub skus: usize,
    /// One product, for the printed examples.
    pub example_product_id: String,
}

/// Outcome of one seeding step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Seeded now or on an earlier start.
    Done,
    /// Not seeded; the reason says which RPC is missing or what failed. Retried next start.
    Pending(String),
}

/// What one pass of seeding achieved, for the start-up report.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    /// (step name, outcome), in order.
    pub steps: Vec<(&'static str, Step)>,
}

impl SeedReport {
    /// Records a step.
    pub fn push(&mut self, name: &'static str, step: Step) {
        self.steps.push((name, step));
    }

    /// The pending steps with their reasons.
    pub fn pending(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.steps.iter().filter_map(|(name, step)| match step {
            Step::Pending(why) => Some((*name, why.as_str())),
            Step::Done => None,
        })
    }
}

/// Turns an RPC failure of an optional step into a pending reason: `UNIMPLEMENTED` means the
/// service does not have it yet; anything else is reported with its code and message.
pub fn pending_reason(what: &str, status: &tonic::Status) -> String {
    if status.code() == tonic::Code::Unimplemented {
        format!("{what} is not implemented by the service yet")
    } else {
        format!("{what} failed: {:?} {}", status.code(), status.message())
    }
}

/// A request carrying a bearer token and, for mutations, an idempotency key (so a step
/// retried after a partial failure replays instead of duplicating, where the service keeps
/// idempotency records).
pub fn authed<T>(message: T, token: &str, key: Option<&str>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Ok(value) = format!("Bearer {token}").parse() {
        request.metadata_mut().insert("authorization", value);
    }
    if let Some(value) = key.and_then(|k| k.parse().ok()) {
        request.metadata_mut().insert("x-idempotency-key", value);
    }
    request
}

/// A lazily connected channel to `url`.
pub fn channel(url: &str) -> anyhow::Result<Channel> {
    Ok(Channel::from_shared(url.to_owned())?.connect_lazy())
}
