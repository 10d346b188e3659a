//! StorefrontService: Chinese keyword search on Postgres (trigram + short ILIKE) and SQLite
//! (LIKE), filters on the final unit price, sorts, stable paging, detail, nearby stores, bad
//! input and tenant isolation.

use std::collections::BTreeSet;

use siyu_core::PrincipalKind;
use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::storefront_service_client::StorefrontServiceClient;
use siyu_proto::common::v1::{GeoPoint, PageRequest};
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::{H, Tenant, cny, field, product_msg, reason, with};

fn shop(h: &H) -> StorefrontServiceClient<Channel> {
    StorefrontServiceClient::new(h.channel.clone())
}

/// A catalogue: products (title, [(colour, price)]) published in `category`.
struct Shop {
    t: Tenant,
    consumer: String,
    root_cat: String,
    child_cat: String,
    ids: std::collections::HashMap<String, pb::Product>,
}

/// (title, [(colour, price)], in the child category).
type Entry = (&'static str, &'static [(&'static str, i64)], bool);

const CATALOGUE: &[Entry] = &[
    ("保湿面膜", &[("", 5_900)], false),
    ("玻尿酸补水面膜10片", &[("", 3_900)], false),
    (
        "滋润口红 正红色",
        &[("正红", 12_900), ("豆沙", 13_900)],
        false,
    ),
    ("运动鞋 男款", &[("", 39_900)], true),
    ("运动鞋 女款", &[("", 35_900)], true),
];

impl Shop {
    async fn new(h: &H) -> Self {
        let t = Tenant::new(h).await;
        let consumer = h.token(t.id, PrincipalKind::Consumer, &[], &[]);
        let root = h.category(&t.admin, "美妆", "").await;
        let child = h.category(&t.admin, "鞋靴", &root.category_id).await;
        let mut s = Self {
            t,
            consumer,
            root_cat: root.category_id,
            child_cat: child.category_id,
            ids: Default::default(),
        };
        for (title, skus, in_child) in CATALOGUE {
            let cat = if *in_child {
                s.child_cat.clone()
            } else {
                s.root_cat.clone()
            };
            s.add(h, &cat, title, skus, true).await;
        }
        // Never listed: a draft and an off-sale product that would match "面膜".
        s.add(h, &s.root_cat.clone(), "面膜 草稿", &[("", 100)], false)
            .await;
        let off = s
            .add(h, &s.root_cat.clone(), "面膜 下架", &[("", 100)], true)
            .await;
        h.catalog()
            .unpublish_product(with(
                pb::UnpublishProductRequest {
                    product_id: off.product_id,
                    ..Default::default()
                },
                &s.t.admin,
            ))
            .await
            .unwrap();
        s
    }

    async fn add(
        &mut self,
        h: &H,
        cat: &str,
        title: &str,
        skus: &[(&str, i64)],
        publish: bool,
    ) -> pb::Product {
        let p = h
            .catalog()
            .create_product(with(
                pb::CreateProductRequest {
                    product: Some(product_msg(cat, title, skus)),
                },
                &self.t.admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .product
            .unwrap();
        if publish {
            h.catalog()
                .publish_product(with(
                    pb::PublishProductRequest {
                        product_id: p.product_id.clone(),
                    },
                    &self.t.admin,
                ))
                .await
                .unwrap();
        }
        self.ids.insert(title.to_owned(), p.clone());
        p
    }

    fn sku(&self, title: &str) -> uuid::Uuid {
        self.ids[title].skus[0].sku_id.parse().unwrap()
    }
}

async fn search(
    h: &H,
    token: &str,
    req: pb::SearchProductsRequest,
) -> Result<pb::SearchProductsResponse, tonic::Status> {
    shop(h)
        .search_products(with(req, token))
        .await
        .map(tonic::Response::into_inner)
}

fn titles(r: &pb::SearchProductsResponse) -> Vec<String> {
    r.products.iter().map(|p| p.title.clone()).collect()
}

fn q(query: &str) -> pb::SearchProductsRequest {
    pb::SearchProductsRequest {
        query: query.into(),
        ..Default::default()
    }
}

async fn keyword_table(h: &H) {
    let s = Shop::new(h).await;
    let rows: &[(&str, &[&str])] = &[
        ("面膜", &["保湿面膜", "玻尿酸补水面膜10片"]),
        ("口红", &["滋润口红 正红色"]),
        ("豆沙", &["滋润口红 正红色"]),
        ("运动鞋", &["运动鞋 女款", "运动鞋 男款"]),
        ("运动鞋 男款", &["运动鞋 男款"]),
        ("保湿面膜", &["保湿面膜"]),
        ("补水面膜", &["玻尿酸补水面膜10片"]),
        ("  口红  ", &["滋润口红 正红色"]),
        ("不存在的商品", &[]),
        ("%", &[]),
    ];
    for (query, want) in rows {
        let got: BTreeSet<String> = titles(&search(h, &s.consumer, q(query)).await.unwrap())
            .into_iter()
            .collect();
        let want: BTreeSet<String> = want.iter().map(|t| (*t).to_owned()).collect();
        assert_eq!(got, want, "query {query:?}");
    }
    // Relevance: the exact title match ranks first.
    let r = search(h, &s.consumer, q("保湿面膜")).await.unwrap();
    assert_eq!(titles(&r)[0], "保湿面膜");
    assert_eq!(r.estimated_total, 1);
    // Category browse includes descendants; the child alone has only the shoes.
    let browse = |cat: &str| pb::SearchProductsRequest {
        category_id: cat.into(),
        ..Default::default()
    };
    assert_eq!(
        search(h, &s.consumer, browse(&s.root_cat))
            .await
            .unwrap()
            .products
            .len(),
        5
    );
    assert_eq!(
        search(h, &s.consumer, browse(&s.child_cat))
            .await
            .unwrap()
            .products
            .len(),
        2
    );
}

#[tokio::test]
async fn chinese_keywords_match_on_postgres_short_and_long() {
    keyword_table(&H::pg().await).await;
}

#[tokio::test]
async fn chinese_keywords_match_on_the_sqlite_like_fallback() {
    keyword_table(&H::sqlite().await).await;
}

#[tokio::test]
async fn price_filter_and_sorts_use_the_final_unit_price() {
    let h = H::pg().await;
    let s = Shop::new(&h).await;
    let by = |sort: pb::ProductSort| pb::SearchProductsRequest {
        sort: sort as i32,
        ..Default::default()
    };
    let asc = titles(
        &search(&h, &s.consumer, by(pb::ProductSort::PriceAsc))
            .await
            .unwrap(),
    );
    assert_eq!(
        asc,
        [
            "玻尿酸补水面膜10片",
            "保湿面膜",
            "滋润口红 正红色",
            "运动鞋 女款",
            "运动鞋 男款"
        ]
    );
    let mut desc = titles(
        &search(&h, &s.consumer, by(pb::ProductSort::PriceDesc))
            .await
            .unwrap(),
    );
    desc.reverse();
    assert_eq!(desc, asc);
    let newest = titles(
        &search(&h, &s.consumer, by(pb::ProductSort::Newest))
            .await
            .unwrap(),
    );
    assert_eq!(newest.len(), 5);
    // Cards: the lipstick spans two SKUs.
    let r = search(&h, &s.consumer, q("口红")).await.unwrap();
    assert_eq!(r.products[0].min_unit_price, cny(12_900));
    assert_eq!(r.products[0].max_unit_price, cny(13_900));
    // Range on the unit price: 50..130 yuan.
    let range = |tier: &str, bps: i32, lo: i64, hi: i64| pb::SearchProductsRequest {
        min_price: cny(lo),
        max_price: cny(hi),
        tier_code: tier.into(),
        tier_discount_bps: bps,
        sort: pb::ProductSort::PriceAsc as i32,
        ..Default::default()
    };
    let got = titles(
        &search(&h, &s.consumer, range("", 0, 5_000, 13_000))
            .await
            .unwrap(),
    );
    assert_eq!(got, ["保湿面膜", "滋润口红 正红色"]);
    // With a 50 % tier discount the women's shoes (359 → 179.50) fall under 190 yuan: the
    // stored sale price alone would have excluded them.
    let got = titles(
        &search(&h, &s.consumer, range("gold", 5_000, 15_000, 19_000))
            .await
            .unwrap(),
    );
    assert_eq!(got, ["运动鞋 女款"]);
    let r = search(&h, &s.consumer, range("gold", 5_000, 15_000, 19_000))
        .await
        .unwrap();
    assert!(r.products[0].member_priced);
    assert_eq!(r.products[0].min_unit_price, cny(17_950));
    // The same filter with the sales sort (streamed path) agrees.
    let mut req = range("gold", 5_000, 15_000, 19_000);
    req.sort = pb::ProductSort::Sales as i32;
    assert_eq!(
        titles(&search(&h, &s.consumer, req).await.unwrap()),
        ["运动鞋 女款"]
    );
}

#[tokio::test]
async fn stock_filters_at_a_store_and_for_delivery() {
    let h = H::pg().await;
    let s = Shop::new(&h).await;
    let store = s.t.store(&h, 31.23).await;
    s.t.receive(&h, store, s.sku("保湿面膜"), 3).await;
    let at_store = pb::SearchProductsRequest {
        store_id: store.to_string(),
        in_stock_at_store: true,
        ..Default::default()
    };
    let r = search(&h, &s.consumer, at_store).await.unwrap();
    assert_eq!(titles(&r), ["保湿面膜"]);
    assert!(r.products[0].in_stock);
    let delivery = |lat: f64| pb::SearchProductsRequest {
        in_stock_for_delivery: true,
        delivery_location: Some(GeoPoint {
            latitude: lat,
            longitude: 121.47,
        }),
        ..Default::default()
    };
    // 1 km away: inside the store's 5 km radius. 50 km away: nothing delivers.
    assert_eq!(
        titles(&search(&h, &s.consumer, delivery(31.24)).await.unwrap()),
        ["保湿面膜"]
    );
    assert!(
        search(&h, &s.consumer, delivery(31.68))
            .await
            .unwrap()
            .products
            .is_empty()
    );
}

#[tokio::test]
async fn paging_is_stable_and_tokens_are_bound_to_the_query() {
    let h = H::pg().await;
    let mut s = Shop::new(&h).await;
    for i in 0..7 {
        let cat = s.root_cat.clone();
        s.add(
            &h,
            &cat,
            &format!("面膜 第{i}款"),
            &[("", 1_000 + i64::from(i) * 100)],
            true,
        )
        .await;
    }
    for sort in [
        pb::ProductSort::Relevance,
        pb::ProductSort::PriceAsc,
        pb::ProductSort::Newest,
        pb::ProductSort::Sales,
    ] {
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let r = search(
                &h,
                &s.consumer,
                pb::SearchProductsRequest {
                    query: "面膜".into(),
                    sort: sort as i32,
                    page: Some(PageRequest {
                        page_size: 2,
                        page_token: token.clone(),
                    }),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            assert!(r.products.len() <= 2);
            seen.extend(r.products.iter().map(|p| p.product_id.clone()));
            token = r.page.unwrap().next_page_token;
            if token.is_empty() {
                break;
            }
        }
        let distinct: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(seen.len(), 9, "{sort:?}");
        assert_eq!(distinct.len(), 9, "{sort:?}: a product appeared twice");
    }
    let first = search(
        &h,
        &s.consumer,
        pb::SearchProductsRequest {
            query: "面膜".into(),
            page: Some(PageRequest {
                page_size: 2,
                page_token: String::new(),
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let token = first.page.unwrap().next_page_token;
    let err = search(
        &h,
        &s.consumer,
        pb::SearchProductsRequest {
            query: "口红".into(),
            page: Some(PageRequest {
                page_size: 2,
                page_token: token,
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        (err.code(), field(&err).as_str()),
        (Code::InvalidArgument, "page")
    );
}

#[tokio::test]
async fn bad_search_and_nearby_input_is_refused_with_the_field() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let c = h.token(t.id, PrincipalKind::Consumer, &[], &[]);
    let rows: Vec<(pb::SearchProductsRequest, &str)> = vec![
        (q(&"面".repeat(51)), "query"),
        (
            pb::SearchProductsRequest {
                min_price: cny(500),
                max_price: cny(100),
                ..Default::default()
            },
            "min_price",
        ),
        (
            pb::SearchProductsRequest {
                page: Some(PageRequest {
                    page_size: 2,
                    page_token: "garbage".into(),
                }),
                ..Default::default()
            },
            "page",
        ),
        (
            pb::SearchProductsRequest {
                in_stock_at_store: true,
                ..Default::default()
            },
            "store_id",
        ),
        (
            pb::SearchProductsRequest {
                store_id: "x".into(),
                ..Default::default()
            },
            "store_id",
        ),
        (
            pb::SearchProductsRequest {
                sort: 99,
                ..Default::default()
            },
            "sort",
        ),
        (
            pb::SearchProductsRequest {
                tier_discount_bps: 10_001,
                ..Default::default()
            },
            "tier_discount_bps",
        ),
    ];
    for (req, want) in rows {
        let err = search(&h, &c, req).await.unwrap_err();
        assert_eq!(
            (err.code(), field(&err)),
            (Code::InvalidArgument, want.to_owned())
        );
    }
    // 50 characters is fine.
    search(&h, &c, q(&"面".repeat(50))).await.unwrap();
    let near = |lat: f64, lng: f64, radius: i32| pb::ListNearbyStoresRequest {
        location: Some(GeoPoint {
            latitude: lat,
            longitude: lng,
        }),
        radius_meters: radius,
        ..Default::default()
    };
    let rows: Vec<(pb::ListNearbyStoresRequest, &str)> = vec![
        (near(91.0, 0.0, 0), "location"),
        (near(0.0, 181.0, 0), "location"),
        (near(f64::NAN, 0.0, 0), "location"),
        (pb::ListNearbyStoresRequest::default(), "location"),
        (near(31.0, 121.0, 100_001), "radius_meters"),
        (near(31.0, 121.0, -1), "radius_meters"),
        (
            pb::ListNearbyStoresRequest {
                quantity: -1,
                ..near(31.0, 121.0, 0)
            },
            "quantity",
        ),
    ];
    for (req, want) in rows {
        let err = shop(&h)
            .list_nearby_stores(with(req, &c))
            .await
            .unwrap_err();
        assert_eq!(
            (err.code(), field(&err)),
            (Code::InvalidArgument, want.to_owned())
        );
    }
    let err = shop(&h)
        .get_product_detail(with(
            pb::GetProductDetailRequest {
                product_id: "x".into(),
                ..Default::default()
            },
            &c,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), field(&err)),
        (Code::InvalidArgument, "product_id".to_owned())
    );
}

#[tokio::test]
async fn product_detail_prices_sellable_skus_with_availability() {
    let h = H::pg().await;
    let s = Shop::new(&h).await;
    let store = s.t.store(&h, 31.23).await;
    let lipstick = &s.ids["滋润口红 正红色"];
    let red: uuid::Uuid = lipstick.skus[0].sku_id.parse().unwrap();
    s.t.receive(&h, store, red, 5).await;
    let d = shop(&h)
        .get_product_detail(with(
            pb::GetProductDetailRequest {
                product_id: lipstick.product_id.clone(),
                store_id: store.to_string(),
                tier_code: "gold".into(),
                tier_discount_bps: 9_000,
                delivery_location: Some(GeoPoint {
                    latitude: 31.24,
                    longitude: 121.47,
                }),
                ..Default::default()
            },
            &s.consumer,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(d.product.unwrap().skus.len(), 2);
    assert_eq!(d.skus.len(), 2);
    let a = d.skus.iter().find(|x| x.sku_id == red.to_string()).unwrap();
    assert_eq!(a.store_available, 5);
    assert!(a.delivery_available);
    assert_eq!(a.price.as_ref().unwrap().unit_price, cny(11_610));
    let other = d.skus.iter().find(|x| x.sku_id != red.to_string()).unwrap();
    assert_eq!(
        (other.store_available, other.delivery_available),
        (0, false)
    );
    // Drafts, off-sale products and unknown ids are all PRODUCT_NOT_FOUND.
    for title in ["面膜 草稿", "面膜 下架"] {
        let err = shop(&h)
            .get_product_detail(with(
                pb::GetProductDetailRequest {
                    product_id: s.ids[title].product_id.clone(),
                    ..Default::default()
                },
                &s.consumer,
            ))
            .await
            .unwrap_err();
        assert_eq!(
            (err.code(), reason(&err)),
            (Code::NotFound, "PRODUCT_NOT_FOUND".to_owned()),
            "{title}"
        );
    }
    // Not in the store's assortment: the store stops carrying the SKUs.
    h.exec("UPDATE cat_skus SET store_mode = 4", vec![]).await;
    let err = shop(&h)
        .get_product_detail(with(
            pb::GetProductDetailRequest {
                product_id: lipstick.product_id.clone(),
                store_id: store.to_string(),
                ..Default::default()
            },
            &s.consumer,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "PRODUCT_NOT_FOUND");
}

#[tokio::test]
async fn nearby_stores_are_distance_sorted_within_the_radius_with_a_sku_filter() {
    let h = H::pg().await;
    let s = Shop::new(&h).await;
    let near = s.t.store(&h, 31.231).await; // ~100 m
    let mid = s.t.store(&h, 31.25).await; // ~2.2 km
    let far = s.t.store(&h, 31.50).await; // ~30 km
    let sku = s.sku("运动鞋 男款");
    s.t.receive(&h, mid, sku, 3).await;
    s.t.receive(&h, near, sku, 1).await;
    let at = Some(GeoPoint {
        latitude: 31.23,
        longitude: 121.47,
    });
    let list = |req: pb::ListNearbyStoresRequest| {
        let h = &h;
        let c = s.consumer.clone();
        async move {
            shop(h)
                .list_nearby_stores(with(req, &c))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let ids = |r: &pb::ListNearbyStoresResponse| -> Vec<String> {
        r.stores
            .iter()
            .map(|s| s.store.as_ref().unwrap().location_id.clone())
            .collect()
    };
    let r = list(pb::ListNearbyStoresRequest {
        location: at,
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&r), [near.to_string(), mid.to_string()]);
    assert!(r.stores[0].distance_meters < r.stores[1].distance_meters);
    let r = list(pb::ListNearbyStoresRequest {
        location: at,
        radius_meters: 50_000,
        ..Default::default()
    })
    .await;
    assert_eq!(
        ids(&r),
        [near.to_string(), mid.to_string(), far.to_string()]
    );
    // Paging in distance order.
    let p1 = list(pb::ListNearbyStoresRequest {
        location: at,
        radius_meters: 50_000,
        page: Some(PageRequest {
            page_size: 2,
            page_token: String::new(),
        }),
        ..Default::default()
    })
    .await;
    let token = p1.page.unwrap().next_page_token;
    let p2 = list(pb::ListNearbyStoresRequest {
        location: at,
        radius_meters: 50_000,
        page: Some(PageRequest {
            page_size: 2,
            page_token: token,
        }),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&p2), [far.to_string()]);
    // Has the SKU: at least 2 units → only the mid store; with out-of-stock → all, with counts.
    let r = list(pb::ListNearbyStoresRequest {
        location: at,
        sku_id: sku.to_string(),
        quantity: 2,
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&r), [mid.to_string()]);
    assert_eq!(r.stores[0].available, 3);
    let r = list(pb::ListNearbyStoresRequest {
        location: at,
        sku_id: sku.to_string(),
        quantity: 2,
        include_out_of_stock: true,
        ..Default::default()
    })
    .await;
    let avail: Vec<i32> = r.stores.iter().map(|s| s.available).collect();
    assert_eq!(avail, [1, 3]);
}

#[tokio::test]
async fn another_tenant_sees_nothing_through_the_storefront() {
    let h = H::pg().await;
    let a = Shop::new(&h).await;
    let store_a = a.t.store(&h, 31.23).await;
    let b = Tenant::new(&h).await;
    let cb = h.token(b.id, PrincipalKind::Consumer, &[], &[]);
    assert!(
        search(&h, &cb, q("面膜"))
            .await
            .unwrap()
            .products
            .is_empty()
    );
    assert!(
        search(&h, &cb, pb::SearchProductsRequest::default())
            .await
            .unwrap()
            .products
            .is_empty()
    );
    let cat = pb::SearchProductsRequest {
        category_id: a.root_cat.clone(),
        ..Default::default()
    };
    assert!(search(&h, &cb, cat).await.unwrap().products.is_empty());
    let err = search(
        &h,
        &cb,
        pb::SearchProductsRequest {
            store_id: store_a.to_string(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err)),
        (Code::NotFound, "LOCATION_NOT_FOUND".to_owned())
    );
    let err = shop(&h)
        .get_product_detail(with(
            pb::GetProductDetailRequest {
                product_id: a.ids["保湿面膜"].product_id.clone(),
                ..Default::default()
            },
            &cb,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err)),
        (Code::NotFound, "PRODUCT_NOT_FOUND".to_owned())
    );
    let r = shop(&h)
        .list_nearby_stores(with(
            pb::ListNearbyStoresRequest {
                location: Some(GeoPoint {
                    latitude: 31.23,
                    longitude: 121.47,
                }),
                ..Default::default()
            },
            &cb,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(r.stores.is_empty());
    // Tenant A still sees its own.
    assert_eq!(
        search(&h, &a.consumer, q("面膜"))
            .await
            .unwrap()
            .products
            .len(),
        2
    );
}
