//! Guests (no token): the storefront, the category tree and PriceSkus in the tenant of the app
//! they name, as a consumer sees them but without member prices; a guest naming no app is told
//! to name one.

use siyu_core::PrincipalKind;
use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::price_service_client::PriceServiceClient;
use siyu_proto::catalog::v1::storefront_service_client::StorefrontServiceClient;
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::{H, Tenant, cny, field, guest, reason, with};

fn storefront(h: &H) -> StorefrontServiceClient<Channel> {
    StorefrontServiceClient::new(h.channel.clone())
}

fn prices(h: &H) -> PriceServiceClient<Channel> {
    PriceServiceClient::new(h.channel.clone())
}

/// A published product of `t` whose one SKU sells at 100 yuan, 80 for the gold tier.
async fn gold_priced(h: &H, t: &Tenant) -> pb::Product {
    let p = h.product(&t.admin, "面膜", &[("", 10_000)]).await;
    prices(h)
        .set_sku_prices(with(
            pb::SetSkuPricesRequest {
                sku_id: p.skus[0].sku_id.clone(),
                sale_price: cny(10_000),
                member_prices: vec![pb::TierPrice {
                    tier_code: "gold".into(),
                    price: cny(8_000),
                }],
                ..Default::default()
            },
            &t.admin,
        ))
        .await
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
    p
}

/// The ids of the tree's roots.
async fn roots(h: &H, req: tonic::Request<pb::GetCategoryTreeRequest>) -> Vec<String> {
    let nodes = h
        .catalog()
        .get_category_tree(req)
        .await
        .unwrap()
        .into_inner()
        .nodes;
    nodes
        .into_iter()
        .map(|n| n.category.unwrap().category_id)
        .collect()
}

fn gold_search() -> pb::SearchProductsRequest {
    pb::SearchProductsRequest {
        tier_code: "gold".into(),
        tier_discount_bps: 5_000,
        ..Default::default()
    }
}

