//! The storefront read model: random writes (prices, store prices, assortment, stock,
//! publication) leave it equal to what the pricing function computes from the source tables;
//! price sorts are exact across pages with no short page; SQLite serves reads from a pool
//! while reservations stay serialised.

use std::collections::BTreeSet;

use proptest::prelude::*;
use siyu_catalog::app::storefront::read_model;
use siyu_catalog::repo::storefront::read_model::{ModelRow, rows_of};
use siyu_core::{Clock, PrincipalKind};
use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::assortment_service_client::AssortmentServiceClient;
use siyu_proto::catalog::v1::price_service_client::PriceServiceClient;
use siyu_proto::catalog::v1::storefront_service_client::StorefrontServiceClient;
use siyu_proto::common::v1::PageRequest;
use uuid::Uuid;

use crate::harness::{H, Tenant, cny, reserve_req, with};

/// A tenant with two stores and three published two-SKU products.
struct World {
    t: Tenant,
    stores: Vec<Uuid>,
    products: Vec<Uuid>,
    skus: Vec<Uuid>,
}

impl World {
    async fn new(h: &H) -> Self {
        let t = Tenant::new(h).await;
        let stores = vec![t.store(h, 31.2).await, t.store(h, 31.3).await];
        let (mut products, mut skus) = (Vec::new(), Vec::new());
        for i in 0..3_i64 {
            let p = h
                .product(
                    &t.admin,
                    &format!("面膜 第{i}款"),
                    &[("红", 1_000 + i * 100), ("蓝", 2_000 + i * 100)],
                )
                .await;
            publish(h, &t.admin, &p.product_id, true).await;
            products.push(p.product_id.parse().unwrap());
            skus.extend(p.skus.iter().map(|s| s.sku_id.parse::<Uuid>().unwrap()));
        }
        Self {
            t,
            stores,
            products,
            skus,
        }
    }
}

async fn publish(h: &H, admin: &str, id: &str, on: bool) {
    let mut c = h.catalog();
    // Publishing an on-sale product or unpublishing an off-sale one may be refused: fine.
    let _ = if on {
        c.publish_product(with(
            pb::PublishProductRequest {
                product_id: id.into(),
            },
            admin,
        ))
        .await
        .map(|_| ())
    } else {
        c.unpublish_product(with(
            pb::UnpublishProductRequest {
                product_id: id.into(),
                ..Default::default()
            },
            admin,
        ))
        .await
        .map(|_| ())
    };
}

#[derive(Debug, Clone)]
enum Op {
    SalePrice(usize, i64),
    StorePrice(usize, usize, i64),
    DropStorePrice(usize, usize),
    Assortment(usize, bool, i32, bool),
    Receive(usize, usize, i32),
    Reserve(usize, usize, i32),
    Adjust(usize, usize, i32),
    Publish(usize, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..6usize, 100..5_000i64).prop_map(|(s, p)| Op::SalePrice(s, p)),
        (0..6usize, 0..2usize, 50..5_000i64).prop_map(|(s, st, p)| Op::StorePrice(s, st, p)),
        (0..6usize, 0..2usize).prop_map(|(s, st)| Op::DropStorePrice(s, st)),
        (0..6usize, any::<bool>(), 1..5i32, any::<bool>())
            .prop_map(|(s, o, m, f)| Op::Assortment(s, o, m, f)),
        (0..6usize, 0..2usize, 1..5i32).prop_map(|(s, st, q)| Op::Receive(s, st, q)),
        (0..6usize, 0..2usize, 1..5i32).prop_map(|(s, st, q)| Op::Reserve(s, st, q)),
        (0..6usize, 0..2usize, -4..4i32).prop_map(|(s, st, d)| Op::Adjust(s, st, d)),
        (0..3usize, any::<bool>()).prop_map(|(p, on)| Op::Publish(p, on)),
    ]
}

