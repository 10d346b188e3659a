//! What a storefront read costs on Postgres: transactions and rows read per call (from
//! `pg_stat_database` of the test database) on the demo catalogue (50 products, 100 SKUs, 5
//! stores with stock) plus 20,000 read-model rows that sort last, for a first and a second page
//! of 20, a keyword search and a product detail.

#![allow(
    clippy::print_stdout,
    reason = "the measured costs are the test's report"
)]

use sea_orm::ConnectionTrait;
use siyu_core::PrincipalKind;
use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::storefront_service_client::StorefrontServiceClient;
use siyu_proto::common::v1::PageRequest;

use crate::harness::{H, Tenant, product_msg, with};

/// Calls per measured request kind (costs are averaged over them).
const CALLS: i64 = 10;

/// Rows read per table so far (sequential + index fetches), for the breakdown.
async fn per_table(h: &H) -> std::collections::BTreeMap<String, i64> {
    let b = h.db.db.get_database_backend();
    let rows = h
        .db
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            b,
            "SELECT relname, CAST(COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0) AS BIGINT) AS n \
             FROM pg_stat_user_tables",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get_by_index::<String>(0).unwrap(),
                r.try_get_by_index::<i64>(1).unwrap(),
            )
        })
        .collect()
}

/// Transactions committed in the test database so far.
async fn stats(h: &H) -> (i64,) {
    // Backends flush their counters at most once a second and within 10 s when idle.
    tokio::time::sleep(std::time::Duration::from_millis(11_000)).await;
    let q = |col: &'static str| {
        format!(
            "SELECT CAST({col} AS BIGINT) FROM pg_stat_database WHERE datname = current_database()"
        )
    };
    (h.scalar(&q("xact_commit"), vec![]).await,)
}

