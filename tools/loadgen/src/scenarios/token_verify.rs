//! `token-verify`: in-process verification of EdDSA access tokens against a static JWKS and
//! the `Ctx` they grant — what every authenticated RPC of every service pays. CPU-bound and
//! without a comparable reference: report it per core (`--concurrency 1`, `--concurrency 2`,
//! each divided by the cores it used).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, bail, ensure};
use async_trait::async_trait;
use siyu_auth::{JwksVerifier, SigningKey, VerifierSettings};
use siyu_core::{PrincipalKind, TenantId};
use uuid::Uuid;

use crate::options::{OptionSpec, ScenarioOptions};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};
use crate::tokens::{AUDIENCE, ISSUER, mint};

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "token-verify",
    description: "EdDSA access-token verification + Ctx, in-process, static JWKS (report per core)",
    reference: None,
    options: &[OptionSpec {
        name: "tokens",
        help: "distinct tokens (tenants cycle through consumer, staff and service kinds)",
        default: Some("1000"),
    }],
    build,
};

const MAX_TOKENS: usize = 1_000_000;

struct TokenVerify {
    tokens: usize,
    shared: Option<Arc<Shared>>,
}

/// What every worker reads, and the tallies the check compares with the runner's.
struct Shared {
    verifier: JwksVerifier,
    pool: Vec<(String, TenantId)>,
    verified: AtomicU64,
    mismatched: AtomicU64,
}

struct VerifyWorker {
    shared: Arc<Shared>,
    next: usize,
}

fn build(options: &ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>> {
    let tokens = options.parse_or("tokens", 1000usize)?;
    ensure!(
        (1..=MAX_TOKENS).contains(&tokens),
        "--tokens must be within 1..={MAX_TOKENS}"
    );
    Ok(Box::new(TokenVerify {
        tokens,
        shared: None,
    }))
}

#[async_trait]
impl Scenario for TokenVerify {
    async fn setup(&mut self, _ctx: &SetupContext) -> anyhow::Result<()> {
        let key = SigningKey::ed25519_from_seed("loadgen", &[42u8; 32])?;
        // The catalog's default settings: the same issuer and audience checks as a service.
        let verifier = JwksVerifier::from_static_jwks(
            VerifierSettings::new(ISSUER, AUDIENCE),
            &SigningKey::jwks([&key]),
            siyu_core::clock::system(),
        )?;
        let kinds = [
            PrincipalKind::Consumer,
            PrincipalKind::Staff,
            PrincipalKind::Service,
        ];
        let mut pool = Vec::with_capacity(self.tokens);
        for i in 0..self.tokens {
            let tenant = TenantId(Uuid::now_v7());
            let kind = kinds[i % kinds.len()];
            let root = (kind == PrincipalKind::Staff).then(Uuid::now_v7);
            pool.push((mint(&key, tenant, kind, root)?, tenant));
        }
        self.shared = Some(Arc::new(Shared {
            verifier,
            pool,
            verified: AtomicU64::new(0),
            mismatched: AtomicU64::new(0),
        }));
        Ok(())
    }

    async fn worker(&self, index: usize) -> anyhow::Result<Box<dyn Worker>> {
        let Some(shared) = &self.shared else {
            bail!("setup did not run")
        };
        // Workers start spread over the pool so they do not verify the same token in step.
        let start = index.wrapping_mul(7919) % shared.pool.len();
        Ok(Box::new(VerifyWorker {
            shared: Arc::clone(shared),
            next: start,
        }))
    }

    async fn check(&self, outcome: &Outcome) -> anyhow::Result<Invariant> {
        let Some(shared) = &self.shared else {
            bail!("setup did not run")
        };
        let verified = shared.verified.load(Ordering::Relaxed);
        let mismatched = shared.mismatched.load(Ordering::Relaxed);
        let (ok, errors) = (outcome.ok_total, outcome.errors_total);
        Ok(Invariant::expect(
            verified == ok && errors == 0 && mismatched == 0,
            format!(
                "verified with matching tenant {verified} = ok ops {ok}; \
                 failed verifications {errors}, tenant mismatches {mismatched}"
            ),
        ))
    }

    async fn teardown(&mut self) -> anyhow::Result<()> {
        self.shared = None;
        Ok(())
    }
}

#[async_trait]
impl Worker for VerifyWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        // Verification never awaits (the key set is cached): yield once so that, with more
        // workers than threads, every worker gets turns and latency includes the queueing.
        tokio::task::yield_now().await;
        let shared = &self.shared;
        let (token, tenant) = shared
            .pool
            .get(self.next)
            .context("token index out of range")?;
        self.next = (self.next + 1) % shared.pool.len();
        let ctx = shared.verifier.verify_ctx(token).await?;
        if ctx.tenant != *tenant {
            shared.mismatched.fetch_add(1, Ordering::Relaxed);
            bail!(
                "ctx tenant {} is not the token's {}",
                ctx.tenant.0,
                tenant.0
            );
        }
        shared.verified.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