async fn apply(h: &H, w: &World, op: Op) {
    let (t, sku) = (&w.t, |i: usize| w.skus[i].to_string());
    let mut prices = PriceServiceClient::new(h.channel.clone());
    match op {
        Op::SalePrice(s, p) => {
            prices
                .set_sku_prices(with(
                    pb::SetSkuPricesRequest {
                        sku_id: sku(s),
                        list_price: None,
                        sale_price: cny(p),
                        member_prices: vec![],
                    },
                    &t.admin,
                ))
                .await
                .unwrap();
        }
        Op::StorePrice(s, st, p) => {
            prices
                .set_store_prices(with(
                    pb::SetStorePricesRequest {
                        prices: vec![pb::StorePrice {
                            sku_id: sku(s),
                            store_id: w.stores[st].to_string(),
                            price: cny(p),
                            valid_from: None,
                            valid_until: None,
                        }],
                    },
                    &t.admin,
                ))
                .await
                .unwrap();
        }
        Op::DropStorePrice(s, st) => {
            prices
                .delete_store_prices(with(
                    pb::DeleteStorePricesRequest {
                        keys: vec![pb::SkuStoreKey {
                            sku_id: sku(s),
                            store_id: w.stores[st].to_string(),
                        }],
                    },
                    &t.admin,
                ))
                .await
                .unwrap();
        }
        Op::Assortment(s, online, mode, first) => {
            let store = w.stores[usize::from(!first)].to_string();
            AssortmentServiceClient::new(h.channel.clone())
                .set_assortment(with(
                    pb::SetAssortmentRequest {
                        product_id: String::new(),
                        template: None,
                        assortments: vec![pb::SkuAssortment {
                            sku_id: sku(s),
                            online,
                            store_mode: mode,
                            store_ids: vec![store],
                        }],
                    },
                    &t.admin,
                ))
                .await
                .unwrap();
        }
        Op::Receive(s, st, q) => t.receive(h, w.stores[st], w.skus[s], q).await,
        Op::Reserve(s, st, q) => {
            let order = siyu_core::id::new();
            let _ = h
                .client()
                .reserve_stock(with(
                    reserve_req(order, w.stores[st], &[(w.skus[s], q)]),
                    &t.service,
                ))
                .await;
        }
        Op::Adjust(s, st, d) => {
            let _ = h
                .client()
                .adjust_stock(with(
                    pb::AdjustStockRequest {
                        location_id: w.stores[st].to_string(),
                        sku_id: sku(s),
                        change: Some(pb::adjust_stock_request::Change::Delta(d)),
                        reason: pb::AdjustReason::Damaged as i32,
                        note: String::new(),
                        expected_version: 0,
                    },
                    &t.admin,
                ))
                .await;
        }
        Op::Publish(p, on) => publish(h, &t.admin, &w.products[p].to_string(), on).await,
    }
}

fn sorted(mut rows: Vec<ModelRow>) -> Vec<ModelRow> {
    rows.sort_by_key(|r| (r.product_id, r.scope, r.channel));
    rows
}

/// The stored rows of every product equal the rows computed from the source tables now.
async fn assert_model_matches_sources(h: &H, w: &World) {
    let now = h.clock.now().timestamp_millis();
    let (computed, _) = read_model::compute(&h.db.db, w.t.id, &w.products, now)
        .await
        .unwrap();
    let mut stored = Vec::new();
    for p in &w.products {
        stored.extend(rows_of(&h.db.db, w.t.id, *p).await.unwrap());
    }
    assert_eq!(sorted(stored), sorted(computed));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, .. ProptestConfig::default() })]
    #[test]
    fn random_writes_keep_the_read_model_equal_to_the_source_tables(ops in proptest::collection::vec(op(), 1..30)) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let h = H::sqlite().await;
            let w = World::new(&h).await;
            assert_model_matches_sources(&h, &w).await;
            for op in ops {
                apply(&h, &w, op).await;
            }
            assert_model_matches_sources(&h, &w).await;
        });
    }
}

