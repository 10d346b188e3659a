//! Catalog's staff routes (`/admin/v1`): categories, products and SKUs, prices and assortment
//! (HQ), and locations and stock (HQ and store managers on their own stores).

use crate::routes::legacy::{Access, Route};

const MERCHANDISERS: Access = Access::Staff(&["tenant_admin", "hq_operator"]);
const PRICE_SETTERS: Access = Access::Staff(&["tenant_admin", "hq_operator", "store_manager"]);
const STOCK_KEEPERS: Access = Access::Staff(&["tenant_admin", "hq_operator", "store_manager"]);
const ANY_STAFF: Access = Access::Staff(&[]);

pub(super) fn catalog() -> Vec<Route> {
    vec![
        Route::post(
            "/admin/v1/categories",
            rpc!(CatalogService, "CreateCategory"),
            MERCHANDISERS,
        )
        .summary("Create a category"),
        Route::patch(
            "/admin/v1/categories/{category.category_id}",
            rpc!(CatalogService, "UpdateCategory"),
            MERCHANDISERS,
        )
        .summary("Update a category"),
        Route::post(
            "/admin/v1/categories/{category_id}/move",
            rpc!(CatalogService, "MoveCategory"),
            MERCHANDISERS,
        )
        .summary("Move a category under another parent"),
        Route::delete(
            "/admin/v1/categories/{category_id}",
            rpc!(CatalogService, "DeleteCategory"),
            MERCHANDISERS,
        )
        .summary("Delete an empty category"),
        Route::get(
            "/admin/v1/products",
            rpc!(CatalogService, "ListProducts"),
            ANY_STAFF,
        )
        .summary("List products (any status)"),
        Route::post(
            "/admin/v1/products",
            rpc!(CatalogService, "CreateProduct"),
            MERCHANDISERS,
        )
        .summary("Create a product (draft)"),
        Route::get(
            "/admin/v1/products/{product_id}",
            rpc!(CatalogService, "GetProduct"),
            ANY_STAFF,
        )
        .summary("A product with its SKUs"),
        Route::patch(
            "/admin/v1/products/{product.product_id}",
            rpc!(CatalogService, "UpdateProduct"),
            MERCHANDISERS,
        )
        .summary("Update a product"),
        Route::post(
            "/admin/v1/products/{product_id}/publish",
            rpc!(CatalogService, "PublishProduct"),
            MERCHANDISERS,
        )
        .summary("Put a product on sale"),
        Route::post(
            "/admin/v1/products/{product_id}/unpublish",
            rpc!(CatalogService, "UnpublishProduct"),
            MERCHANDISERS,
        )
        .summary("Take a product off sale"),
        Route::delete(
            "/admin/v1/products/{product_id}",
            rpc!(CatalogService, "DeleteProduct"),
            MERCHANDISERS,
        )
        .summary("Delete a product"),
        Route::post(
            "/admin/v1/products/{product_id}/skus",
            rpc!(CatalogService, "AddSkus"),
            MERCHANDISERS,
        )
        .summary("Add SKUs (spec combinations) to a product"),
        Route::patch(
            "/admin/v1/skus/{sku.sku_id}",
            rpc!(CatalogService, "UpdateSku"),
            MERCHANDISERS,
        )
        .summary("Update a SKU"),
        Route::post(
            "/admin/v1/skus/batch-get",
            rpc!(CatalogService, "BatchGetSkus"),
            ANY_STAFF,
        )
        .read_only()
        .summary("SKUs by id"),
        Route::post(
            "/admin/v1/prices",
            rpc!(PriceService, "SetSkuPrices"),
            MERCHANDISERS,
        )
        .summary("Set list, sale and tier prices"),
        Route::post(
            "/admin/v1/store-prices",
            rpc!(PriceService, "SetStorePrices"),
            PRICE_SETTERS,
        )
        .summary("Set per-store price overrides"),
        Route::post(
            "/admin/v1/store-prices/delete",
            rpc!(PriceService, "DeleteStorePrices"),
            PRICE_SETTERS,
        )
        .summary("Remove per-store price overrides"),
        Route::get(
            "/admin/v1/store-prices",
            rpc!(PriceService, "ListStorePrices"),
            ANY_STAFF,
        )
        .summary("List per-store price overrides"),
        Route::post(
            "/admin/v1/assortment",
            rpc!(AssortmentService, "SetAssortment"),
            MERCHANDISERS,
        )
        .summary("Set where SKUs are sold (online, stores, store-exclusive)"),
        Route::post(
            "/admin/v1/stores/{store_id}/assortment",
            rpc!(AssortmentService, "SetStoreCarriesSkus"),
            PRICE_SETTERS,
        )
        .summary("Set which SKUs a store carries"),
        Route::post(
            "/admin/v1/assortment/get",
            rpc!(AssortmentService, "GetAssortment"),
            ANY_STAFF,
        )
        .read_only()
        .summary("The assortment of SKUs"),
        Route::get(
            "/admin/v1/stores/{store_id}/assortment",
            rpc!(AssortmentService, "ListStoreAssortment"),
            ANY_STAFF,
        )
        .summary("What a store carries"),
    ]
}

