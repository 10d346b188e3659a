//! Auto-completion and settlement in the jobs pass, on Postgres with a manual clock and order
//! rows written as SQL fixtures (no peer is called: neither job talks to catalog or membership).

use std::sync::Arc;

use chrono::Duration;
use sea_orm::{ConnectionTrait, Statement, Value};
use siyu_core::{ManualClock, TenantId};
use siyu_orders::app::App;
use siyu_orders::peers::Peers;
use siyu_orders::settings::PeerSettings;
use siyu_orders_migration::Migrator;
use siyu_testkit::TestDb;
use uuid::Uuid;

use crate::pay_harness::START;

const DAY_MS: i64 = 86_400_000;

struct J {
    db: TestDb,
    app: App,
    clock: ManualClock,
    tenant: TenantId,
}

impl J {
    async fn start() -> Self {
        let db = TestDb::postgres::<Migrator>().await.unwrap();
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

    fn now(&self) -> i64 {
        self.app.now_ms()
    }

    async fn exec(&self, sql: &str, values: Vec<Value>) {
        let b = self.db.db.get_database_backend();
        self.db
            .db
            .execute_raw(Statement::from_sql_and_values(b, sql, values))
            .await
            .unwrap();
    }

    async fn scalar(&self, sql: &str, values: Vec<Value>) -> Option<i64> {
        let b = self.db.db.get_database_backend();
        let row = self
            .db
            .db
            .query_one_raw(Statement::from_sql_and_values(b, sql, values))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<Option<i64>>(0)
            .or_else(|_| row.try_get_by_index::<i16>(0).map(|n| Some(i64::from(n))))
            .unwrap()
    }

    /// A goods order in `status` with the given deadlines.
    async fn order(
        &self,
        status: i16,
        after_sale_state: i16,
        auto_complete_at: Option<i64>,
        after_sale_deadline: Option<i64>,
    ) -> Uuid {
        let id = siyu_core::id::new();
        let no = format!("SY{}", &id.simple().to_string()[12..]);
        let now = self.now();
        self.exec(
            "INSERT INTO ord_orders (tenant, id, order_no, kind, user_id, status, after_sale_state,
                payable_fen, paid_fen, paid_at_ms, auto_complete_at_ms, after_sale_deadline_ms,
                completed_at_ms, detail, created_at_ms, updated_at_ms)
             VALUES ($1, $2, $3, 1, $4, $5, $6, 1000, 1000, $7, $8, $9, $10, '', $7, $7)",
            vec![
                Value::Uuid(Some(self.tenant.0)),
                Value::Uuid(Some(id)),
                no.into(),
                Value::Uuid(Some(siyu_core::id::new())),
                status.into(),
                after_sale_state.into(),
                now.into(),
                auto_complete_at.into(),
                after_sale_deadline.into(),
                after_sale_deadline.map(|_| now).into(),
            ],
        )
        .await;
        id
    }

    async fn column(&self, order: Uuid, column: &str) -> Option<i64> {
        self.scalar(
            &format!("SELECT {column} FROM ord_orders WHERE id = $1"),
            vec![Value::Uuid(Some(order))],
        )
        .await
    }

    async fn entries(&self, order: Uuid, kind: i16) -> Option<i64> {
        self.scalar(
            "SELECT COUNT(*) FROM ord_timeline WHERE order_id = $1 AND kind = $2",
            vec![Value::Uuid(Some(order)), kind.into()],
        )
        .await
    }

    async fn events(&self, subject: &str) -> Option<i64> {
        self.scalar(
            "SELECT COUNT(*) FROM siyu_outbox WHERE subject = $1",
            vec![subject.into()],
        )
        .await
    }
}

#[tokio::test]
async fn shipped_orders_complete_at_their_time_and_settle_after_the_window() {
    let j = J::start().await;
    let at = j.now() + 7 * DAY_MS;
    let shipped = j.order(4, 1, Some(at), None).await;

    let pass = j.app.run_jobs_pass().await.unwrap();
    assert_eq!((pass.auto_completed, pass.settled), (0, 0));
    assert_eq!(j.column(shipped, "status").await, Some(4));

    j.clock.advance(Duration::days(7));
    let pass = j.app.run_jobs_pass().await.unwrap();
    assert_eq!((pass.auto_completed, pass.settled), (1, 0));
    assert_eq!(j.column(shipped, "status").await, Some(6));
    let completed = j.column(shipped, "completed_at_ms").await.unwrap();
    assert_eq!(completed, j.now());
    // The default after-sales window: 7 days.
    assert_eq!(
        j.column(shipped, "after_sale_deadline_ms").await,
        Some(completed + 7 * DAY_MS)
    );
    assert_eq!(j.entries(shipped, 8).await, Some(1));
    assert_eq!(j.events("orders.order_completed").await, Some(1));

    // The window is still open a second before its end.
    j.clock.advance(Duration::days(7) - Duration::seconds(1));
    assert_eq!(j.app.run_jobs_pass().await.unwrap().settled, 0);
    assert_eq!(j.column(shipped, "settled_at_ms").await, None);

    j.clock.advance(Duration::seconds(1));
    assert_eq!(j.app.run_jobs_pass().await.unwrap().settled, 1);
    assert_eq!(j.column(shipped, "settled_at_ms").await, Some(j.now()));
    assert_eq!(j.column(shipped, "status").await, Some(6));
    assert_eq!(j.entries(shipped, 19).await, Some(1));
    assert_eq!(j.events("orders.order_settled").await, Some(1));

    // Settling is done once.
    j.clock.advance(Duration::days(1));
    assert_eq!(j.app.run_jobs_pass().await.unwrap().settled, 0);
    assert_eq!(j.events("orders.order_settled").await, Some(1));
}

#[tokio::test]
async fn an_open_case_holds_settlement_and_the_window_follows_the_settings() {
    let j = J::start().await;
    let past = j.now() - 1;
    let open_case = j.order(6, 2, None, Some(past)).await;
    let clear = j.order(6, 3, None, Some(past)).await;
    let not_shipped = j.order(2, 1, None, None).await;

    let pass = j.app.run_jobs_pass().await.unwrap();
    assert_eq!(pass.settled, 1);
    assert_eq!(j.column(open_case, "settled_at_ms").await, None);
    assert!(j.column(clear, "settled_at_ms").await.is_some());
    assert_eq!(j.column(not_shipped, "status").await, Some(2));

    // A tenant with a 2-day window and 3-day auto-completion.
    j.exec(
        "INSERT INTO ord_settings (tenant, body, version, updated_at_ms)
         VALUES ($1, $2, 1, 0)",
        vec![
            Value::Uuid(Some(j.tenant.0)),
            r#"{"afterSaleWindowDays":2,"autoCompleteDays":3}"#.into(),
        ],
    )
    .await;
    let shipped = j.order(4, 1, Some(j.now()), None).await;
    assert_eq!(j.app.run_jobs_pass().await.unwrap().auto_completed, 1);
    let completed = j.column(shipped, "completed_at_ms").await.unwrap();
    assert_eq!(
        j.column(shipped, "after_sale_deadline_ms").await,
        Some(completed + 2 * DAY_MS)
    );
}
