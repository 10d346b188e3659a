//! `siyu.catalog.v1.CatalogService`: the trait impl only dispatches; the handlers live in
//! `catalog/` (categories, products, SKUs).

use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::catalog_service_server::CatalogService;
use tonic::Request;

use super::{Handlers, R};

mod categories;
mod products;
mod skus;

#[tonic::async_trait]
impl CatalogService for Handlers {
    async fn create_category(
        &self,
        request: Request<pb::CreateCategoryRequest>,
    ) -> R<pb::CreateCategoryResponse> {
        self.create_category_rpc(request).await
    }

    async fn update_category(
        &self,
        request: Request<pb::UpdateCategoryRequest>,
    ) -> R<pb::UpdateCategoryResponse> {
        self.update_category_rpc(request).await
    }

    async fn move_category(
        &self,
        request: Request<pb::MoveCategoryRequest>,
    ) -> R<pb::MoveCategoryResponse> {
        self.move_category_rpc(request).await
    }

    async fn delete_category(
        &self,
        request: Request<pb::DeleteCategoryRequest>,
    ) -> R<pb::DeleteCategoryResponse> {
        self.delete_category_rpc(request).await
    }

    async fn list_category_children(
        &self,
        request: Request<pb::ListCategoryChildrenRequest>,
    ) -> R<pb::ListCategoryChildrenResponse> {
        self.list_category_children_rpc(request).await
    }

    async fn get_category_tree(
        &self,
        request: Request<pb::GetCategoryTreeRequest>,
    ) -> R<pb::GetCategoryTreeResponse> {
        self.get_category_tree_rpc(request).await
    }

    async fn create_product(
        &self,
        request: Request<pb::CreateProductRequest>,
    ) -> R<pb::CreateProductResponse> {
        self.create_product_rpc(request).await
    }

    async fn update_product(
        &self,
        request: Request<pb::UpdateProductRequest>,
    ) -> R<pb::UpdateProductResponse> {
        self.update_product_rpc(request).await
    }

    async fn get_product(
        &self,
        request: Request<pb::GetProductRequest>,
    ) -> R<pb::GetProductResponse> {
        self.get_product_rpc(request).await
    }

    async fn list_products(
        &self,
        request: Request<pb::ListProductsRequest>,
    ) -> R<pb::ListProductsResponse> {
        self.list_products_rpc(request).await
    }

    async fn publish_product(
        &self,
        request: Request<pb::PublishProductRequest>,
    ) -> R<pb::PublishProductResponse> {
        self.publish_product_rpc(request).await
    }

    async fn unpublish_product(
        &self,
        request: Request<pb::UnpublishProductRequest>,
    ) -> R<pb::UnpublishProductResponse> {
        self.unpublish_product_rpc(request).await
    }

    async fn delete_product(
        &self,
        request: Request<pb::DeleteProductRequest>,
    ) -> R<pb::DeleteProductResponse> {
        self.delete_product_rpc(request).await
    }

    async fn add_skus(&self, request: Request<pb::AddSkusRequest>) -> R<pb::AddSkusResponse> {
        self.add_skus_rpc(request).await
    }

    async fn update_sku(&self, request: Request<pb::UpdateSkuRequest>) -> R<pb::UpdateSkuResponse> {
        self.update_sku_rpc(request).await
    }

    async fn batch_get_skus(
        &self,
        request: Request<pb::BatchGetSkusRequest>,
    ) -> R<pb::BatchGetSkusResponse> {
        self.batch_get_skus_rpc(request).await
    }
}
