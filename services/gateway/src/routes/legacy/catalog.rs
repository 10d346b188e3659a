//! Catalog & inventory routes: storefront browsing for consumers (`/api/v1`), catalog, price,
//! assortment and stock administration for staff (`/admin/v1`), and the partner surface for
//! POS/ERP systems (`/open/v1`, scopes `catalog.read`, `catalog.write`, `inventory.read`,
//! `inventory.write`).
//!
//! Access mirrors the "Callers:" line of each RPC in `proto/siyu/catalog/v1`. The gateway
//! checks kind, role and scope; the service checks the org subtree (a store manager acts on
//! their own stores only) and the tenant of every id.

use super::{Access, GrpcRoute, Route};

/// `siyu.catalog.v1.<Service>/<Method>` as a `&'static str`, built at compile time.
macro_rules! rpc {
    ($service:ident, $method:literal) => {
        concat!("siyu.catalog.v1.", stringify!($service), "/", $method)
    };
}

mod admin;

const CATALOG_READ: Access = Access::Partner(Some("catalog.read"));
const CATALOG_WRITE: Access = Access::Partner(Some("catalog.write"));
const INVENTORY_READ: Access = Access::Partner(Some("inventory.read"));
const INVENTORY_WRITE: Access = Access::Partner(Some("inventory.write"));

/// The REST routes of catalog.
pub fn rest() -> Vec<Route> {
    let mut routes = storefront();
    routes.extend(admin::catalog());
    routes.extend(admin::inventory());
    routes.extend(partner());
    routes
}

/// Consumer browsing. The routes take an optional token: the mini-program logs in silently at
/// launch, and the service needs the token's tenant; staff (guides sharing products) and
/// partners may browse with theirs.
fn storefront() -> Vec<Route> {
    use Access::Optional;
    vec![
        Route::get(
            "/api/v1/products",
            rpc!(StorefrontService, "SearchProducts"),
            Optional,
        )
        .summary("Search and browse products (keyword, category, price, stock filters)"),
        Route::get(
            "/api/v1/products/{product_id}",
            rpc!(StorefrontService, "GetProductDetail"),
            Optional,
        )
        .summary("Product detail with prices and availability for a store or delivery"),
        Route::get(
            "/api/v1/stores/nearby",
            rpc!(StorefrontService, "ListNearbyStores"),
            Optional,
        )
        .summary("Stores near a point, optionally only those with a SKU in stock"),
        Route::get(
            "/api/v1/categories",
            rpc!(CatalogService, "GetCategoryTree"),
            Optional,
        )
        .summary("The category tree"),
        Route::get(
            "/api/v1/categories/children",
            rpc!(CatalogService, "ListCategoryChildren"),
            Optional,
        )
        .summary("Children of a category (roots when parent_id is empty)"),
        Route::post(
            "/api/v1/prices/query",
            rpc!(PriceService, "PriceSkus"),
            Optional,
        )
        .read_only()
        .summary("Prices of SKUs for a store, tier and channel (the one pricing function)"),
    ]
}

/// The partner REST surface: catalog sync in, stock sync in, reads out.
fn partner() -> Vec<Route> {
    vec![
        Route::get(
            "/open/v1/products",
            rpc!(CatalogService, "ListProducts"),
            CATALOG_READ,
        )
        .summary("List products"),
        Route::get(
            "/open/v1/products/{product_id}",
            rpc!(CatalogService, "GetProduct"),
            CATALOG_READ,
        )
        .summary("A product with its SKUs"),
        Route::post(
            "/open/v1/products",
            rpc!(CatalogService, "CreateProduct"),
            CATALOG_WRITE,
        )
        .summary("Create a product (ERP catalog sync)"),
        Route::post(
            "/open/v1/skus/batch-get",
            rpc!(CatalogService, "BatchGetSkus"),
            CATALOG_READ,
        )
        .read_only()
        .summary("SKUs by id"),
        Route::post(
            "/open/v1/prices/query",
            rpc!(PriceService, "PriceSkus"),
            CATALOG_READ,
        )
        .read_only()
        .summary("Prices of SKUs"),
        Route::post(
            "/open/v1/prices",
            rpc!(PriceService, "SetSkuPrices"),
            CATALOG_WRITE,
        )
        .summary("Set list, sale and tier prices"),
        Route::get(
            "/open/v1/locations",
            rpc!(InventoryService, "ListLocations"),
            INVENTORY_READ,
        )
        .summary("List stores and warehouses"),
        Route::post(
            "/open/v1/stock/levels",
            rpc!(InventoryService, "GetStockLevels"),
            INVENTORY_READ,
        )
        .read_only()
        .summary("Stock of (SKU, location) pairs"),
        Route::get(
            "/open/v1/stock/movements",
            rpc!(InventoryService, "ListStockMovements"),
            INVENTORY_READ,
        )
        .summary("The stock movements journal"),
        Route::post(
            "/open/v1/stock/receipts",
            rpc!(InventoryService, "ReceiveStock"),
            INVENTORY_WRITE,
        )
        .summary("Receive goods at a location"),
        Route::post(
            "/open/v1/stock/sync",
            rpc!(InventoryService, "SyncStock"),
            INVENTORY_WRITE,
        )
        .summary("Set absolute on-hand counts from a POS or ERP"),
    ]
}

/// Methods partners may call through the gRPC ingress, with the scope each needs.
pub fn grpc() -> Vec<GrpcRoute> {
    let read = |rpc| GrpcRoute {
        rpc,
        scope: Some("catalog.read"),
    };
    let write = |rpc| GrpcRoute {
        rpc,
        scope: Some("catalog.write"),
    };
    let stock_read = |rpc| GrpcRoute {
        rpc,
        scope: Some("inventory.read"),
    };
    let stock_write = |rpc| GrpcRoute {
        rpc,
        scope: Some("inventory.write"),
    };
    vec![
        read(rpc!(StorefrontService, "SearchProducts")),
        read(rpc!(StorefrontService, "GetProductDetail")),
        read(rpc!(StorefrontService, "ListNearbyStores")),
        read(rpc!(CatalogService, "GetCategoryTree")),
        read(rpc!(CatalogService, "GetProduct")),
        read(rpc!(CatalogService, "ListProducts")),
        read(rpc!(CatalogService, "BatchGetSkus")),
        read(rpc!(PriceService, "PriceSkus")),
        write(rpc!(CatalogService, "CreateProduct")),
        write(rpc!(CatalogService, "UpdateProduct")),
        write(rpc!(CatalogService, "AddSkus")),
        write(rpc!(PriceService, "SetSkuPrices")),
        write(rpc!(AssortmentService, "SetAssortment")),
        stock_read(rpc!(InventoryService, "ListLocations")),
        stock_read(rpc!(InventoryService, "GetStockLevels")),
        stock_read(rpc!(InventoryService, "ListStockLevels")),
        stock_read(rpc!(InventoryService, "ListStockMovements")),
        stock_write(rpc!(InventoryService, "ReceiveStock")),
        stock_write(rpc!(InventoryService, "SyncStock")),
        stock_write(rpc!(InventoryService, "ReserveStock")),
        stock_write(rpc!(InventoryService, "CreateTransfer")),
        stock_write(rpc!(InventoryService, "ShipTransfer")),
        stock_write(rpc!(InventoryService, "ReceiveTransfer")),
        stock_write(rpc!(InventoryService, "CancelTransfer")),
        stock_read(rpc!(InventoryService, "GetTransfer")),
        stock_read(rpc!(InventoryService, "ListTransfers")),
    ]
}
