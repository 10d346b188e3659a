//! PriceService and AssortmentService through the contract.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::assortment_service_client::AssortmentServiceClient;
use siyu_proto::catalog::v1::price_service_client::PriceServiceClient;
use siyu_proto::common::v1::Channel;
use tonic::Code;
use tonic::transport::Channel as Transport;

use crate::harness::{H, Tenant, cny, reason, with};

fn prices(h: &H) -> PriceServiceClient<Transport> {
    PriceServiceClient::new(h.channel.clone())
}

fn assortment(h: &H) -> AssortmentServiceClient<Transport> {
    AssortmentServiceClient::new(h.channel.clone())
}

fn price_req(
    skus: &[&str],
    store: &str,
    tier: &str,
    bps: i32,
    ch: Channel,
) -> pb::PriceSkusRequest {
    pb::PriceSkusRequest {
        sku_ids: skus.iter().map(|s| (*s).to_owned()).collect(),
        store_id: store.into(),
        tier_code: tier.into(),
        channel: ch as i32,
        tier_discount_bps: bps,
    }
}

fn unit(p: &pb::SkuPrice) -> i64 {
    p.unit_price.as_ref().unwrap().minor_units
}

#[tokio::test]
async fn price_skus_applies_member_discount_and_store_prices_and_assortment() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let store = t.store(&h, 31.2).await.to_string();
    let p = h
        .product(&t.admin, "口红", &[("红", 10_000), ("粉", 9_999)])
        .await;
    let (red, pink) = (p.skus[0].sku_id.clone(), p.skus[1].sku_id.clone());
    let mut pc = prices(&h);
    pc.set_sku_prices(with(
        pb::SetSkuPricesRequest {
            sku_id: red.clone(),
            list_price: cny(12_000),
            sale_price: cny(10_000),
            member_prices: vec![pb::TierPrice {
                tier_code: "gold".into(),
                price: cny(8_000),
            }],
        },
        &t.admin,
    ))
    .await
    .unwrap();
    // Draft: priced but unsellable.
    let out = pc
        .price_skus(with(
            price_req(&[&red], "", "", 0, Channel::MiniProgram),
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .prices;
    assert_eq!(out[0].unsellable_reason, "PRODUCT_NOT_ON_SALE");
    h.catalog()
        .publish_product(with(
            pb::PublishProductRequest {
                product_id: p.product_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    let consumer = h.token(t.id, siyu_core::PrincipalKind::Consumer, &[], &[]);
    let unknown = siyu_core::id::new_string();
    let out = pc
        .price_skus(with(
            price_req(
                &[&pink, &unknown, &red],
                "",
                "gold",
                9_000,
                Channel::MiniProgram,
            ),
            &consumer,
        ))
        .await
        .unwrap()
        .into_inner()
        .prices;
    assert_eq!(out.len(), 2, "unknown SKUs are omitted");
    // Request order; pink by 90 % of 99.99 = 89.991 → 89.99; red by its gold price.
    assert_eq!(
        (out[0].sku_id.as_str(), unit(&out[0])),
        (pink.as_str(), 8_999)
    );
    assert_eq!(
        (out[1].sku_id.as_str(), unit(&out[1])),
        (red.as_str(), 8_000)
    );
    assert!(
        out.iter()
            .all(|p| p.sellable && p.title.starts_with("口红"))
    );
    // A store override becomes the base: 7000 beats gold 8000; silver 90 % of 7000 = 6300.
    pc.set_store_prices(with(
        pb::SetStorePricesRequest {
            prices: vec![pb::StorePrice {
                sku_id: red.clone(),
                store_id: store.clone(),
                price: cny(7_000),
                valid_from: None,
                valid_until: None,
            }],
        },
        &t.admin,
    ))
    .await
    .unwrap();
    let at = |tier: &str, bps: i32| price_req(&[&red], &store, tier, bps, Channel::MiniProgram);
    let gold = pc
        .price_skus(with(at("gold", 0), &consumer))
        .await
        .unwrap()
        .into_inner()
        .prices;
    assert_eq!(
        (
            unit(&gold[0]),
            gold[0].store_price.as_ref().unwrap().minor_units
        ),
        (7_000, 7_000)
    );
    let silver = pc
        .price_skus(with(at("silver", 9_000), &consumer))
        .await
        .unwrap()
        .into_inner()
        .prices;
    assert_eq!(unit(&silver[0]), 6_300);
    let listed = pc
        .list_store_prices(with(
            pb::ListStorePricesRequest {
                store_id: store.clone(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .prices;
    assert_eq!(listed.len(), 1);
    // Store-exclusive: not online, only at `store`.
    let mut ac = assortment(&h);
    ac.set_assortment(with(
        pb::SetAssortmentRequest {
            product_id: p.product_id.clone(),
            template: Some(pb::SkuAssortment {
                online: false,
                store_mode: pb::StoreMode::Selected as i32,
                store_ids: vec![store.clone()],
                ..Default::default()
            }),
            assortments: vec![],
        },
        &t.admin,
    ))
    .await
    .unwrap();
    let online = pc
        .price_skus(with(
            price_req(&[&red], "", "", 0, Channel::MiniProgram),
            &consumer,
        ))
        .await
        .unwrap()
        .into_inner()
        .prices;
    assert_eq!(online[0].unsellable_reason, "NOT_IN_ASSORTMENT");
    let pos = pc
        .price_skus(with(
            price_req(&[&red], &store, "", 0, Channel::StorePos),
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .prices;
    assert!(pos[0].sellable);
    // The store opts out of pink: changed once, then naturally idempotent.
    let carry = |carries: bool| pb::SetStoreCarriesSkusRequest {
        store_id: store.clone(),
        sku_ids: vec![pink.clone()],
        carries,
    };
    let n = ac
        .set_store_carries_skus(with(carry(false), &t.admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(n.changed_count, 1);
    let n = ac
        .set_store_carries_skus(with(carry(false), &t.admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(n.changed_count, 0);
    let carried = ac
        .list_store_assortment(with(
            pb::ListStoreAssortmentRequest {
                store_id: store.clone(),
                on_sale_only: true,
                page: None,
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .sku_ids;
    assert_eq!(carried, vec![red.clone()]);
    let got = ac
        .get_assortment(with(
            pb::GetAssortmentRequest {
                sku_ids: vec![pink.clone()],
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .assortments;
    assert_eq!((got[0].online, got[0].store_ids.len()), (false, 0));
    // Unpublished: not on sale wins over assortment.
    h.catalog()
        .unpublish_product(with(
            pb::UnpublishProductRequest {
                product_id: p.product_id.clone(),
                reason: String::new(),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    let off = pc
        .price_skus(with(
            price_req(&[&red], &store, "", 0, Channel::StorePos),
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .prices;
    assert_eq!(off[0].unsellable_reason, "PRODUCT_NOT_ON_SALE");
}

#[tokio::test]
async fn bad_prices_and_unknown_skus_and_stores_are_refused_exactly() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let p = h.product(&t.admin, "面膜", &[("", 5_000)]).await;
    let sku = p.skus[0].sku_id.clone();
    let mut pc = prices(&h);
    let set = |sku: &str, sale: i64, member: i64| pb::SetSkuPricesRequest {
        sku_id: sku.into(),
        list_price: None,
        sale_price: cny(sale),
        member_prices: if member > 0 {
            vec![pb::TierPrice {
                tier_code: "gold".into(),
                price: cny(member),
            }]
        } else {
            vec![]
        },
    };
    for (what, req, code, why) in [
        (
            "zero",
            set(&sku, 0, 0),
            Code::InvalidArgument,
            "PRICE_INVALID",
        ),
        (
            "negative",
            set(&sku, -1, 0),
            Code::InvalidArgument,
            "PRICE_INVALID",
        ),
        (
            "member above sale",
            set(&sku, 100, 200),
            Code::InvalidArgument,
            "PRICE_INVALID",
        ),
        (
            "unknown sku",
            set(&siyu_core::id::new_string(), 100, 0),
            Code::NotFound,
            "SKU_NOT_FOUND",
        ),
        (
            "absurd",
            set(&sku, i64::MAX, 0),
            Code::InvalidArgument,
            "PRICE_INVALID",
        ),
    ] {
        let e = pc.set_sku_prices(with(req, &t.admin)).await.unwrap_err();
        assert_eq!(
            (e.code(), reason(&e).as_str()),
            (code, why),
            "{what}: {e:?}"
        );
    }
    let store_price = |store: String, price: i64| pb::SetStorePricesRequest {
        prices: vec![pb::StorePrice {
            sku_id: sku.clone(),
            store_id: store,
            price: cny(price),
            valid_from: None,
            valid_until: None,
        }],
    };
    let e = pc
        .set_store_prices(with(
            store_price(siyu_core::id::new_string(), 100),
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), reason(&e).as_str()),
        (Code::NotFound, "LOCATION_NOT_FOUND")
    );
    let store = t.store(&h, 31.2).await.to_string();
    let e = pc
        .set_store_prices(with(store_price(store, 0), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), reason(&e).as_str()),
        (Code::InvalidArgument, "PRICE_INVALID")
    );
    let many: Vec<String> = (0..201).map(|_| siyu_core::id::new_string()).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    for req in [
        price_req(&refs, "", "", 0, Channel::MiniProgram),
        price_req(&[&sku], "", "gold", 20_000, Channel::MiniProgram),
        price_req(&[], "", "", 0, Channel::MiniProgram),
        price_req(&["not-a-uuid"], "", "", 0, Channel::MiniProgram),
    ] {
        let e = pc.price_skus(with(req, &t.service)).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
    }
}

/// Isolation rows: B's admin/service on A's SKU (`sku`) and store (`store`).
pub async fn isolation_rows(
    h: &H,
    sku: &str,
    store: &str,
    b: &Tenant,
) -> Vec<(&'static str, tonic::Status)> {
    let (mut pc, mut ac) = (prices(h), assortment(h));
    let ba = b.admin.clone();
    // Reads that omit unknown ids answer OK and empty.
    let priced = pc
        .price_skus(with(
            price_req(&[sku], "", "", 0, Channel::MiniProgram),
            &b.service,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(priced.prices.is_empty());
    let got = ac
        .get_assortment(with(
            pb::GetAssortmentRequest {
                sku_ids: vec![sku.into()],
            },
            &ba,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(got.assortments.is_empty());
    let listed = pc
        .list_store_prices(with(
            pb::ListStorePricesRequest {
                sku_id: sku.into(),
                ..Default::default()
            },
            &ba,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.prices.is_empty());
    vec![
        (
            "SetSkuPrices",
            pc.set_sku_prices(with(
                pb::SetSkuPricesRequest {
                    sku_id: sku.into(),
                    sale_price: cny(1),
                    ..Default::default()
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "SetStorePrices",
            pc.set_store_prices(with(
                pb::SetStorePricesRequest {
                    prices: vec![pb::StorePrice {
                        sku_id: sku.into(),
                        store_id: store.into(),
                        price: cny(1),
                        valid_from: None,
                        valid_until: None,
                    }],
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "SetAssortment",
            ac.set_assortment(with(
                pb::SetAssortmentRequest {
                    assortments: vec![pb::SkuAssortment {
                        sku_id: sku.into(),
                        online: true,
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "SetStoreCarriesSkus",
            ac.set_store_carries_skus(with(
                pb::SetStoreCarriesSkusRequest {
                    store_id: store.into(),
                    sku_ids: vec![sku.into()],
                    carries: true,
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "ListStoreAssortment",
            ac.list_store_assortment(with(
                pb::ListStoreAssortmentRequest {
                    store_id: store.into(),
                    ..Default::default()
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
    ]
}
