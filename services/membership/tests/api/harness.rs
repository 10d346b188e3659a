//! Spawns the service on port 0 against a fresh database, mints tokens, and checks the ledger
//! invariants straight from the tables.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, Statement, Value};
use siyu_auth::{Audience, Claims, RoleClaim, SigningKey};
use siyu_core::{Clock, ManualClock, PrincipalKind, TenantId};
use siyu_membership::settings::Settings;
use siyu_membership::{Application, Overrides};
use siyu_membership_migration::Migrator;
use siyu_proto::common::v1::Money;
use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::ledger_service_client::LedgerServiceClient;
use siyu_proto::membership::v1::member_service_client::MemberServiceClient;
use siyu_testkit::TestDb;
use tonic::transport::Channel;
use uuid::Uuid;

#[allow(dead_code, reason = "kept alive for the test")]
pub struct H {
    pub db: TestDb,
    pub app: Application,
    pub clock: ManualClock,
    key: SigningKey,
    pub channel: Channel,
}

impl H {
    pub async fn pg() -> Self {
        Self::start(TestDb::postgres::<Migrator>().await.unwrap()).await
    }

    pub async fn sqlite() -> Self {
        Self::start(TestDb::sqlite::<Migrator>().await.unwrap()).await
    }

    /// On Postgres with the background jobs running (outbox relay, tier evaluations).
    pub async fn pg_with_jobs() -> Self {
        Self::start_with(TestDb::postgres::<Migrator>().await.unwrap(), true, None).await
    }

    /// On Postgres with the jobs running and the real NATS bus under a per-test prefix; the
    /// bus is for the test to publish other services' events on.
    pub async fn pg_with_bus() -> (Self, siyu_store::Bus) {
        let (bus, config) = siyu_testkit::test_bus().await.unwrap();
        let db = TestDb::postgres::<Migrator>().await.unwrap();
        (Self::start_with(db, true, Some(config)).await, bus)
    }

    async fn start(db: TestDb) -> Self {
        Self::start_with(db, false, None).await
    }

    async fn start_with(db: TestDb, jobs: bool, bus: Option<siyu_store::BusConfig>) -> Self {
        let key = SigningKey::ed25519_from_seed("k1", &[7u8; 32]).unwrap();
        let mut s = Settings {
            database: siyu_config::DatabaseSettings::new(db.url()),
            ..Settings::default()
        };
        s.database.max_connections = 20;
        s.server.grpc_addr = "127.0.0.1:0".parse().unwrap();
        s.server.admin_addr = "127.0.0.1:0".parse().unwrap();
        s.membership.run_jobs = jobs;
        if let Some(b) = bus {
            s.bus.url = siyu_testkit::env::nats_url().into();
            s.bus.subject_prefix = b.subject_prefix;
            s.bus.stream = b.stream;
        }
        let clock = ManualClock::new(chrono::DateTime::from_timestamp(1_750_000_000, 0).unwrap());
        let app = Application::build_with(
            s,
            Overrides {
                clock: Some(Arc::new(clock.clone())),
                jwks: Some(SigningKey::jwks([&key])),
            },
        )
        .await
        .unwrap();
        let channel = Channel::from_shared(format!("http://{}", app.grpc_addr()))
            .unwrap()
            .connect()
            .await
            .unwrap();
        Self {
            db,
            app,
            clock,
            key,
            channel,
        }
    }

    pub fn members(&self) -> MemberServiceClient<Channel> {
        MemberServiceClient::new(self.channel.clone())
    }

    pub fn ledger(&self) -> LedgerServiceClient<Channel> {
        LedgerServiceClient::new(self.channel.clone())
    }

    /// A token of `kind` with `sub`, roles on org paths and scopes; valid five years of the
    /// test clock, so tests may move time across lot expiries.
    pub fn token_for(
        &self,
        tenant: TenantId,
        kind: PrincipalKind,
        sub: &str,
        roles: &[(&str, String)],
        scopes: &[&str],
    ) -> String {
        let now = self.clock.now().timestamp();
        self.key
            .sign(&Claims {
                sub: sub.to_owned(),
                tenant,
                kind,
                roles: roles
                    .iter()
                    .map(|(r, o)| RoleClaim {
                        role: (*r).into(),
                        org: o.clone(),
                    })
                    .collect(),
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                exp: now + 5 * 366 * 86_400,
                nbf: None,
                iat: now,
                iss: "siyu-identity".into(),
                aud: Audience::One("siyu".into()),
                jti: siyu_core::id::new_string(),
                client_id: (kind == PrincipalKind::Partner).then(|| "partner-1".into()),
            })
            .unwrap()
    }

