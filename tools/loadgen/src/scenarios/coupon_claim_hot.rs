//! `coupon-claim-hot`: consumers claim from ONE published template (满100减20) with a total
//! quota — the campaign-page rush on a single template row that every claim locks to check the
//! quota against committed counts. Claimers are `--members` enrolled members taken round-robin
//! (the template has no per-member limit, so the quota is the only bound). A refusal with
//! COUPON_QUOTA_EXHAUSTED is a completed attempt like a success; the check is the no-overissue
//! one: exactly min(quota, attempts) coupons exist and the template counts them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, bail, ensure};
use async_trait::async_trait;
use siyu_proto::common::v1::Money;
use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::coupon_service_client::CouponServiceClient;
use tonic::transport::Channel;
use tonic_types::StatusExt as _;

use crate::membership::{MembershipFixture, SeededMember};
use crate::options::{OptionSpec, ScenarioOptions};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};
use crate::service::{DATABASE_URL, POOL_SIZE, SERVER_THREADS, ServiceOptions};
use crate::tokens::bearer;

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "coupon-claim-hot",
    description: "ClaimCoupon on ONE template with a total quota (in-process membership): attempts/s, exact issued count",
    reference: Some("pg-insert"),
    options: &[
        DATABASE_URL,
        POOL_SIZE,
        SERVER_THREADS,
        OptionSpec {
            name: "quota",
            help: "the template's total quota (the contract's limit is 2^31-1)",
            default: Some("1000000"),
        },
        OptionSpec {
            name: "members",
            help: "members enrolled in setup, claiming round-robin",
            default: Some("200"),
        },
    ],
    build,
};

struct CouponClaimHot {
    service: ServiceOptions,
    quota: i32,
    members: usize,
    fixture: Option<MembershipFixture>,
    state: Option<Arc<State>>,
}

struct State {
    template_id: String,
    members: Vec<SeededMember>,
    next: AtomicU64,
    issued: AtomicU64,
    refused: AtomicU64,
}

struct ClaimWorker {
    client: CouponServiceClient<Channel>,
    state: Arc<State>,
}

fn build(options: &ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>> {
    let quota = options.parse_or("quota", 1_000_000i32)?;
    ensure!(quota >= 1, "--quota must be at least 1");
    let members = options.parse_or("members", 200usize)?;
    ensure!(
        (1..=100_000).contains(&members),
        "--members must be within 1..=100000"
    );
    Ok(Box::new(CouponClaimHot {
        service: ServiceOptions::parse(options)?,
        quota,
        members,
        fixture: None,
        state: None,
    }))
}

fn cny(fen: i64) -> Option<Money> {
    Some(Money {
        currency_code: "CNY".to_owned(),
        minor_units: fen,
    })
}

/// 满100减20, valid 30 days from claim, claimable, with `quota` and no per-member limit.
fn template(quota: i32) -> pb::CouponTemplate {
    pb::CouponTemplate {
        name: "loadgen 满100减20".into(),
        rule: Some(pb::CouponRule {
            kind: pb::CouponKind::AmountOff as i32,
            threshold: cny(10_000),
            amount_off: cny(2_000),
            stacking: pb::CouponStacking::AcrossKinds as i32,
            scope: Some(pb::CouponScope {
                all_goods: true,
                online: true,
                in_store: true,
                ..Default::default()
            }),
            ..Default::default()
        }),
        validity: Some(pb::CouponValidity {
            kind: pb::CouponValidityKind::Relative as i32,
            valid_days: 30,
            ..Default::default()
        }),
        total_quota: quota,
        per_member_limit: 0,
        claimable: true,
        ..Default::default()
    }
}

/// Creates and publishes the template as the tenant admin; answers its id.
async fn published(fixture: &MembershipFixture, quota: i32) -> anyhow::Result<String> {
    let mut client = CouponServiceClient::new(fixture.channel.clone());
    let request = pb::CreateCouponTemplateRequest {
        template: Some(template(quota)),
    };
    let id = client
        .create_coupon_template(bearer(request, &fixture.admin_token)?)
        .await
        .context("CreateCouponTemplate")?
        .into_inner()
        .template
        .context("CreateCouponTemplate answered no template")?
        .template_id;
    let request = pb::PublishCouponTemplateRequest {
        template_id: id.clone(),
    };
    client
        .publish_coupon_template(bearer(request, &fixture.admin_token)?)
        .await
        .context("PublishCouponTemplate")?;
    Ok(id)
}

#[async_trait]
impl Scenario for CouponClaimHot {
    async fn setup(&mut self, ctx: &SetupContext) -> anyhow::Result<()> {
        let config = self.service.config(ctx.concurrency)?;
        let fixture = self
            .fixture
            .insert(MembershipFixture::start(&config).await?);
        let template_id = published(fixture, self.quota).await?;
        let members = fixture.enroll(self.members).await?;
        self.state = Some(Arc::new(State {
            template_id,
            members,
            next: AtomicU64::new(0),
            issued: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }));
        Ok(())
    }

    async fn worker(&self, _index: usize) -> anyhow::Result<Box<dyn Worker>> {
        let (Some(fixture), Some(state)) = (&self.fixture, &self.state) else {
            bail!("setup did not run")
        };
        Ok(Box::new(ClaimWorker {
            client: CouponServiceClient::new(fixture.channel.clone()),
            state: Arc::clone(state),
        }))
    }

    async fn check(&self, outcome: &Outcome) -> anyhow::Result<Invariant> {
        let (Some(fixture), Some(state)) = (&self.fixture, &self.state) else {
            bail!("setup did not run")
        };
        let in_db = fixture
            .scalar("SELECT COUNT(*)::BIGINT FROM mem_coupons WHERE tenant = $1")
            .await?;
        let counted = fixture
            .scalar(
                "SELECT COALESCE(SUM(issued_count), 0)::BIGINT FROM mem_coupon_templates \
                 WHERE tenant = $1",
            )
            .await?;
        let issued = state.issued.load(Ordering::Relaxed);
        let refused = state.refused.load(Ordering::Relaxed);
        let attempts = outcome.ok_total;
        let expected = u64::try_from(self.quota)?.min(attempts);
        let holds = issued == expected
            && issued + refused == attempts
            && u64::try_from(in_db).ok() == Some(issued)
            && counted == in_db
            && outcome.errors_total == 0;
        Ok(Invariant::expect(
            holds,
            format!(
                "issued {issued} = min(quota {}, attempts {attempts}) = {expected}; refused \
                 {refused}; coupons in DB {in_db}, template's issued count {counted}; errors {}",
                self.quota, outcome.errors_total
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
impl Worker for ClaimWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        let state = &self.state;
        let i = usize::try_from(state.next.fetch_add(1, Ordering::Relaxed))?;
        let member = state
            .members
            .get(i % state.members.len())
            .context("member index")?;
        let request = pb::ClaimCouponRequest {
            template_id: state.template_id.clone(),
            attribution: None,
        };
        match self
            .client
            .claim_coupon(bearer(request, &member.token)?)
            .await
        {
            Ok(response) => {
                let coupon = response
                    .into_inner()
                    .coupon
                    .context("no coupon in the response")?;
                ensure!(
                    coupon.member_id == member.member_id,
                    "coupon issued to {} instead of {}",
                    coupon.member_id,
                    member.member_id
                );
                state.issued.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(status) if is_quota_exhausted(&status) => {
                state.refused.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(status) => Err(status.into()),
        }
    }
}

fn is_quota_exhausted(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::ResourceExhausted
        && status
            .get_details_error_info()
            .is_some_and(|info| info.reason == "COUPON_QUOTA_EXHAUSTED")
}