/// The demo catalogue; returns the tenant, a consumer token, one product id and a store.
async fn demo(h: &H) -> (uuid::Uuid, String, String, uuid::Uuid) {
    let t = Tenant::new(h).await;
    let consumer = h.token(t.id, PrincipalKind::Consumer, &[], &[]);
    let cat = h.category(&t.admin, "美妆", "").await;
    let mut stores = Vec::new();
    for i in 0..5 {
        stores.push(t.store(h, 31.2 + f64::from(i) * 0.01).await);
    }
    let mut first = String::new();
    for i in 0..50_i64 {
        let title = if i % 2 == 0 {
            format!("补水面膜 第{i}款")
        } else {
            format!("滋润口红 第{i}号")
        };
        let p = h
            .catalog()
            .create_product(with(
                pb::CreateProductRequest {
                    product: Some(product_msg(
                        &cat.category_id,
                        &title,
                        &[("红", 1_000 + i * 37 % 900), ("蓝", 2_000 + i * 53 % 900)],
                    )),
                },
                &t.admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .product
            .unwrap();
        h.catalog()
            .publish_product(with(
                pb::PublishProductRequest {
                    product_id: p.product_id.clone(),
                },
                &t.admin,
            ))
            .await
            .unwrap();
        for s in &p.skus {
            for st in &stores {
                t.receive(h, *st, s.sku_id.parse().unwrap(), 5).await;
            }
        }
        if first.is_empty() {
            first = p.product_id.clone();
        }
    }
    (t.id.0, consumer, first, stores[0])
}

/// Per call: transactions, and rows read from user tables (sequential + index fetches), in
/// total and from the read model.
#[derive(Debug)]
#[allow(dead_code, reason = "reported through Debug")]
struct Cost {
    xacts: f64,
    rows: f64,
    model_rows: f64,
}

#[allow(clippy::cast_precision_loss, reason = "small counts")]
fn per_call(n: i64) -> f64 {
    n as f64 / CALLS as f64
}

async fn measure<F, Fut>(h: &H, mut call: F) -> Cost
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let before = stats(h).await;
    let tables = per_table(h).await;
    for _ in 0..CALLS {
        call().await;
    }
    let after = stats(h).await;
    let (mut rows, mut model_rows) = (0, 0);
    for (t, n) in per_table(h).await {
        let d = n - tables.get(&t).copied().unwrap_or(0);
        rows += d;
        if t == "cat_storefront" {
            model_rows += d;
        }
        if d > 0 {
            println!("  {t}: {} rows per call", d / CALLS);
        }
    }
    Cost {
        xacts: per_call(after.0 - before.0),
        rows: per_call(rows),
        model_rows: per_call(model_rows),
    }
}

/// 20,000 read-model rows in the same tenant, scope and channel that sort last, match no
/// keyword and sit in another category: a page must not read them.
async fn filler(h: &H, tenant: uuid::Uuid) {
    h.exec(
        "INSERT INTO cat_storefront (tenant, scope, channel, product_id, title, main_image, \
         category_path, search_text, newest, sales, unit_min, unit_max, in_stock, reprice_at_ms) \
         SELECT $1, $2, 1, md5(g::text)::uuid, 'filler', '', 'filler', 'filler', 0, 0, \
         1000000000, 1000000000, FALSE, NULL FROM generate_series(1, 20000) g",
        vec![
            sea_orm::Value::Uuid(Some(tenant)),
            sea_orm::Value::Uuid(Some(uuid::Uuid::nil())),
        ],
    )
    .await;
    h.exec("ANALYZE", vec![]).await;
}

#[tokio::test]
async fn storefront_reads_cost_a_bounded_number_of_rows() {
    let h = H::pg().await;
    let (tenant, consumer, product, store) = demo(&h).await;
    filler(&h, tenant).await;
    let shop = StorefrontServiceClient::new(h.channel.clone());
    let page = |query: &str, token: &str| pb::SearchProductsRequest {
        query: query.into(),
        sort: pb::ProductSort::PriceAsc as i32,
        page: Some(PageRequest {
            page_size: 20,
            page_token: token.into(),
        }),
        ..Default::default()
    };
    let first = shop
        .clone()
        .search_products(with(page("", ""), &consumer))
        .await
        .unwrap()
        .into_inner();
    let token = first.page.unwrap().next_page_token;
    let list = measure(&h, || {
        let (mut shop, req) = (shop.clone(), with(page("", ""), &consumer));
        async move {
            let r = shop.search_products(req).await.unwrap().into_inner();
            assert_eq!(r.products.len(), 20);
        }
    })
    .await;
    let second = measure(&h, || {
        let (mut shop, req) = (shop.clone(), with(page("", &token), &consumer));
        async move {
            let r = shop.search_products(req).await.unwrap().into_inner();
            assert_eq!(r.products.len(), 20);
        }
    })
    .await;
    let search = measure(&h, || {
        let (mut shop, req) = (shop.clone(), with(page("面膜", ""), &consumer));
        async move {
            let r = shop.search_products(req).await.unwrap().into_inner();
            assert_eq!(r.products.len(), 20);
        }
    })
    .await;
    let detail = measure(&h, || {
        let mut shop = shop.clone();
        let req = with(
            pb::GetProductDetailRequest {
                product_id: product.clone(),
                store_id: store.to_string(),
                ..Default::default()
            },
            &consumer,
        );
        async move {
            shop.get_product_detail(req).await.unwrap();
        }
    })
    .await;
    println!(
        "first page of 20: {list:?}\nsecond page: {second:?}\nsearch 面膜: {search:?}\ndetail: {detail:?}"
    );
    // A later page reads its 21 rows of the model (no count), whatever sorts after it.
    assert!(second.model_rows <= 21.0 + 5.0, "{second:?}");
    // A 2-character search starts from the terms index: its 25 matches (counted, ranked and
    // looked up by key), never the 20,050 rows of the scope.
    assert!(search.model_rows < 1_000.0, "{search:?}");
    // The first page also counts matches for "共 N 件": capped at 10,000 (index entries plus
    // their heap checks), not the 20,050 rows of the scope.
    assert!(list.model_rows <= 11_000.0, "{list:?}");
    // Transactions include the background work of the test database (autovacuum), so they
    // are reported, not asserted.
    assert!(detail.model_rows == 0.0, "{detail:?}");
}
