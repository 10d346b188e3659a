//! The events orders consumes (identity's UsersMerged, UsersMergeReversed, UserErased, catalog's
//! ReservationExpired) through the inbox consumer on Postgres: each applied once when delivered
//! twice or by concurrent consumers, a merge and its reversal in any order leaving exactly the
//! original owners; the same on the real NATS bus; and the reads identity's export and erasure
//! check make with a service token.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use prost::Message as _;
use sea_orm::{ConnectionTrait, Statement, Value};
use siyu_core::{ManualClock, TenantId};
use siyu_orders::app::App;
use siyu_orders::events::consume::{CATALOG_CONSUMER, IDENTITY_CONSUMER, handle_for};
use siyu_orders::peers::Peers;
use siyu_orders::settings::PeerSettings;
use siyu_orders_migration::Migrator;
use siyu_proto::common::v1 as common;
use siyu_proto::events::v1 as ev;
use siyu_proto::orders::v1 as pb;
use siyu_testkit::TestDb;
use uuid::Uuid;

use crate::pay_harness::START;

const DAY_MS: i64 = 86_400_000;

pub struct E {
    pub db: TestDb,
    pub app: App,
    pub clock: ManualClock,
    pub tenant: TenantId,
}

/// An envelope of `t` carrying `siyu.events.v1.<type_name>` under event id `event`.
pub fn envelope(tenant: TenantId, event: Uuid, type_name: &str, payload: Vec<u8>) -> Vec<u8> {
    ev::EventEnvelope {
        id: event.to_string(),
        tenant_id: tenant.to_string(),
        r#type: format!("siyu.events.v1.{type_name}"),
        source: "test".into(),
        payload: Some(prost_types::Any {
            type_url: format!("type.googleapis.com/siyu.events.v1.{type_name}"),
            value: payload,
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

pub fn merged(tenant: TenantId, event: Uuid, merge: Uuid, kept: Uuid, gone: Uuid) -> Vec<u8> {
    let m = ev::UsersMerged {
        merge_id: merge.to_string(),
        kept_user_id: kept.to_string(),
        merged_user_id: gone.to_string(),
        reason: "phone_bind".into(),
        ..Default::default()
    };
    envelope(tenant, event, "UsersMerged", m.encode_to_vec())
}

pub fn reversed(tenant: TenantId, event: Uuid, merge: Uuid, kept: Uuid, gone: Uuid) -> Vec<u8> {
    let m = ev::UsersMergeReversed {
        merge_id: merge.to_string(),
        kept_user_id: kept.to_string(),
        merged_user_id: gone.to_string(),
        ..Default::default()
    };
    envelope(tenant, event, "UsersMergeReversed", m.encode_to_vec())
}

pub fn erased(tenant: TenantId, event: Uuid, user: Uuid) -> Vec<u8> {
    let m = ev::UserErased {
        user_id: user.to_string(),
        requested_by: "self".into(),
        ..Default::default()
    };
    envelope(tenant, event, "UserErased", m.encode_to_vec())
}

pub fn expired(tenant: TenantId, event: Uuid, order: Uuid) -> Vec<u8> {
    let m = ev::ReservationExpired {
        reservation_id: siyu_core::id::new_string(),
        order_id: order.to_string(),
        ..Default::default()
    };
    envelope(tenant, event, "ReservationExpired", m.encode_to_vec())
}

/// The snapshot of a delivery order to a named address, with a buyer's note.
pub fn snapshot() -> String {
    let o = pb::Order {
        fulfilment: Some(pb::FulfilmentChoice {
            mode: 2,
            store_id: siyu_core::id::new_string(),
            address: Some(common::Address {
                province: "上海市".into(),
                city: "上海市".into(),
                district: "徐汇区".into(),
                detail: "漕溪北路 1 号 1201".into(),
                postal_code: "200030".into(),
                contact_name: "王小明".into(),
                contact_phone: "13800138000".into(),
                location: Some(common::GeoPoint {
                    latitude: 31.19,
                    longitude: 121.43,
                }),
            }),
            pickup_contact_name: "王小明".into(),
            pickup_contact_phone: "13800138000".into(),
            ..Default::default()
        }),
        buyer_note: "请放门口，王先生".into(),
        ..Default::default()
    };
    B64.encode(o.encode_to_vec())
}

impl E {
    pub async fn start() -> Self {
        Self::on(TestDb::postgres::<Migrator>().await.unwrap())
    }

    pub async fn sqlite() -> Self {
        Self::on(TestDb::sqlite::<Migrator>().await.unwrap())
    }

    fn on(db: TestDb) -> Self {
        let clock = ManualClock::new(chrono::DateTime::from_timestamp(START, 0).unwrap());
        let peers =
            Arc::new(Peers::new(&PeerSettings::default(), Arc::new(clock.clone())).unwrap());
        let app = App::new(db.db.clone(), Arc::new(clock.clone()), peers);
        Self {
            db,
            app,
            clock,
            tenant: TenantId(siyu_core::id::new()),
        }
    }

    pub fn now(&self) -> i64 {
        self.app.now_ms()
    }

    pub async fn deliver(&self, consumer: &str, body: &[u8]) {
        handle_for(&self.app, consumer, body, &siyu_core::id::new_string())
            .await
            .unwrap();
    }

    pub async fn exec(&self, sql: &str, values: Vec<Value>) {
        let b = self.db.db.get_database_backend();
        self.db
            .db
            .execute_raw(Statement::from_sql_and_values(b, sql, values))
            .await
            .unwrap();
    }

    pub async fn count(&self, sql: &str, values: Vec<Value>) -> i64 {
        let b = self.db.db.get_database_backend();
        let row = self
            .db
            .db
            .query_one_raw(Statement::from_sql_and_values(b, sql, values))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }

    /// An order of `user` in `status`, last changed `updated_at`, settled when `settled`.
    pub async fn order(&self, user: Uuid, status: i16, updated_at: i64, settled: bool) -> Uuid {
        let id = siyu_core::id::new();
        let no = format!("SY{}", &id.simple().to_string()[12..]);
        self.exec(
            "INSERT INTO ord_orders (tenant, id, order_no, kind, user_id, status, after_sale_state,
                payable_fen, payment_deadline_ms, settled_at_ms, detail, created_at_ms,
                updated_at_ms)
             VALUES ($1, $2, $3, 1, $4, $5, 1, 1000, $6, $7, $8, $6, $6)",
            vec![
                Value::Uuid(Some(self.tenant.0)),
                Value::Uuid(Some(id)),
                no.into(),
                Value::Uuid(Some(user)),
                status.into(),
                updated_at.into(),
                settled.then_some(updated_at).into(),
                snapshot().into(),
            ],
        )
        .await;
        id
    }

    /// An after-sale case of `user` on `order`, REQUESTED.
    pub async fn case(&self, user: Uuid, order: Uuid) -> Uuid {
        let id = siyu_core::id::new();
        self.exec(
            "INSERT INTO ord_after_sales (tenant, id, after_sale_no, order_id, user_id, kind,
                status, reason, refund_fen, opened_by_kind, created_at_ms, updated_at_ms)
             VALUES ($1, $2, $3, $4, $5, 1, 1, 1, 100, 1, $6, $6)",
            vec![
                Value::Uuid(Some(self.tenant.0)),
                Value::Uuid(Some(id)),
                format!("AS{}", &id.simple().to_string()[12..]).into(),
                Value::Uuid(Some(order)),
                Value::Uuid(Some(user)),
                self.now().into(),
            ],
        )
        .await;
        id
    }

    /// `user`'s cart with lines (sku, quantity).
    pub async fn cart(&self, user: Uuid, fulfilment: &str, lines: &[(Uuid, i32)]) {
        self.exec(
            "INSERT INTO ord_carts (tenant, user_id, fulfilment, updated_at_ms)
             VALUES ($1, $2, $3, $4)",
            vec![
                Value::Uuid(Some(self.tenant.0)),
                Value::Uuid(Some(user)),
                fulfilment.into(),
                self.now().into(),
            ],
        )
        .await;
        for (sku, quantity) in lines {
            self.exec(
                "INSERT INTO ord_cart_lines (tenant, id, user_id, sku_id, quantity, selected,
                    added_at_ms) VALUES ($1, $2, $3, $4, $5, TRUE, $6)",
                vec![
                    Value::Uuid(Some(self.tenant.0)),
                    Value::Uuid(Some(siyu_core::id::new())),
                    Value::Uuid(Some(user)),
                    Value::Uuid(Some(*sku)),
                    (*quantity).into(),
                    self.now().into(),
                ],
            )
            .await;
        }
    }

    /// Ids owned by `user` in `table`, sorted.
    pub async fn owned(&self, table: &str, user: Uuid) -> Vec<Uuid> {
        let b = self.db.db.get_database_backend();
        let rows = self
            .db
            .db
            .query_all_raw(Statement::from_sql_and_values(
                b,
                format!("SELECT id FROM {table} WHERE tenant = $1 AND user_id = $2 ORDER BY id"),
                vec![Value::Uuid(Some(self.tenant.0)), Value::Uuid(Some(user))],
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.try_get_by_index::<Uuid>(0).unwrap())
            .collect()
    }

    /// `user`'s cart lines as (sku, quantity), sorted.
    pub async fn lines(&self, user: Uuid) -> Vec<(Uuid, i32)> {
        let b = self.db.db.get_database_backend();
        let rows = self
            .db
            .db
            .query_all_raw(Statement::from_sql_and_values(
                b,
                "SELECT sku_id, quantity FROM ord_cart_lines WHERE tenant = $1 AND user_id = $2
                 ORDER BY sku_id",
                vec![Value::Uuid(Some(self.tenant.0)), Value::Uuid(Some(user))],
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| {
                (
                    r.try_get_by_index::<Uuid>(0).unwrap(),
                    r.try_get_by_index::<i32>(1).unwrap(),
                )
            })
            .collect()
    }

    pub async fn has_cart(&self, user: Uuid) -> bool {
        self.count(
            "SELECT COUNT(*) FROM ord_carts WHERE tenant = $1 AND user_id = $2",
            vec![Value::Uuid(Some(self.tenant.0)), Value::Uuid(Some(user))],
        )
        .await
            == 1
    }

    /// The decoded snapshot of `order`.
    pub async fn snapshot_of(&self, order: Uuid) -> pb::Order {
        let b = self.db.db.get_database_backend();
        let row = self
            .db
            .db
            .query_one_raw(Statement::from_sql_and_values(
                b,
                "SELECT detail FROM ord_orders WHERE id = $1",
                vec![Value::Uuid(Some(order))],
            ))
            .await
            .unwrap()
            .unwrap();
        let text: String = row.try_get_by_index(0).unwrap();
        pb::Order::decode(B64.decode(text).unwrap().as_slice()).unwrap()
    }
}

/// Two users with orders, a case and carts sharing one SKU.
struct Pair {
    kept: Uuid,
    gone: Uuid,
    kept_orders: Vec<Uuid>,
    gone_orders: Vec<Uuid>,
    gone_case: Uuid,
    shared_sku: Uuid,
    own_sku: Uuid,
}

async fn pair(e: &E) -> Pair {
    let (kept, gone) = (siyu_core::id::new(), siyu_core::id::new());
    let now = e.now();
    let mut kept_orders = vec![e.order(kept, 2, now, false).await];
    kept_orders.sort();
    let mut gone_orders = vec![
        e.order(gone, 1, now, false).await,
        e.order(gone, 6, now, true).await,
    ];
    gone_orders.sort();
    let gone_case = e.case(gone, gone_orders[0]).await;
    let (shared_sku, own_sku) = (siyu_core::id::new(), siyu_core::id::new());
    e.cart(kept, "{}", &[(shared_sku, 1)]).await;
    e.cart(
        gone,
        r#"{"pickup_contact_name":"王小明"}"#,
        &[(shared_sku, 5), (own_sku, 2)],
    )
    .await;
    Pair {
        kept,
        gone,
        kept_orders,
        gone_orders,
        gone_case,
        shared_sku,
        own_sku,
    }
}

async fn assert_original(e: &E, p: &Pair) {
    assert_eq!(e.owned("ord_orders", p.kept).await, p.kept_orders);
    assert_eq!(e.owned("ord_orders", p.gone).await, p.gone_orders);
    assert_eq!(e.owned("ord_after_sales", p.gone).await, vec![p.gone_case]);
    assert_eq!(e.lines(p.kept).await, vec![(p.shared_sku, 1)]);
    let mut gone = vec![(p.shared_sku, 5), (p.own_sku, 2)];
    gone.sort();
    assert_eq!(e.lines(p.gone).await, gone);
    assert!(e.has_cart(p.gone).await);
}

#[tokio::test]
async fn a_merge_moves_orders_cases_and_cart_once_and_its_reversal_gives_back_exactly_that() {
    merge_and_reverse(&E::start().await).await;
}

#[tokio::test]
async fn on_sqlite_a_merge_and_its_reversal_move_exactly_what_they_should() {
    merge_and_reverse(&E::sqlite().await).await;
}

async fn merge_and_reverse(e: &E) {
    let p = pair(e).await;
    let merge = siyu_core::id::new();
    let event = siyu_core::id::new();
    let body = merged(e.tenant, event, merge, p.kept, p.gone);
    e.deliver(IDENTITY_CONSUMER, &body).await;
    e.deliver(IDENTITY_CONSUMER, &body).await;
    // Another event id for the same merge (identity republished it): still once.
    e.deliver(
        IDENTITY_CONSUMER,
        &merged(e.tenant, siyu_core::id::new(), merge, p.kept, p.gone),
    )
    .await;

    let mut all: Vec<Uuid> = p
        .kept_orders
        .iter()
        .chain(&p.gone_orders)
        .copied()
        .collect();
    all.sort();
    assert_eq!(e.owned("ord_orders", p.kept).await, all);
    assert!(e.owned("ord_orders", p.gone).await.is_empty());
    assert_eq!(e.owned("ord_after_sales", p.kept).await, vec![p.gone_case]);
    // The kept cart wins the shared SKU; the other line moves; the merged cart is gone.
    let mut lines = vec![(p.shared_sku, 1), (p.own_sku, 2)];
    lines.sort();
    assert_eq!(e.lines(p.kept).await, lines);
    assert!(!e.has_cart(p.gone).await);

    // What the kept user makes after the merge stays with it through the reversal.
    let after = e.order(p.kept, 1, e.now(), false).await;
    e.deliver(
        IDENTITY_CONSUMER,
        &reversed(e.tenant, siyu_core::id::new(), merge, p.kept, p.gone),
    )
    .await;
    let mut kept_now = p.kept_orders.clone();
    kept_now.push(after);
    kept_now.sort();
    assert_eq!(e.owned("ord_orders", p.kept).await, kept_now);
    assert_eq!(e.owned("ord_orders", p.gone).await, p.gone_orders);
    assert_eq!(e.owned("ord_after_sales", p.gone).await, vec![p.gone_case]);
    assert_eq!(e.lines(p.kept).await, vec![(p.shared_sku, 1)]);
    let mut gone = vec![(p.shared_sku, 5), (p.own_sku, 2)];
    gone.sort();
    assert_eq!(e.lines(p.gone).await, gone);

    // A second reversal event and a late merge redelivery change nothing.
    e.deliver(
        IDENTITY_CONSUMER,
        &reversed(e.tenant, siyu_core::id::new(), merge, p.kept, p.gone),
    )
    .await;
    e.deliver(
        IDENTITY_CONSUMER,
        &merged(e.tenant, siyu_core::id::new(), merge, p.kept, p.gone),
    )
    .await;
    assert_eq!(e.owned("ord_orders", p.gone).await, p.gone_orders);
    assert_eq!(e.owned("ord_orders", p.kept).await, kept_now);
}

#[tokio::test]
async fn a_reversal_before_its_merge_leaves_the_owners_as_they_were() {
    let e = E::start().await;
    let p = pair(&e).await;
    let merge = siyu_core::id::new();
    e.deliver(
        IDENTITY_CONSUMER,
        &reversed(e.tenant, siyu_core::id::new(), merge, p.kept, p.gone),
    )
    .await;
    e.deliver(
        IDENTITY_CONSUMER,
        &merged(e.tenant, siyu_core::id::new(), merge, p.kept, p.gone),
    )
    .await;
    assert_original(&e, &p).await;
}

#[tokio::test]
async fn one_merge_delivered_to_eight_concurrent_consumers_applies_once() {
    let e = Arc::new(E::start().await);
    let p = pair(&e).await;
    let merge = siyu_core::id::new();
    let body = merged(e.tenant, siyu_core::id::new(), merge, p.kept, p.gone);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let e = e.clone();
        // Half redeliver the same event, half carry other event ids of the same merge.
        let body = if i % 2 == 0 {
            body.clone()
        } else {
            merged(e.tenant, siyu_core::id::new(), merge, p.kept, p.gone)
        };
        tasks.push(tokio::spawn(async move {
            e.deliver(IDENTITY_CONSUMER, &body).await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(e.owned("ord_orders", p.kept).await.len(), 3);
    assert_eq!(
        e.count(
            "SELECT COUNT(*) FROM ord_merge_moves WHERE merge_id = $1 AND kind = 'order'",
            vec![Value::Uuid(Some(merge))],
        )
        .await,
        2
    );
    let mut lines = vec![(p.shared_sku, 1), (p.own_sku, 2)];
    lines.sort();
    assert_eq!(e.lines(p.kept).await, lines);
}

#[tokio::test]
async fn a_merge_and_its_reversal_racing_redeliveries_end_with_the_original_owners() {
    for round in 0..4 {
        let e = Arc::new(E::start().await);
        let p = pair(&e).await;
        let merge = siyu_core::id::new();
        let m = merged(e.tenant, siyu_core::id::new(), merge, p.kept, p.gone);
        let r = reversed(e.tenant, siyu_core::id::new(), merge, p.kept, p.gone);
        let mut bodies = vec![m.clone(), r.clone(), m.clone(), r.clone(), m, r];
        bodies.rotate_left(round);
        let mut tasks = Vec::new();
        for body in bodies {
            let e = e.clone();
            tasks.push(tokio::spawn(async move {
                e.deliver(IDENTITY_CONSUMER, &body).await;
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_original(&e, &p).await;
    }
}

#[tokio::test]
async fn erasure_drops_the_cart_and_strips_orders_once_past_their_retention() {
    let e = E::start().await;
    let user = siyu_core::id::new();
    let now = e.now();
    let old = e.order(user, 7, now - 4 * 365 * DAY_MS, false).await;
    let recent = e.order(user, 6, now - 30 * DAY_MS, true).await;
    let open = e.order(user, 2, now - 4 * 365 * DAY_MS, false).await;
    let unsettled = e.order(user, 6, now - 4 * 365 * DAY_MS, false).await;
    let other = e
        .order(siyu_core::id::new(), 7, now - 4 * 365 * DAY_MS, false)
        .await;
    e.cart(
        user,
        r#"{"pickup_contact_name":"王小明"}"#,
        &[(siyu_core::id::new(), 1)],
    )
    .await;

    let body = erased(e.tenant, siyu_core::id::new(), user);
    e.deliver(IDENTITY_CONSUMER, &body).await;
    e.deliver(IDENTITY_CONSUMER, &body).await;

    assert!(!e.has_cart(user).await);
    assert!(e.lines(user).await.is_empty());
    let s = e.snapshot_of(old).await;
    let f = s.fulfilment.unwrap();
    let a = f.address.unwrap();
    assert_eq!(
        (a.province.as_str(), a.city.as_str(), a.district.as_str()),
        ("上海市", "上海市", "徐汇区")
    );
    assert!(a.detail.is_empty() && a.contact_name.is_empty() && a.contact_phone.is_empty());
    assert!(a.postal_code.is_empty() && a.location.is_none());
    assert!(f.pickup_contact_name.is_empty() && f.pickup_contact_phone.is_empty());
    assert!(s.buyer_note.is_empty());
    // Inside the retention, still open, or not settled: what fulfilment and after-sales need stays.
    for kept in [recent, open, unsettled, other] {
        let s = e.snapshot_of(kept).await;
        assert_eq!(
            s.fulfilment.unwrap().address.unwrap().contact_name,
            "王小明"
        );
        assert_eq!(s.buyer_note, "请放门口，王先生");
    }

    // The jobs pass strips the recent order once it passes the retention, and only once.
    e.clock.advance(chrono::Duration::days(3 * 365 - 31));
    assert_eq!(e.app.run_jobs_pass().await.unwrap().erased_stripped, 0);
    e.clock.advance(chrono::Duration::days(2));
    assert_eq!(e.app.run_jobs_pass().await.unwrap().erased_stripped, 1);
    assert_eq!(e.app.run_jobs_pass().await.unwrap().erased_stripped, 0);
    let s = e.snapshot_of(recent).await;
    assert!(
        s.fulfilment
            .unwrap()
            .address
            .unwrap()
            .contact_name
            .is_empty()
    );
    assert_eq!(
        e.snapshot_of(open)
            .await
            .fulfilment
            .unwrap()
            .address
            .unwrap()
            .contact_name,
        "王小明"
    );
}

#[tokio::test]
async fn an_expired_reservation_cancels_the_unpaid_order_once_and_leaves_a_paid_one() {
    let e = Arc::new(E::start().await);
    let user = siyu_core::id::new();
    let unpaid = e.order(user, 1, e.now(), false).await;
    let paid = e.order(user, 2, e.now(), false).await;

    // Eight consumers, each with its own event id for the same order, at once.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            e.deliver(
                CATALOG_CONSUMER,
                &expired(e.tenant, siyu_core::id::new(), unpaid),
            )
            .await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let body = expired(e.tenant, siyu_core::id::new(), paid);
    e.deliver(CATALOG_CONSUMER, &body).await;
    e.deliver(CATALOG_CONSUMER, &body).await;

    let status = |order: Uuid| {
        let e = e.clone();
        async move {
            e.count(
                "SELECT CAST(status AS BIGINT) FROM ord_orders WHERE id = $1",
                vec![Value::Uuid(Some(order))],
            )
            .await
        }
    };
    assert_eq!(status(unpaid).await, 7);
    assert_eq!(status(paid).await, 2);
    assert_eq!(
        e.count(
            "SELECT COUNT(*) FROM ord_timeline WHERE order_id = $1",
            vec![Value::Uuid(Some(unpaid))],
        )
        .await,
        1
    );
    assert_eq!(
        e.count(
            "SELECT COUNT(*) FROM siyu_outbox WHERE subject = 'orders.order_cancelled'",
            vec![],
        )
        .await,
        1
    );
    // The task is decided; no task for the paid order.
    assert_eq!(
        e.count(
            "SELECT COUNT(*) FROM ord_tasks WHERE kind = 'reservation_expired' AND state = 2",
            vec![],
        )
        .await,
        1
    );
    assert_eq!(
        e.count(
            "SELECT COUNT(*) FROM ord_tasks WHERE kind = 'reservation_expired' AND order_id = $1",
            vec![Value::Uuid(Some(paid))],
        )
        .await,
        0
    );
    let cancellation: String = {
        let b = e.db.db.get_database_backend();
        e.db.db
            .query_one_raw(Statement::from_sql_and_values(
                b,
                "SELECT cancellation FROM ord_orders WHERE id = $1",
                vec![Value::Uuid(Some(unpaid))],
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap()
    };
    let c: serde_json::Value = serde_json::from_str(&cancellation).unwrap();
    assert_eq!(c["reason"], 2);
}

fn field(s: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    s.get_details_bad_request()
        .and_then(|b| b.field_violations.first().map(|v| v.field.clone()))
        .unwrap_or_default()
}

/// Identity's export and erasure check, with a service token of the user's tenant: the user's
/// orders and cases (all, and the blocking statuses only), payments and refunds per order; a
/// malformed user id is refused by field, and a cart read without a user is refused.
#[tokio::test]
async fn identity_export_and_erasure_queries_answer_a_service() {
    use siyu_proto::orders::v1::after_sale_service_client::AfterSaleServiceClient;
    use siyu_proto::orders::v1::cart_service_client::CartServiceClient;
    use siyu_proto::orders::v1::order_service_client::OrderServiceClient;
    use siyu_proto::payments::v1 as pay;
    use siyu_proto::payments::v1::refund_service_client::RefundServiceClient;

    use crate::pay_harness::{P, reason, with};

    let p = P::start().await;
    let user = siyu_core::id::new();
    let (pending, _) = p.order(user, 1000).await;
    let (done, _) = p.order(user, 500).await;
    p.exec(
        "UPDATE ord_orders SET status = 6 WHERE id = $1",
        vec![Value::Uuid(Some(done))],
    )
    .await;
    let (_, _) = p.order(siyu_core::id::new(), 700).await;
    let case = siyu_core::id::new();
    p.exec(
        "INSERT INTO ord_after_sales (tenant, id, after_sale_no, order_id, user_id, kind,
            status, reason, refund_fen, opened_by_kind, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, 1, 1, 1, 100, 1, 0, 0)",
        vec![
            Value::Uuid(Some(p.tenant.0)),
            Value::Uuid(Some(case)),
            format!("AS{}", &case.simple().to_string()[12..]).into(),
            Value::Uuid(Some(done)),
            Value::Uuid(Some(user)),
        ],
    )
    .await;
    p.payments()
        .create_payment(with(
            pay::CreatePaymentRequest {
                order_id: pending.to_string(),
                app_id: String::new(),
            },
            &p.consumer(user),
        ))
        .await
        .unwrap();
    let service = p.service();
    let mut orders = OrderServiceClient::new(p.channel.clone());
    let mut cases = AfterSaleServiceClient::new(p.channel.clone());

    let all = orders
        .list_store_orders(with(
            pb::ListStoreOrdersRequest {
                user_id: user.to_string(),
                ..Default::default()
            },
            &service,
        ))
        .await
        .unwrap()
        .into_inner()
        .orders;
    let mut ids: Vec<String> = all.iter().map(|o| o.order_id.clone()).collect();
    ids.sort();
    let mut want = vec![pending.to_string(), done.to_string()];
    want.sort();
    assert_eq!(ids, want);

    let blocking = orders
        .list_store_orders(with(
            pb::ListStoreOrdersRequest {
                user_id: user.to_string(),
                statuses: vec![1, 2, 3, 4, 5],
                ..Default::default()
            },
            &service,
        ))
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert_eq!(
        blocking
            .iter()
            .map(|o| o.order_id.clone())
            .collect::<Vec<_>>(),
        vec![pending.to_string()]
    );

    let open_cases = cases
        .list_after_sales(with(
            pb::ListAfterSalesRequest {
                user_id: user.to_string(),
                statuses: vec![1, 2, 3, 4],
                ..Default::default()
            },
            &service,
        ))
        .await
        .unwrap()
        .into_inner()
        .after_sales;
    assert_eq!(
        open_cases
            .iter()
            .map(|c| c.after_sale_id.clone())
            .collect::<Vec<_>>(),
        vec![case.to_string()]
    );
    let others = cases
        .list_after_sales(with(
            pb::ListAfterSalesRequest {
                user_id: siyu_core::id::new_string(),
                ..Default::default()
            },
            &service,
        ))
        .await
        .unwrap()
        .into_inner()
        .after_sales;
    assert!(others.is_empty());

    let payments = p
        .payments()
        .list_payments(with(
            pay::ListPaymentsRequest {
                order_id: pending.to_string(),
                ..Default::default()
            },
            &service,
        ))
        .await
        .unwrap()
        .into_inner()
        .payments;
    assert_eq!(payments.len(), 1);
    let refunds = RefundServiceClient::new(p.channel.clone())
        .list_refunds(with(
            pay::ListRefundsRequest {
                order_id: done.to_string(),
                ..Default::default()
            },
            &service,
        ))
        .await
        .unwrap()
        .into_inner()
        .refunds;
    assert!(refunds.is_empty());

    // Bad input: the field and reason.
    let s = orders
        .list_store_orders(with(
            pb::ListStoreOrdersRequest {
                user_id: "not-a-user".into(),
                ..Default::default()
            },
            &service,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (s.code(), reason(&s).as_str(), field(&s).as_str()),
        (tonic::Code::InvalidArgument, "INVALID_ARGUMENT", "user_id")
    );
    let s = cases
        .list_after_sales(with(
            pb::ListAfterSalesRequest {
                user_id: "not-a-user".into(),
                ..Default::default()
            },
            &service,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (s.code(), reason(&s).as_str(), field(&s).as_str()),
        (tonic::Code::InvalidArgument, "INVALID_ARGUMENT", "user_id")
    );
    let s = CartServiceClient::new(p.channel.clone())
        .get_cart(with(pb::GetCartRequest::default(), &service))
        .await
        .unwrap_err();
    assert_eq!(
        (s.code(), reason(&s).as_str(), field(&s).as_str()),
        (tonic::Code::InvalidArgument, "INVALID_ARGUMENT", "user_id")
    );
}

/// Orders running its consumers on the real NATS bus (per-test subjects and stream).
async fn on_bus() -> (E, siyu_orders::Application, siyu_store::Bus) {
    use siyu_auth::SigningKey;
    use siyu_orders::settings::Settings;
    use siyu_orders::{Application, Overrides};

    let (bus, config) = siyu_testkit::test_bus().await.unwrap();
    let e = E::start().await;
    let mut s = Settings {
        database: siyu_config::DatabaseSettings::new(e.db.url()),
        ..Settings::default()
    };
    s.server.grpc_addr = "127.0.0.1:0".parse().unwrap();
    s.server.admin_addr = "127.0.0.1:0".parse().unwrap();
    s.orders.run_jobs = true;
    s.orders.jobs_interval_secs = 3600;
    s.bus.url = siyu_testkit::env::nats_url().into();
    s.bus.subject_prefix = config.subject_prefix;
    s.bus.stream = config.stream;
    let key = SigningKey::ed25519_from_seed("k1", &[7u8; 32]).unwrap();
    let app = Application::build_with(
        s,
        Overrides {
            clock: Some(Arc::new(e.clock.clone())),
            jwks: Some(SigningKey::jwks([&key])),
            pay_directory: None,
        },
    )
    .await
    .unwrap();
    (e, app, bus)
}

/// Publishes `body` on `subject` under a fresh bus message id (a redelivery, to the inbox).
async fn publish(bus: &siyu_store::Bus, subject: &str, body: &[u8]) {
    bus.publish(siyu_store::BusMessage {
        id: siyu_core::id::new_string(),
        subject: subject.into(),
        headers: Default::default(),
        payload: body.to_vec(),
    })
    .await
    .unwrap();
}

/// Waits (up to 20 s) until `consumer` has recorded `n` distinct events.
async fn handled(e: &E, consumer: &str, n: i64) {
    let sql = format!("SELECT COUNT(*) FROM siyu_inbox WHERE consumer = '{consumer}'");
    siyu_testkit::wait_until(std::time::Duration::from_secs(20), || async {
        e.count(&sql, vec![]).await >= n
    })
    .await
    .unwrap_or_else(|_| panic!("{n} events were never handled by {consumer}"));
}

#[tokio::test]
async fn on_the_bus_events_delivered_twice_and_out_of_order_apply_once() {
    let (e, app, bus) = on_bus().await;
    let moved = pair(&e).await;
    let undone = pair(&e).await;
    let erased_user = siyu_core::id::new();
    e.cart(erased_user, "{}", &[(siyu_core::id::new(), 1)])
        .await;
    let unpaid = e.order(siyu_core::id::new(), 1, e.now(), false).await;

    // A merge delivered twice; another merge's reversal before the merge, each twice.
    let m1 = merged(
        e.tenant,
        siyu_core::id::new(),
        siyu_core::id::new(),
        moved.kept,
        moved.gone,
    );
    let merge2 = siyu_core::id::new();
    let r2 = reversed(
        e.tenant,
        siyu_core::id::new(),
        merge2,
        undone.kept,
        undone.gone,
    );
    let m2 = merged(
        e.tenant,
        siyu_core::id::new(),
        merge2,
        undone.kept,
        undone.gone,
    );
    let gone = erased(e.tenant, siyu_core::id::new(), erased_user);
    for (subject, body) in [
        ("identity.users_merged", &m1),
        ("identity.users_merge_reversed", &r2),
        ("identity.user_erased", &gone),
        ("identity.users_merged", &m1),
        ("identity.users_merge_reversed", &r2),
        ("identity.users_merged", &m2),
        ("identity.user_erased", &gone),
        ("identity.users_merged", &m2),
    ] {
        publish(&bus, subject, body).await;
    }
    let x = expired(e.tenant, siyu_core::id::new(), unpaid);
    publish(&bus, "catalog.reservation_expired", &x).await;
    publish(&bus, "catalog.reservation_expired", &x).await;
    handled(&e, IDENTITY_CONSUMER, 4).await;
    handled(&e, CATALOG_CONSUMER, 1).await;
    // Give the redeliveries time to arrive (and change nothing).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    assert_eq!(e.owned("ord_orders", moved.kept).await.len(), 3);
    assert!(e.owned("ord_orders", moved.gone).await.is_empty());
    assert_original(&e, &undone).await;
    assert!(!e.has_cart(erased_user).await);
    siyu_testkit::wait_until(std::time::Duration::from_secs(20), || async {
        e.count(
            "SELECT CAST(status AS BIGINT) FROM ord_orders WHERE id = $1",
            vec![Value::Uuid(Some(unpaid))],
        )
        .await
            == 7
    })
    .await
    .expect("the unpaid order was never cancelled");
    assert_eq!(
        e.count(
            "SELECT COUNT(*) FROM ord_timeline WHERE order_id = $1",
            vec![Value::Uuid(Some(unpaid))],
        )
        .await,
        1
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn eight_concurrent_strip_passes_strip_each_order_once() {
    let e = Arc::new(E::start().await);
    let user = siyu_core::id::new();
    let now = e.now();
    let mut orders = Vec::new();
    for _ in 0..5 {
        orders.push(e.order(user, 8, now - 30 * DAY_MS, false).await);
    }
    e.deliver(
        IDENTITY_CONSUMER,
        &erased(e.tenant, siyu_core::id::new(), user),
    )
    .await;
    e.clock.advance(chrono::Duration::days(3 * 365));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            e.app.strip_erased_due().await.unwrap()
        }));
    }
    let mut stripped = 0;
    for t in tasks {
        stripped += t.await.unwrap();
    }
    assert_eq!(stripped, 5);
    for order in orders {
        let s = e.snapshot_of(order).await;
        assert!(s.fulfilment.unwrap().address.unwrap().detail.is_empty());
    }
}
