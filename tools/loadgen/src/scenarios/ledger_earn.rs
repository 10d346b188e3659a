//! `ledger-earn`: LedgerService.EarnPoints over gRPC against the in-process membership service,
//! each op a new business key (`idempotency_key`) for a member taken round-robin from
//! `--members` enrolled ones. One earn is one balanced journal entry with its postings, a points
//! lot, the member's balance row and an outbox event, in one transaction behind the key's
//! uniqueness: the ledger's write path, reported against `pg-insert`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, bail, ensure};
use async_trait::async_trait;
use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::ledger_service_client::LedgerServiceClient;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::Channel;
use uuid::Uuid;

use crate::membership::MembershipFixture;
use crate::options::{OptionSpec, ScenarioOptions};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};
use crate::service::{DATABASE_URL, POOL_SIZE, SERVER_THREADS, ServiceOptions};

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "ledger-earn",
    description: "EarnPoints over gRPC with a new business key per op, members round-robin (in-process membership)",
    reference: Some("pg-insert"),
    options: &[
        DATABASE_URL,
        POOL_SIZE,
        SERVER_THREADS,
        OptionSpec {
            name: "members",
            help: "members enrolled in setup and credited round-robin",
            default: Some("1000"),
        },
    ],
    build,
};

/// Points per earn: varied so a lost or doubled entry shows in the sum.
const POINTS: [i64; 4] = [1, 10, 100, 7];

struct LedgerEarn {
    service: ServiceOptions,
    members: usize,
    fixture: Option<MembershipFixture>,
    state: Option<Arc<State>>,
}

/// Members, and what the clients were told was credited.
struct State {
    members: Vec<String>,
    next: AtomicU64,
    entries: AtomicU64,
    points: AtomicU64,
    token: AsciiMetadataValue,
}

struct EarnWorker {
    client: LedgerServiceClient<Channel>,
    state: Arc<State>,
}

fn build(options: &ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>> {
    let members = options.parse_or("members", 1000usize)?;
    ensure!(
        (1..=100_000).contains(&members),
        "--members must be within 1..=100000"
    );
    Ok(Box::new(LedgerEarn {
        service: ServiceOptions::parse(options)?,
        members,
        fixture: None,
        state: None,
    }))
}

#[async_trait]
impl Scenario for LedgerEarn {
    async fn setup(&mut self, ctx: &SetupContext) -> anyhow::Result<()> {
        let config = self.service.config(ctx.concurrency)?;
        let fixture = self
            .fixture
            .insert(MembershipFixture::start(&config).await?);
        let members = fixture.enroll(self.members).await?;
        let token = MetadataValue::try_from(format!("Bearer {}", fixture.service_token))?;
        self.state = Some(Arc::new(State {
            members: members.into_iter().map(|m| m.member_id).collect(),
            next: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            points: AtomicU64::new(0),
            token,
        }));
        Ok(())
    }

    async fn worker(&self, _index: usize) -> anyhow::Result<Box<dyn Worker>> {
        let (Some(fixture), Some(state)) = (&self.fixture, &self.state) else {
            bail!("setup did not run")
        };
        Ok(Box::new(EarnWorker {
            client: LedgerServiceClient::new(fixture.channel.clone()),
            state: Arc::clone(state),
        }))
    }

    async fn check(&self, _outcome: &Outcome) -> anyhow::Result<Invariant> {
        let (Some(fixture), Some(state)) = (&self.fixture, &self.state) else {
            bail!("setup did not run")
        };
        let entries = fixture
            // entry_type 1 is EARN.
            .scalar("SELECT COUNT(*)::BIGINT FROM mem_entries WHERE tenant = $1 AND entry_type = 1")
            .await?;
        let available = fixture
            .scalar(
                "SELECT COALESCE(SUM(points_available), 0)::BIGINT FROM mem_balances \
                 WHERE tenant = $1",
            )
            .await?;
        let unbalanced = fixture
            .scalar(
                // Accounts 1, 2, 11-13 are points; the others stored value.
                "SELECT COUNT(*)::BIGINT FROM (SELECT entry_id, account IN (1, 2, 11, 12, 13) \
                 AS points FROM mem_postings WHERE tenant = $1 GROUP BY entry_id, points \
                 HAVING SUM(amount) <> 0) u",
            )
            .await?;
        let (ok_entries, ok_points) = (
            state.entries.load(Ordering::Relaxed),
            state.points.load(Ordering::Relaxed),
        );
        Ok(Invariant::expect(
            u64::try_from(entries).ok() == Some(ok_entries)
                && u64::try_from(available).ok() == Some(ok_points)
                && unbalanced == 0,
            format!(
                "earn entries {entries} = ok earns {ok_entries}; points available {available} \
                 = points credited {ok_points}; unbalanced entries {unbalanced}"
            ),
        ))
    }

    async fn teardown(&mut self) -> anyhow::Result<()> {
        self.state = None;
        match self.fixture.take() {
            Some(fixture) => fixture.stop().await,
            None => Ok(()),
        }
    }
}

#[async_trait]
impl Worker for EarnWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        let state = &self.state;
        let n = state.next.fetch_add(1, Ordering::Relaxed);
        let i = usize::try_from(n)?;
        let member = state
            .members
            .get(i % state.members.len())
            .context("member index")?;
        let points = POINTS.get(i % POINTS.len()).copied().unwrap_or(1);
        let mut request = tonic::Request::new(pb::EarnPointsRequest {
            member_id: member.clone(),
            idempotency_key: format!("loadgen:{}", Uuid::now_v7().simple()),
            points,
            description: "loadgen".to_owned(),
            ..Default::default()
        });
        request
            .metadata_mut()
            .insert("authorization", state.token.clone());
        let response = self.client.earn_points(request).await?.into_inner();
        ensure!(
            response.points == points,
            "credited {} instead of {points}",
            response.points
        );
        state.entries.fetch_add(1, Ordering::Relaxed);
        state
            .points
            .fetch_add(u64::try_from(points)?, Ordering::Relaxed);
        Ok(())
    }
}