/// Price sorts at a store with a range filter: every page but the last is full, prices are
/// monotonic across pages and the pages together are exactly the products in range.
#[tokio::test]
async fn price_sorts_are_exact_across_pages_and_pages_are_full() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let consumer = h.token(t.id, PrincipalKind::Consumer, &[], &[]);
    let store = t.store(&h, 31.2).await;
    let mut want = BTreeSet::new();
    let mut prices = PriceServiceClient::new(h.channel.clone());
    for i in 0..24_i64 {
        // Sale prices descend with i, store prices ascend: the store's order is the reverse.
        let p = h
            .product(&t.admin, &format!("口红 {i}"), &[("", 10_000 - i * 100)])
            .await;
        publish(&h, &t.admin, &p.product_id, true).await;
        let store_price = 1_000 + i * 50;
        prices
            .set_store_prices(with(
                pb::SetStorePricesRequest {
                    prices: vec![pb::StorePrice {
                        sku_id: p.skus[0].sku_id.clone(),
                        store_id: store.to_string(),
                        price: cny(store_price),
                        valid_from: None,
                        valid_until: None,
                    }],
                },
                &t.admin,
            ))
            .await
            .unwrap();
        // The filter keeps 1,200..=1,900 (i = 4..=18): most candidates are dropped.
        if (1_200..=1_900).contains(&store_price) {
            want.insert((store_price, p.product_id.clone()));
        }
    }
    for sort in [pb::ProductSort::PriceAsc, pb::ProductSort::PriceDesc] {
        let (mut seen, mut token) = (Vec::new(), String::new());
        loop {
            let r = StorefrontServiceClient::new(h.channel.clone())
                .search_products(with(
                    pb::SearchProductsRequest {
                        store_id: store.to_string(),
                        min_price: cny(1_200),
                        max_price: cny(1_900),
                        sort: sort as i32,
                        page: Some(PageRequest {
                            page_size: 4,
                            page_token: token.clone(),
                        }),
                        ..Default::default()
                    },
                    &consumer,
                ))
                .await
                .unwrap()
                .into_inner();
            token = r.page.unwrap().next_page_token;
            if !token.is_empty() {
                assert_eq!(
                    r.products.len(),
                    4,
                    "{sort:?}: a short page with a next token"
                );
            }
            seen.extend(r.products.iter().map(|p| {
                (
                    p.min_unit_price.as_ref().unwrap().minor_units,
                    p.product_id.clone(),
                )
            }));
            if token.is_empty() {
                break;
            }
        }
        let prices: Vec<i64> = seen.iter().map(|s| s.0).collect();
        let mut expected: Vec<i64> = want.iter().map(|w| w.0).collect();
        if sort == pb::ProductSort::PriceDesc {
            expected.reverse();
        }
        assert_eq!(prices, expected, "{sort:?}");
        assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), want, "{sort:?}");
    }
}

/// SQLite: storefront reads run on the reader pool while 24 concurrent reservations of one
/// unit race for 10 units: exactly 10 succeed, and every search answers.
#[tokio::test]
async fn sqlite_reads_run_beside_serialised_reservations() {
    let h = H::sqlite().await;
    let w = World::new(&h).await;
    let (store, sku) = (w.stores[0], w.skus[0]);
    w.t.receive(&h, store, sku, 10).await;
    let consumer = h.token(w.t.id, PrincipalKind::Consumer, &[], &[]);
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let (mut c, service) = (h.client(), w.t.service.clone());
        tasks.push(tokio::spawn(async move {
            c.reserve_stock(with(
                reserve_req(siyu_core::id::new(), store, &[(sku, 1)]),
                &service,
            ))
            .await
            .is_ok()
        }));
        let (mut shop, consumer) = (
            StorefrontServiceClient::new(h.channel.clone()),
            consumer.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let r = shop
                .search_products(with(
                    pb::SearchProductsRequest {
                        query: "面膜".into(),
                        store_id: store.to_string(),
                        ..Default::default()
                    },
                    &consumer,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(r.products.len(), 3);
            false
        }));
    }
    let mut reserved = 0;
    for t in tasks {
        reserved += usize::from(t.await.unwrap());
    }
    assert_eq!(reserved, 10);
    crate::harness::assert_invariants(&h).await;
    assert_model_matches_sources(&h, &w).await;
}

/// A store price valid for an hour: its row carries the window's end, and once the clock has
/// passed it the next search at the store reprices the product back to the sale price.
#[tokio::test]
async fn a_store_price_window_ending_reprices_the_read_model() {
    let h = H::pg().await;
    let w = World::new(&h).await;
    let consumer = h.token(w.t.id, PrincipalKind::Consumer, &[], &[]);
    let (store, product) = (w.stores[0], w.products[0]);
    let now = h.clock.now();
    PriceServiceClient::new(h.channel.clone())
        .set_store_prices(with(
            pb::SetStorePricesRequest {
                prices: vec![pb::StorePrice {
                    sku_id: w.skus[0].to_string(),
                    store_id: store.to_string(),
                    price: cny(10),
                    valid_from: None,
                    valid_until: Some(prost_types::Timestamp {
                        seconds: now.timestamp() + 3_600,
                        nanos: 0,
                    }),
                }],
            },
            &w.t.admin,
        ))
        .await
        .unwrap();
    let cheapest = |h: &H| {
        let (mut shop, consumer) = (
            StorefrontServiceClient::new(h.channel.clone()),
            consumer.clone(),
        );
        async move {
            let r = shop
                .search_products(with(
                    pb::SearchProductsRequest {
                        store_id: store.to_string(),
                        sort: pb::ProductSort::PriceAsc as i32,
                        ..Default::default()
                    },
                    &consumer,
                ))
                .await
                .unwrap()
                .into_inner();
            let p = &r.products[0];
            (
                p.product_id.clone(),
                p.min_unit_price.as_ref().unwrap().minor_units,
            )
        }
    };
    assert_eq!(cheapest(&h).await, (product.to_string(), 10));
    h.clock.advance(chrono::Duration::seconds(3_601));
    // Product 0's cheapest SKU is back at its sale price, 1,000 fen: still the cheapest.
    assert_eq!(cheapest(&h).await, (product.to_string(), 1_000));
    assert_model_matches_sources(&h, &w).await;
}

