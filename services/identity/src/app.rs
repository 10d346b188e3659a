//! Domain logic of identity in plain Rust: no tonic, no SQL (that lives in `repo`).

pub mod audit;
pub mod consumers;
pub mod merges;
pub mod org;
pub mod partners;
pub mod privacy;
pub mod staff;
pub mod tenancy;
pub mod tokens;

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use siyu_core::{Clock, PrincipalKind};
use siyu_store::Cache;

use crate::app::tokens::key_ring::KeyRing;
use crate::crypto::{PasswordHashing, Sealer};
use crate::settings::Settings;
use crate::wechat::WeChatClient;

/// Role names (StaffRole values, as tokens carry them) for identity's few rules about one role:
/// what a store manager may not do, what a guide sees, who sees a phone, who administers whose
/// sessions, the platform. Who may call a method is never decided with these but with the
/// method's own roles (`siyu.api.v1.access`, `Ctx::admitted_roles`).
pub mod role {
    /// Administers the tenant within the subtree of the grant; on the platform tenant's root,
    /// the platform.
    pub const TENANT_ADMIN: &str = "tenant_admin";
    /// Runs stores and administers their guides only.
    pub const STORE_MANAGER: &str = "store_manager";
    /// Sells in a store, with guide codes of their own.
    pub const GUIDE: &str = "guide";
    /// Serves consumers tenant-wide (consumers belong to no org unit).
    pub const CUSTOMER_SERVICE: &str = "customer_service";
}

/// Everything the domain operations need.
#[derive(Debug, Clone)]
pub struct App {
    /// Identity's database.
    pub db: DatabaseConnection,
    /// Time seam.
    pub clock: Arc<dyn Clock>,
    /// Signing and verification keys.
    pub keys: Arc<KeyRing>,
    /// Seals app secrets at rest.
    pub sealer: Sealer,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Login challenges.
    pub cache: Cache,
    /// WeChat API client.
    pub wechat: WeChatClient,
    /// Staff password hashing.
    pub hashing: PasswordHashing,
    /// Delivers phone OTPs (the SMS seam).
    pub otp_sender: Arc<dyn crate::otp::OtpSender>,
}

/// Who is calling from where (from gateway-supplied metadata), for sessions and audit.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// `x-client-ip`.
    pub ip: String,
    /// `user-agent`, truncated to 256 chars.
    pub user_agent: String,
}

impl ClientInfo {
    /// The IP with the last IPv4 octet (or the IPv6 tail) masked.
    pub fn ip_masked(&self) -> String {
        if let Some((head, _)) = self.ip.rsplit_once('.') {
            format!("{head}.*")
        } else if let Some((head, _)) = self.ip.split_once("::") {
            format!("{head}::*")
        } else if self.ip.contains(':') {
            let parts: Vec<&str> = self.ip.split(':').take(3).collect();
            format!("{}:*", parts.join(":"))
        } else {
            String::new()
        }
    }
}

/// Who acts, for audit entries: (kind, id), and whether it is staff acting for a consumer.
#[derive(Debug, Clone)]
pub struct Actor {
    /// consumer, staff, partner, service.
    pub kind: String,
    /// Its id.
    pub id: String,
}

impl Actor {
    /// (kind, id), as session revocation audits it.
    pub fn pair(&self) -> (&str, &str) {
        (&self.kind, &self.id)
    }
}

/// The wire name of a principal kind.
pub fn kind_name(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::Consumer => "consumer",
        PrincipalKind::Staff => "staff",
        PrincipalKind::Partner => "partner",
        PrincipalKind::Service => "service",
    }
}