    pub async fn scalar(&self, sql: &str, values: Vec<Value>) -> i64 {
        let b = self.db.db.get_database_backend();
        let row = self
            .db
            .db
            .query_one_raw(Statement::from_sql_and_values(b, sql, values))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0)
            .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
            .or_else(|_| {
                row.try_get_by_index::<Option<i64>>(0)
                    .map(|v| v.unwrap_or(0))
            })
            .unwrap()
    }

    /// Moves the test clock forward by `days`.
    pub fn advance_days(&self, days: i64) {
        self.clock.advance(chrono::Duration::days(days));
    }
}

/// A request with a bearer token.
pub fn with<T>(msg: T, token: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// The same with an `x-idempotency-key`.
pub fn keyed<T>(msg: T, token: &str, key: &str) -> tonic::Request<T> {
    let mut r = with(msg, token);
    r.metadata_mut()
        .insert("x-idempotency-key", key.parse().unwrap());
    r
}

/// The first BadRequest field violation of an INVALID_ARGUMENT status ("" when none).
pub fn field(s: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    s.get_details_bad_request()
        .and_then(|b| b.field_violations.first().map(|v| v.field.clone()))
        .unwrap_or_default()
}

pub fn reason(s: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    s.get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

pub fn meta(s: &tonic::Status, key: &str) -> String {
    use tonic_types::StatusExt;
    s.get_details_error_info()
        .and_then(|i| i.metadata.get(key).cloned())
        .unwrap_or_default()
}

/// Asserts the code and reason of a refusal.
#[track_caller]
pub fn refused<T: std::fmt::Debug>(
    r: Result<T, tonic::Status>,
    code: tonic::Code,
    why: &str,
) -> tonic::Status {
    let status = r.expect_err("expected a refusal");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (code, why),
        "{status:?}"
    );
    status
}

pub fn cny(fen: i64) -> Option<Money> {
    Some(Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

pub fn id() -> String {
    siyu_core::id::new_string()
}

/// A tenant with an HQ root and tokens for its admin and an internal service.
pub struct Tenant {
    pub id: TenantId,
    pub root: Uuid,
    pub admin: String,
    pub service: String,
    pub partner: String,
}

impl Tenant {
    pub async fn new(h: &H) -> Self {
        let id = TenantId(siyu_core::id::new());
        let root = siyu_core::id::new();
        let admin = h.token_for(
            id,
            PrincipalKind::Staff,
            &siyu_core::id::new_string(),
            &[("tenant_admin", root.to_string())],
            &[],
        );
        let service = h.token_for(id, PrincipalKind::Service, "orders", &[], &[]);
        let partner = h.token_for(
            id,
            PrincipalKind::Partner,
            "partner-1",
            &[],
            &["members.read", "members.write"],
        );
        Self {
            id,
            root,
            admin,
            service,
            partner,
        }
    }

    /// A staff token holding `role` on `org` (a path under the root, or the root).
    pub fn staff(&self, h: &H, role: &str, org: &str) -> String {
        h.token_for(
            self.id,
            PrincipalKind::Staff,
            &siyu_core::id::new_string(),
            &[(role, org.to_owned())],
            &[],
        )
    }

    /// A new consumer of the tenant: (user id, token).
    pub fn consumer(&self, h: &H) -> (String, String) {
        let user = siyu_core::id::new_string();
        let token = h.token_for(self.id, PrincipalKind::Consumer, &user, &[], &[]);
        (user, token)
    }

    /// Enrols a new consumer (as the consumer); answers (member id, consumer token).
    pub async fn member(&self, h: &H) -> (String, String) {
        let (_, token) = self.consumer(h);
        let m = h
            .members()
            .enroll_member(with(pb::EnrollMemberRequest::default(), &token))
            .await
            .unwrap()
            .into_inner()
            .member
            .unwrap();
        (m.member_id, token)
    }

    /// Credits `points` to `member` by staff adjustment-free earn (the service, explicit).
    pub async fn earn(&self, h: &H, member: &str, points: i64) -> pb::EarnPointsResponse {
        h.ledger()
            .earn_points(with(
                pb::EarnPointsRequest {
                    member_id: member.into(),
                    idempotency_key: format!("test:{}", id()),
                    points,
                    ..Default::default()
                },
                &self.service,
            ))
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn balances(&self, h: &H, member: &str) -> pb::Balances {
        h.ledger()
            .get_balances(with(
                pb::GetBalancesRequest {
                    member_id: member.into(),
                },
                &self.admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .balances
            .unwrap()
    }

    /// Turns stored value on for the tenant.
    pub async fn enable_stored_value(&self, h: &H) {
        h.ledger()
            .update_ledger_policy(with(
                pb::UpdateLedgerPolicyRequest {
                    policy: Some(pb::LedgerPolicy {
                        stored_value_enabled: true,
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["stored_value_enabled".into()],
                    }),
                },
                &self.admin,
            ))
            .await
            .unwrap();
    }

    /// Tops `member` up by `fen` of principal (a custom amount, no plan).
    pub async fn top_up(&self, h: &H, member: &str, fen: i64) -> pb::TopUpStoredValueResponse {
        h.ledger()
            .top_up_stored_value(with(
                pb::TopUpStoredValueRequest {
                    member_id: member.into(),
                    order_id: id(),
                    plan_id: String::new(),
                    amount_paid: cny(fen),
                    paid_at: Some(siyu_proto::time::timestamp(h.clock.now())),
                },
                &self.service,
            ))
            .await
            .unwrap()
            .into_inner()
    }
}

/// The ledger invariants, over every tenant of the database:
/// - every entry's postings sum to zero per asset;
/// - every member balance column equals the sum of that member's postings on the account, and
///   is never negative;
/// - every lot's remaining points equal the sum of the available-points postings on the lot,
///   and the member's lots hold exactly the available points;
/// - the tenants' accounts mirror the members' (all postings of an asset sum to zero).
pub async fn assert_invariants(h: &H) {
    let unbalanced = h
        .scalar(
            "SELECT COUNT(*) FROM (SELECT entry_id, CASE WHEN account IN (1, 2, 11, 12, 13) THEN 1 \
             ELSE 2 END AS asset FROM mem_postings GROUP BY entry_id, asset \
             HAVING SUM(amount) <> 0) x",
            vec![],
        )
        .await;
    assert_eq!(unbalanced, 0, "an entry does not balance");
    let account_sum = |account: i32, part: Option<i32>| {
        let part = part
            .map(|p| format!(" AND p.part = {p}"))
            .unwrap_or_default();
        format!(
            "COALESCE((SELECT SUM(p.amount) FROM mem_postings p WHERE p.tenant = b.tenant \
             AND p.member_id = b.member_id AND p.account = {account}{part}), 0)"
        )
    };
    let drift = h
        .scalar(
            &format!(
                "SELECT COUNT(*) FROM mem_balances b WHERE points_available <> {} \
                 OR points_held <> {} OR sv_principal <> {} OR sv_bonus <> {} \
                 OR sv_held_principal <> {} OR sv_held_bonus <> {}",
                account_sum(1, None),
                account_sum(2, None),
                account_sum(3, None),
                account_sum(4, None),
                account_sum(5, Some(1)),
                account_sum(5, Some(2)),
            ),
            vec![],
        )
        .await;
    assert_eq!(drift, 0, "a balance is not the sum of its postings");
    let negative = h
        .scalar(
            "SELECT COUNT(*) FROM mem_balances WHERE points_available < 0 OR points_held < 0 \
             OR sv_principal < 0 OR sv_bonus < 0 OR sv_held_principal < 0 OR sv_held_bonus < 0",
            vec![],
        )
        .await;
    assert_eq!(negative, 0, "a balance is negative");
    let lots = h
        .scalar(
            "SELECT COUNT(*) FROM mem_lots l WHERE l.remaining_points <> COALESCE((SELECT \
             SUM(p.amount) FROM mem_postings p WHERE p.tenant = l.tenant AND p.lot_id = l.id \
             AND p.account = 1), 0)",
            vec![],
        )
        .await;
    assert_eq!(lots, 0, "a lot is not the sum of its postings");
    let lots_vs_balance = h
        .scalar(
            "SELECT COUNT(*) FROM mem_balances b WHERE b.points_available <> COALESCE((SELECT \
             SUM(l.remaining_points) FROM mem_lots l WHERE l.tenant = b.tenant \
             AND l.member_id = b.member_id), 0)",
            vec![],
        )
        .await;
    assert_eq!(lots_vs_balance, 0, "lots do not hold the available points");
    for asset in ["1, 2, 11, 12, 13", "3, 4, 5, 14, 15, 16"] {
        let total = h
            .scalar(
                &format!(
                    "SELECT COUNT(*) FROM (SELECT tenant FROM mem_postings WHERE account IN \
                     ({asset}) GROUP BY tenant HAVING SUM(amount) <> 0) x"
                ),
                vec![],
            )
            .await;
        assert_eq!(total, 0, "tenant accounts do not mirror member accounts");
    }
}