/// Writes that are not prices or stock: a store opened after the products, a retitled
/// product and a moved category all leave the model equal to the source tables, and the
/// new title is searchable at the new store.
#[tokio::test]
async fn new_stores_titles_and_category_moves_reach_the_read_model() {
    let h = H::pg().await;
    let w = World::new(&h).await;
    let consumer = h.token(w.t.id, PrincipalKind::Consumer, &[], &[]);
    let late_store = w.t.store(&h, 31.4).await;
    let mut catalog = h.catalog();
    catalog
        .update_product(with(
            pb::UpdateProductRequest {
                product: Some(pb::Product {
                    product_id: w.products[1].to_string(),
                    title: "玫瑰口红".into(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["title".into()],
                }),
            },
            &w.t.admin,
        ))
        .await
        .unwrap();
    let parent = h.category(&w.t.admin, "新品", "").await;
    let moved = catalog
        .get_product(with(
            pb::GetProductRequest {
                product_id: w.products[2].to_string(),
            },
            &w.t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .product
        .unwrap()
        .category_id;
    catalog
        .move_category(with(
            pb::MoveCategoryRequest {
                category_id: moved,
                new_parent_id: parent.category_id.clone(),
                sort_order: 0,
            },
            &w.t.admin,
        ))
        .await
        .unwrap();
    assert_model_matches_sources(&h, &w).await;
    let mut shop = StorefrontServiceClient::new(h.channel.clone());
    let found = shop
        .search_products(with(
            pb::SearchProductsRequest {
                query: "口红".into(),
                store_id: late_store.to_string(),
                ..Default::default()
            },
            &consumer,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        found
            .products
            .iter()
            .map(|p| p.title.as_str())
            .collect::<Vec<_>>(),
        vec!["玫瑰口红"]
    );
    let browsed = shop
        .search_products(with(
            pb::SearchProductsRequest {
                category_id: parent.category_id,
                ..Default::default()
            },
            &consumer,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        browsed
            .products
            .iter()
            .map(|p| p.product_id.clone())
            .collect::<Vec<_>>(),
        vec![w.products[2].to_string()]
    );
}

/// Eight concurrent store-price changes, each on another SKU of one product (no write of
/// the product row itself): every one succeeds and the model reflects all of them, because
/// refreshes of one product are serialised by its row lock.
#[tokio::test]
async fn concurrent_price_changes_of_one_product_all_reach_the_read_model() {
    let h = H::pg().await;
    let mut w = World::new(&h).await;
    let colours = ["红", "橙", "黄", "绿", "青", "蓝", "紫", "白"];
    let skus: Vec<(&str, i64)> = colours.iter().map(|c| (*c, 5_000)).collect();
    let p = h.product(&w.t.admin, "八色口红", &skus).await;
    publish(&h, &w.t.admin, &p.product_id, true).await;
    let product: Uuid = p.product_id.parse().unwrap();
    w.products.push(product);
    let store = w.stores[0];
    let mut tasks = Vec::new();
    for (i, s) in p.skus.iter().enumerate() {
        let (mut prices, admin, sku) = (
            PriceServiceClient::new(h.channel.clone()),
            w.t.admin.clone(),
            s.sku_id.clone(),
        );
        tasks.push(tokio::spawn(async move {
            prices
                .set_store_prices(with(
                    pb::SetStorePricesRequest {
                        prices: vec![pb::StorePrice {
                            sku_id: sku,
                            store_id: store.to_string(),
                            price: cny(1_000 + 100 * i64::try_from(i).unwrap()),
                            valid_from: None,
                            valid_until: None,
                        }],
                    },
                    &admin,
                ))
                .await
                .map(|_| ())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_model_matches_sources(&h, &w).await;
    let at_store = rows_of(&h.db.db, w.t.id, product)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.scope == store && r.channel == read_model::ONLINE)
        .unwrap();
    assert_eq!((at_store.unit_min, at_store.unit_max), (1_000, 1_700));
}
