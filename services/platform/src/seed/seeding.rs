//! How a service's demo data plugs into `siyu dev`: a [`Seed`] on its registry entry, run in
//! start order with a [`Seeding`] that carries the record, the report and the handles every
//! step needs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use futures::future::BoxFuture;
use tonic::transport::Channel;
use wechat_sandbox::SandboxControl;

use super::{Credentials, SeedRecord, SeedReport, Step, channel};
use crate::dev::files;

/// A service's demo data, seeded through its gRPC contract.
pub trait Seed: Sync {
    /// Seeds what `seeding.record` does not have yet, saving the record after each step that
    /// changed it and reporting each step; an error stops `siyu dev` (for a step nothing else
    /// can go without, such as the tenant).
    fn seed<'a>(&'a self, seeding: &'a mut Seeding) -> BoxFuture<'a, anyhow::Result<()>>;

    /// `(label, value)` lines of the start-up report's demo section.
    fn summary(&self, _record: &SeedRecord) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// Lines of the report's "Try it" section, given the gateway's URL.
    fn examples(&self, _record: &SeedRecord, _gateway: &str) -> Vec<String> {
        Vec::new()
    }
}

/// One pass of seeding: what is seeded, what this pass did, and how to reach the suite.
#[derive(Debug)]
pub struct Seeding {
    /// What has been seeded (saved to the data directory by [`Seeding::save`]).
    pub record: SeedRecord,
    /// What this pass seeded or left pending.
    pub report: SeedReport,
    /// The sandbox's control API.
    pub sandbox: SandboxControl,
    /// The platform tenant's admin (creates tenants).
    pub platform: Credentials,
    /// The demo tenant admin's access token, once identity's seeding has logged them in.
    pub admin_token: Option<String>,
    services: BTreeMap<String, String>,
    path: PathBuf,
}

impl Seeding {
    /// Seeding `record` (saved at `path`) against the services at `services` (name → gRPC URL).
    pub fn new(
        record: SeedRecord,
        path: PathBuf,
        sandbox: SandboxControl,
        platform: Credentials,
        services: BTreeMap<String, String>,
    ) -> Self {
        Self {
            record,
            report: SeedReport::default(),
            sandbox,
            platform,
            admin_token: None,
            services,
            path,
        }
    }

    /// A lazily connected channel to `service`'s gRPC.
    pub fn channel(&self, service: &str) -> anyhow::Result<Channel> {
        match self.services.get(service) {
            Some(url) => channel(url),
            None => anyhow::bail!("no service {service} to seed"),
        }
    }

    /// Records a step's outcome for the report.
    pub fn step(&mut self, name: &'static str, step: Step) {
        self.report.push(name, step);
    }

    /// Writes the record (mode 0600), so a restart after a failure seeds nothing twice.
    pub fn save(&self) -> anyhow::Result<()> {
        files::write_private_json(&self.path, &self.record)
    }
}