pub(super) fn inventory() -> Vec<Route> {
    vec![
        Route::post(
            "/admin/v1/locations",
            rpc!(InventoryService, "CreateLocation"),
            MERCHANDISERS,
        )
        .summary("Register a store location or a warehouse"),
        Route::patch(
            "/admin/v1/locations/{location.location_id}",
            rpc!(InventoryService, "UpdateLocation"),
            STOCK_KEEPERS,
        )
        .summary("Update a location"),
        Route::get(
            "/admin/v1/locations/{location_id}",
            rpc!(InventoryService, "GetLocation"),
            ANY_STAFF,
        )
        .summary("A location"),
        Route::get(
            "/admin/v1/locations",
            rpc!(InventoryService, "ListLocations"),
            ANY_STAFF,
        )
        .summary("List locations"),
        Route::post(
            "/admin/v1/stock/levels",
            rpc!(InventoryService, "GetStockLevels"),
            ANY_STAFF,
        )
        .read_only()
        .summary("Stock of (SKU, location) pairs"),
        Route::get(
            "/admin/v1/stock",
            rpc!(InventoryService, "ListStockLevels"),
            ANY_STAFF,
        )
        .summary("Stock levels by location or by SKU"),
        Route::post(
            "/admin/v1/locations/{location_id}/receipts",
            rpc!(InventoryService, "ReceiveStock"),
            STOCK_KEEPERS,
        )
        .summary("Receive goods"),
        Route::post(
            "/admin/v1/locations/{location_id}/adjustments",
            rpc!(InventoryService, "AdjustStock"),
            STOCK_KEEPERS,
        )
        .summary("Correct a count, with a reason"),
        Route::post(
            "/admin/v1/stock/low-stock-thresholds",
            rpc!(InventoryService, "SetLowStockThresholds"),
            STOCK_KEEPERS,
        )
        .summary("Set low-stock thresholds"),
        Route::get(
            "/admin/v1/stock/movements",
            rpc!(InventoryService, "ListStockMovements"),
            ANY_STAFF,
        )
        .summary("The stock movements journal"),
        Route::post(
            "/admin/v1/transfers",
            rpc!(InventoryService, "CreateTransfer"),
            STOCK_KEEPERS,
        )
        .summary("Transfer stock between locations (调拨): reserves at the source"),
        Route::get(
            "/admin/v1/transfers",
            rpc!(InventoryService, "ListTransfers"),
            ANY_STAFF,
        )
        .summary("List transfers from or to a location"),
        Route::get(
            "/admin/v1/transfers/{transfer_id}",
            rpc!(InventoryService, "GetTransfer"),
            ANY_STAFF,
        )
        .summary("A transfer"),
        Route::post(
            "/admin/v1/transfers/{transfer_id}/ship",
            rpc!(InventoryService, "ShipTransfer"),
            STOCK_KEEPERS,
        )
        .summary("Ship a transfer from its source"),
        Route::post(
            "/admin/v1/transfers/{transfer_id}/receive",
            rpc!(InventoryService, "ReceiveTransfer"),
            STOCK_KEEPERS,
        )
        .summary("Receive a transfer at its destination"),
        Route::post(
            "/admin/v1/transfers/{transfer_id}/cancel",
            rpc!(InventoryService, "CancelTransfer"),
            STOCK_KEEPERS,
        )
        .summary("Cancel a transfer that has not shipped"),
        Route::get(
            "/admin/v1/reservations/{order_id}",
            rpc!(InventoryService, "GetReservation"),
            ANY_STAFF,
        )
        .summary("An order's stock reservation"),
    ]
}