#[tokio::test]
async fn guests_browse_the_tenant_of_their_app_without_member_prices() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let app = h.app_id(t.id);
    let p = gold_priced(&h, &t).await;
    let consumer = h.token(t.id, PrincipalKind::Consumer, &[], &[]);

    // Search: the guest finds the product at its sale price; a gold consumer at 80.
    let cards = storefront(&h)
        .search_products(guest(gold_search(), &app))
        .await
        .unwrap()
        .into_inner()
        .products;
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].product_id, p.product_id);
    assert_eq!(cards[0].min_unit_price, cny(10_000));
    assert!(!cards[0].member_priced);
    let cards = storefront(&h)
        .search_products(with(gold_search(), &consumer))
        .await
        .unwrap()
        .into_inner()
        .products;
    assert_eq!(
        (cards[0].min_unit_price.clone(), cards[0].member_priced),
        (cny(8_000), true)
    );

    // Detail and PriceSkus: no member price for the guest, whatever tier it names.
    let detail = storefront(&h)
        .get_product_detail(guest(
            pb::GetProductDetailRequest {
                product_id: p.product_id.clone(),
                tier_code: "gold".into(),
                tier_discount_bps: 5_000,
                ..Default::default()
            },
            &app,
        ))
        .await
        .unwrap()
        .into_inner();
    let price = detail.skus[0].price.clone().unwrap();
    assert_eq!((price.member_price, price.unit_price), (None, cny(10_000)));
    let ask = || pb::PriceSkusRequest {
        sku_ids: vec![p.skus[0].sku_id.clone()],
        tier_code: "gold".into(),
        tier_discount_bps: 5_000,
        ..Default::default()
    };
    let priced = prices(&h)
        .price_skus(guest(ask(), &app))
        .await
        .unwrap()
        .into_inner()
        .prices;
    assert_eq!(
        (priced[0].member_price.clone(), priced[0].unit_price.clone()),
        (None, cny(10_000))
    );
    let priced = prices(&h)
        .price_skus(with(ask(), &consumer))
        .await
        .unwrap()
        .into_inner()
        .prices;
    assert_eq!(priced[0].unit_price, cny(8_000));

    // Nearby stores of the tenant.
    t.store(&h, 31.2).await;
    let near = storefront(&h)
        .list_nearby_stores(guest(
            pb::ListNearbyStoresRequest {
                location: Some(siyu_proto::common::v1::GeoPoint {
                    latitude: 31.2,
                    longitude: 121.47,
                }),
                ..Default::default()
            },
            &app,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(near.stores.len(), 1);
}

#[tokio::test]
async fn guests_see_no_hidden_category() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let app = h.app_id(t.id);
    let shown = h.category(&t.admin, "美妆", "").await;
    let hidden = h
        .catalog()
        .create_category(with(
            pb::CreateCategoryRequest {
                category: Some(pb::Category {
                    name: "内部".into(),
                    hidden: true,
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .category
        .unwrap();
    let as_guest = roots(&h, guest(pb::GetCategoryTreeRequest::default(), &app)).await;
    assert_eq!(as_guest, vec![shown.category_id.clone()]);
    let as_staff = roots(&h, with(pb::GetCategoryTreeRequest::default(), &t.admin)).await;
    assert!(as_staff.contains(&hidden.category_id));
    let children = h
        .catalog()
        .list_category_children(guest(pb::ListCategoryChildrenRequest::default(), &app))
        .await
        .unwrap()
        .into_inner()
        .categories;
    assert_eq!(children.len(), 1);
    let e = h
        .catalog()
        .list_category_children(guest(
            pb::ListCategoryChildrenRequest {
                parent_id: hidden.category_id,
                ..Default::default()
            },
            &app,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), reason(&e)),
        (Code::NotFound, "CATEGORY_NOT_FOUND".into())
    );
}

#[tokio::test]
async fn a_guest_naming_no_app_is_told_to_name_one() {
    let h = H::pg().await;
    // Plain messages: no token, no x-siyu-app-id.
    let id = siyu_core::id::new_string();
    let refusals = [
        storefront(&h)
            .search_products(pb::SearchProductsRequest::default())
            .await
            .unwrap_err(),
        storefront(&h)
            .get_product_detail(pb::GetProductDetailRequest {
                product_id: id.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        storefront(&h)
            .list_nearby_stores(pb::ListNearbyStoresRequest::default())
            .await
            .unwrap_err(),
        h.catalog()
            .get_category_tree(pb::GetCategoryTreeRequest::default())
            .await
            .unwrap_err(),
        h.catalog()
            .list_category_children(pb::ListCategoryChildrenRequest::default())
            .await
            .unwrap_err(),
        prices(&h)
            .price_skus(pb::PriceSkusRequest {
                sku_ids: vec![id],
                ..Default::default()
            })
            .await
            .unwrap_err(),
    ];
    for e in refusals {
        assert_eq!(
            (e.code(), reason(&e).as_str(), field(&e).as_str()),
            (Code::InvalidArgument, "APP_ID_REQUIRED", "x-siyu-app-id"),
            "{e:?}"
        );
    }
}

#[tokio::test]
async fn a_guest_sees_only_the_tenant_of_its_app() {
    let h = H::pg().await;
    let (a, b) = (Tenant::new(&h).await, Tenant::new(&h).await);
    let app_a = h.app_id(a.id);
    gold_priced(&h, &a).await;
    let theirs = gold_priced(&h, &b).await;
    let cards = storefront(&h)
        .search_products(guest(pb::SearchProductsRequest::default(), &app_a))
        .await
        .unwrap()
        .into_inner()
        .products;
    assert_eq!(cards.len(), 1);
    assert_ne!(cards[0].product_id, theirs.product_id);
    let e = storefront(&h)
        .get_product_detail(guest(
            pb::GetProductDetailRequest {
                product_id: theirs.product_id,
                ..Default::default()
            },
            &app_a,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&e), "PRODUCT_NOT_FOUND");
    // An app identity does not know is refused before the handler.
    let e = storefront(&h)
        .search_products(guest(pb::SearchProductsRequest::default(), "wx-unknown"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
}
