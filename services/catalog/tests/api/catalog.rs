//! CatalogService: category tree, products, SKUs, publish events, bad input, isolation rows;
//! access by the contract's roles and the error details every refusal carries.

use siyu_core::PrincipalKind;
use siyu_proto::catalog::v1 as pb;
use tonic::Code;
use tonic_types::StatusExt;

use crate::harness::{H, Tenant, cny, field, product_msg, reason, with};

fn code_reason(s: &tonic::Status) -> (Code, String) {
    (s.code(), reason(s))
}

#[tokio::test]
async fn category_tree_moves_refuse_cycles_depth_and_non_empty_deletes() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let a = h.category(&t.admin, "女装", "").await;
    let b = h.category(&t.admin, "上衣", &a.category_id).await;
    let c = h.category(&t.admin, "T恤", &b.category_id).await;
    assert_eq!(
        c.ancestor_ids,
        vec![a.category_id.clone(), b.category_id.clone()]
    );
    assert_eq!(c.depth, 3);
    let mut cat = h.catalog();
    // Sibling names are unique.
    let e = cat
        .create_category(with(
            pb::CreateCategoryRequest {
                category: Some(pb::Category {
                    name: "上衣".into(),
                    parent_id: a.category_id.clone(),
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&e),
        (Code::AlreadyExists, "CATEGORY_NAME_TAKEN".into())
    );
    // Moving a under its own grandchild is a cycle.
    let mv = |id: &str, parent: &str| pb::MoveCategoryRequest {
        category_id: id.into(),
        new_parent_id: parent.into(),
        sort_order: 0,
    };
    let e = cat
        .move_category(with(mv(&a.category_id, &c.category_id), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&e),
        (Code::FailedPrecondition, "CATEGORY_CYCLE".into())
    );
    // A 3-deep chain under a 3-deep node would be 6 levels.
    let x = h.category(&t.admin, "X", "").await;
    let y = h.category(&t.admin, "Y", &x.category_id).await;
    h.category(&t.admin, "Z", &y.category_id).await;
    let e = cat
        .move_category(with(mv(&x.category_id, &c.category_id), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&e),
        (Code::FailedPrecondition, "CATEGORY_TOO_DEEP".into())
    );
    // A product in c follows c when b moves to the root.
    let p = cat
        .create_product(with(
            pb::CreateProductRequest {
                product: Some(product_msg(&c.category_id, "纯棉T恤", &[("红", 9900)])),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .product
        .unwrap();
    let moved = cat
        .move_category(with(mv(&b.category_id, ""), &t.admin))
        .await
        .unwrap()
        .into_inner()
        .category
        .unwrap();
    assert_eq!((moved.depth, moved.parent_id.as_str()), (1, ""));
    let got = cat
        .get_product(with(
            pb::GetProductRequest {
                product_id: p.product_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .product
        .unwrap();
    assert_eq!(
        got.category_ids,
        vec![b.category_id.clone(), c.category_id.clone()]
    );
    // Non-empty categories stay.
    for id in [&b.category_id, &c.category_id] {
        let e = cat
            .delete_category(with(
                pb::DeleteCategoryRequest {
                    category_id: id.clone(),
                },
                &t.admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(
            code_reason(&e),
            (Code::FailedPrecondition, "CATEGORY_NOT_EMPTY".into())
        );
    }
    // Hidden categories are invisible to consumers; the tree nests.
    cat.update_category(with(
        pb::UpdateCategoryRequest {
            category: Some(pb::Category {
                category_id: a.category_id.clone(),
                hidden: true,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["hidden".into()],
            }),
        },
        &t.admin,
    ))
    .await
    .unwrap();
    let consumer = h.token(t.id, siyu_core::PrincipalKind::Consumer, &[], &[]);
    let roots = cat
        .list_category_children(with(pb::ListCategoryChildrenRequest::default(), &consumer))
        .await
        .unwrap()
        .into_inner()
        .categories;
    let names: Vec<_> = roots.iter().map(|c| c.name.as_str()).collect();
    assert!(
        !names.contains(&"女装") && names.contains(&"上衣"),
        "{names:?}"
    );
    let tree = cat
        .get_category_tree(with(pb::GetCategoryTreeRequest::default(), &t.admin))
        .await
        .unwrap()
        .into_inner()
        .nodes;
    let top = tree
        .iter()
        .find(|n| n.category.as_ref().unwrap().category_id == b.category_id)
        .unwrap();
    assert_eq!(top.children[0].category.as_ref().unwrap().product_count, 1);
    // Deleting an empty leaf works once.
    let del = || pb::DeleteCategoryRequest {
        category_id: a.category_id.clone(),
    };
    cat.delete_category(with(del(), &t.admin)).await.unwrap();
    let e = cat
        .delete_category(with(del(), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&e),
        (Code::NotFound, "CATEGORY_NOT_FOUND".into())
    );
}

#[tokio::test]
async fn products_publish_with_events_unpublish_and_only_drafts_delete() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let p = h
        .product(&t.admin, "口红", &[("红", 12900), ("粉", 13900)])
        .await;
    assert_eq!(p.status, pb::ProductStatus::Draft as i32);
    assert_eq!(p.skus.len(), 2);
    assert_eq!(p.skus[0].title, "口红 红");
    let mut cat = h.catalog();
    let id = || pb::PublishProductRequest {
        product_id: p.product_id.clone(),
    };
    let on = cat
        .publish_product(with(id(), &t.admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(on.product.unwrap().status, pb::ProductStatus::OnSale as i32);
    // Publishing again answers the product and writes no second event.
    cat.publish_product(with(id(), &t.admin)).await.unwrap();
    let published = h
        .scalar(
            "SELECT COUNT(*) FROM siyu_outbox WHERE event_type = 'catalog.product_published'",
            vec![],
        )
        .await;
    assert_eq!(published, 1);
    let e = cat
        .delete_product(with(
            pb::DeleteProductRequest {
                product_id: p.product_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&e),
        (Code::FailedPrecondition, "PRODUCT_NOT_DRAFT".into())
    );
    let off = || pb::UnpublishProductRequest {
        product_id: p.product_id.clone(),
        reason: "质量问题".into(),
    };
    cat.unpublish_product(with(off(), &t.admin)).await.unwrap();
    let e = cat
        .unpublish_product(with(off(), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&e),
        (Code::FailedPrecondition, "PRODUCT_NOT_ON_SALE".into())
    );
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM siyu_outbox WHERE event_type = 'catalog.product_unpublished'",
            vec![]
        )
        .await,
        1
    );
    // A draft without an image cannot go on sale; it can be deleted.
    let mut msg = product_msg(&p.category_id, "面膜", &[("", 5000)]);
    msg.media.clear();
    let draft = cat
        .create_product(with(
            pb::CreateProductRequest { product: Some(msg) },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .product
        .unwrap();
    let e = cat
        .publish_product(with(
            pb::PublishProductRequest {
                product_id: draft.product_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&e),
        (Code::FailedPrecondition, "PRODUCT_INCOMPLETE".into())
    );
    cat.delete_product(with(
        pb::DeleteProductRequest {
            product_id: draft.product_id.clone(),
        },
        &t.admin,
    ))
    .await
    .unwrap();
    let listed = cat
        .list_products(with(
            pb::ListProductsRequest {
                query: "口".into(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.total_count, 1);
    assert_eq!(listed.products[0].status, pb::ProductStatus::OffSale as i32);
}

#[tokio::test]
async fn skus_update_and_batch_get_by_id_barcode_and_code() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let p = h
        .product(&t.admin, "T恤", &[("红", 100), ("蓝", 100)])
        .await;
    let mut cat = h.catalog();
    let upd = |sku: &str, barcode: &str| pb::UpdateSkuRequest {
        sku: Some(pb::Sku {
            sku_id: sku.into(),
            barcode: barcode.into(),
            sku_code: "TX-1".into(),
            sale_price: cny(80),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["barcode".into(), "sale_price".into()],
        }),
    };
    let s = cat
        .update_sku(with(upd(&p.skus[0].sku_id, "6901234567892"), &t.admin))
        .await
        .unwrap()
        .into_inner()
        .sku
        .unwrap();
    assert_eq!(
        (s.barcode.as_str(), s.sale_price.unwrap().minor_units),
        ("6901234567892", 80)
    );
    let e = cat
        .update_sku(with(upd(&p.skus[1].sku_id, "6901234567892"), &t.admin))
        .await
        .unwrap_err();
    assert_eq!(
        code_reason(&e),
        (Code::AlreadyExists, "BARCODE_TAKEN".into())
    );
    let out = cat
        .batch_get_skus(with(
            pb::BatchGetSkusRequest {
                sku_ids: vec![p.skus[0].sku_id.clone(), siyu_core::id::new_string()],
                barcodes: vec!["6901234567892".into(), "nope".into()],
                sku_codes: vec![],
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out.skus.len(), 1, "found once though matched twice");
    assert_eq!(out.not_found.len(), 2);
    // AddSkus extends the dimensions.
    let added = cat
        .add_skus(with(
            pb::AddSkusRequest {
                product_id: p.product_id.clone(),
                skus: vec![pb::Sku {
                    specs: vec![pb::SpecValue {
                        dimension: "颜色".into(),
                        value: "白".into(),
                    }],
                    sale_price: cny(90),
                    enabled: true,
                    ..Default::default()
                }],
                spec_dimensions: vec![pb::SpecDimension {
                    name: "颜色".into(),
                    values: vec!["红".into(), "蓝".into(), "白".into()],
                }],
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .product
        .unwrap();
    assert_eq!(added.skus.len(), 3);
}

#[tokio::test]
async fn bad_catalog_input_is_refused_with_exact_reasons() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let cat_id = h.category(&t.admin, "彩妆", "").await.category_id;
    let mut cat = h.catalog();
    let create = |p: pb::Product| with(pb::CreateProductRequest { product: Some(p) }, &t.admin);
    let base = || product_msg(&cat_id, "口红", &[("红", 100), ("粉", 100)]);
    let mut cases: Vec<(&str, pb::Product, Code, &str)> = Vec::new();
    let mut p = base();
    p.skus[0].sale_price = cny(0);
    cases.push(("price 0", p, Code::InvalidArgument, "PRICE_INVALID"));
    let mut p = base();
    p.skus[0].sale_price = cny(-5);
    cases.push(("negative", p, Code::InvalidArgument, "PRICE_INVALID"));
    let mut p = base();
    p.skus[0].sale_price.as_mut().unwrap().currency_code = "USD".into();
    cases.push(("usd", p, Code::InvalidArgument, "PRICE_INVALID"));
    let mut p = base();
    p.skus[0].list_price = cny(50);
    cases.push(("sale > list", p, Code::InvalidArgument, "PRICE_INVALID"));
    let mut p = base();
    p.skus[1].specs[0].value = "红".into();
    cases.push((
        "same combination",
        p,
        Code::InvalidArgument,
        "SPEC_MISMATCH",
    ));
    let mut p = base();
    p.skus[1].specs[0].value = "绿".into();
    cases.push(("unknown value", p, Code::InvalidArgument, "SPEC_MISMATCH"));
    let mut p = base();
    p.skus[0].barcode = "123".into();
    p.skus[1].barcode = "123".into();
    cases.push(("barcode twice", p, Code::AlreadyExists, "BARCODE_TAKEN"));
    let mut p = base();
    p.category_id = siyu_core::id::new_string();
    cases.push(("unknown category", p, Code::NotFound, "CATEGORY_NOT_FOUND"));
    let mut p = base();
    p.title = String::new();
    cases.push(("empty title", p, Code::InvalidArgument, "INVALID_ARGUMENT"));
    let mut p = base();
    p.skus[0].weight_grams = -1;
    cases.push((
        "negative weight",
        p,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    ));
    for (what, p, code, why) in cases {
        let e = cat.create_product(create(p)).await.unwrap_err();
        assert_eq!(code_reason(&e), (code, why.to_owned()), "{what}: {e:?}");
    }
    assert_eq!(h.scalar("SELECT COUNT(*) FROM cat_skus", vec![]).await, 0);
    // Consumers cannot administer the catalog.
    let consumer = h.token(t.id, siyu_core::PrincipalKind::Consumer, &[], &[]);
    let e = cat
        .create_product(with(
            pb::CreateProductRequest {
                product: Some(base()),
            },
            &consumer,
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_response_and_refuses_another_request() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let req = |name: &str| {
        let mut r = with(
            pb::CreateCategoryRequest {
                category: Some(pb::Category {
                    name: name.into(),
                    ..Default::default()
                }),
            },
            &t.admin,
        );
        r.metadata_mut()
            .insert("x-idempotency-key", "k-1".parse().unwrap());
        r
    };
    let mut cat = h.catalog();
    let a = cat.create_category(req("鞋")).await.unwrap().into_inner();
    let b = cat.create_category(req("鞋")).await.unwrap().into_inner();
    assert_eq!(a, b);
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM cat_categories", vec![])
            .await,
        1
    );
    let e = cat.create_category(req("包")).await.unwrap_err();
    assert_eq!(
        code_reason(&e),
        (Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED".into())
    );
}

/// Rows of the tenant-isolation table: B's admin on A's catalog ids.
pub async fn isolation_rows(
    h: &H,
    a: &Tenant,
    b: &Tenant,
    store: &str,
) -> Vec<(&'static str, tonic::Status)> {
    let p = h.product(&a.admin, "A的商品", &[("红", 100)]).await;
    let cat_id = p.category_id.clone();
    let sku = p.skus[0].sku_id.clone();
    let ba = b.admin.clone();
    let mut c = h.catalog();
    let mut rows = vec![
        (
            "CreateCategory(parent)",
            c.create_category(with(
                pb::CreateCategoryRequest {
                    category: Some(pb::Category {
                        name: "x".into(),
                        parent_id: cat_id.clone(),
                        ..Default::default()
                    }),
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "UpdateCategory",
            c.update_category(with(
                pb::UpdateCategoryRequest {
                    category: Some(pb::Category {
                        category_id: cat_id.clone(),
                        name: "x".into(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["name".into()],
                    }),
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "MoveCategory",
            c.move_category(with(
                pb::MoveCategoryRequest {
                    category_id: cat_id.clone(),
                    ..Default::default()
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "DeleteCategory",
            c.delete_category(with(
                pb::DeleteCategoryRequest {
                    category_id: cat_id.clone(),
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "ListCategoryChildren",
            c.list_category_children(with(
                pb::ListCategoryChildrenRequest {
                    parent_id: cat_id.clone(),
                    page: None,
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "GetCategoryTree",
            c.get_category_tree(with(
                pb::GetCategoryTreeRequest {
                    root_id: cat_id.clone(),
                    max_depth: 0,
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "CreateProduct(category)",
            c.create_product(with(
                pb::CreateProductRequest {
                    product: Some(product_msg(&cat_id, "x", &[("", 1)])),
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
        (
            "UpdateProduct",
            c.update_product(with(
                pb::UpdateProductRequest {
                    product: Some(pb::Product {
                        product_id: p.product_id.clone(),
                        title: "x".into(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["title".into()],
                    }),
                },
                &ba,
            ))
            .await
            .unwrap_err(),
        ),
    ];
    let pid = || p.product_id.clone();
    rows.push((
        "GetProduct",
        c.get_product(with(pb::GetProductRequest { product_id: pid() }, &ba))
            .await
            .unwrap_err(),
    ));
    rows.push((
        "PublishProduct",
        c.publish_product(with(pb::PublishProductRequest { product_id: pid() }, &ba))
            .await
            .unwrap_err(),
    ));
    rows.push((
        "UnpublishProduct",
        c.unpublish_product(with(
            pb::UnpublishProductRequest {
                product_id: pid(),
                reason: String::new(),
            },
            &ba,
        ))
        .await
        .unwrap_err(),
    ));
    rows.push((
        "DeleteProduct",
        c.delete_product(with(pb::DeleteProductRequest { product_id: pid() }, &ba))
            .await
            .unwrap_err(),
    ));
    rows.push((
        "AddSkus",
        c.add_skus(with(
            pb::AddSkusRequest {
                product_id: pid(),
                skus: vec![pb::Sku {
                    sale_price: cny(1),
                    ..Default::default()
                }],
                spec_dimensions: vec![],
            },
            &ba,
        ))
        .await
        .unwrap_err(),
    ));
    rows.push((
        "UpdateSku",
        c.update_sku(with(
            pb::UpdateSkuRequest {
                sku: Some(pb::Sku {
                    sku_id: sku.clone(),
                    weight_grams: 1,
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["weight_grams".into()],
                }),
            },
            &ba,
        ))
        .await
        .unwrap_err(),
    ));
    // BatchGetSkus answers OK with the key in not_found: turn that into a NOT_FOUND row.
    let got = c
        .batch_get_skus(with(
            pb::BatchGetSkusRequest {
                sku_ids: vec![sku.clone()],
                ..Default::default()
            },
            &ba,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(got.skus.is_empty() && got.not_found == vec![sku.clone()]);
    // ListProducts of B does not see A's product.
    let listed = c
        .list_products(with(pb::ListProductsRequest::default(), &ba))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.products.iter().all(|x| x.product_id != p.product_id));
    rows.extend(crate::pricing::isolation_rows(h, &sku, store, b).await);
    rows
}

#[tokio::test]
async fn a_staff_role_the_contract_does_not_name_is_refused() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    // CreateCategory admits staff:tenant_admin|hq_operator; a guide on the root is neither.
    let guide = h.token(
        t.id,
        PrincipalKind::Staff,
        &[("guide", t.root.to_string())],
        &[],
    );
    let e = h
        .catalog()
        .create_category(with(
            pb::CreateCategoryRequest {
                category: Some(pb::Category {
                    name: "女装".into(),
                    ..Default::default()
                }),
            },
            &guide,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), reason(&e)),
        (Code::PermissionDenied, "PERMISSION_DENIED".into())
    );
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM cat_categories", vec![])
            .await,
        0
    );
}

#[tokio::test]
async fn invalid_arguments_carry_catalogs_error_info() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let e = h
        .catalog()
        .get_product(with(
            pb::GetProductRequest {
                product_id: "not-a-uuid".into(),
            },
            &t.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let info = e.get_details_error_info().unwrap();
    assert_eq!(
        (info.reason.as_str(), info.domain.as_str()),
        ("INVALID_ARGUMENT", "catalog.siyu")
    );
    assert_eq!(field(&e), "product_id");
}
