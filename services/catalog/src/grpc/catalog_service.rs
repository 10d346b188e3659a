//! `siyu.catalog.v1.CatalogService`: dispatches each RPC to its concept's handler
//! (`categories`, `products`, `skus`).

use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::catalog_service_server::CatalogService;
use tonic::Request;

use super::{Handlers, R, categories, products, skus};

#[tonic::async_trait]
impl CatalogService for Handlers {
    async fn create_category(
        &self,
        request: Request<pb::CreateCategoryRequest>,
    ) -> R<pb::CreateCategoryResponse> {
        categories::create(self, request).await
    }

    async fn update_category(
        &self,
        request: Request<pb::UpdateCategoryRequest>,
    ) -> R<pb::UpdateCategoryResponse> {
        categories::update(self, request).await
    }

    async fn move_category(
        &self,
        request: Request<pb::MoveCategoryRequest>,
    ) -> R<pb::MoveCategoryResponse> {
        categories::move_to(self, request).await
    }

    async fn delete_category(
        &self,
        request: Request<pb::DeleteCategoryRequest>,
    ) -> R<pb::DeleteCategoryResponse> {
        categories::delete(self, request).await
    }

    async fn list_category_children(
        &self,
        request: Request<pb::ListCategoryChildrenRequest>,
    ) -> R<pb::ListCategoryChildrenResponse> {
        categories::children(self, request).await
    }

    async fn get_category_tree(
        &self,
        request: Request<pb::GetCategoryTreeRequest>,
    ) -> R<pb::GetCategoryTreeResponse> {
        categories::tree(self, request).await
    }

    async fn create_product(
        &self,
        request: Request<pb::CreateProductRequest>,
    ) -> R<pb::CreateProductResponse> {
        products::create(self, request).await
    }

    async fn update_product(
        &self,
        request: Request<pb::UpdateProductRequest>,
    ) -> R<pb::UpdateProductResponse> {
        products::update(self, request).await
    }

    async fn get_product(
        &self,
        request: Request<pb::GetProductRequest>,
    ) -> R<pb::GetProductResponse> {
        products::get(self, request).await
    }

    async fn list_products(
        &self,
        request: Request<pb::ListProductsRequest>,
    ) -> R<pb::ListProductsResponse> {
        products::list(self, request).await
    }

    async fn publish_product(
        &self,
        request: Request<pb::PublishProductRequest>,
    ) -> R<pb::PublishProductResponse> {
        products::publish(self, request).await
    }

    async fn unpublish_product(
        &self,
        request: Request<pb::UnpublishProductRequest>,
    ) -> R<pb::UnpublishProductResponse> {
        products::unpublish(self, request).await
    }

    async fn delete_product(
        &self,
        request: Request<pb::DeleteProductRequest>,
    ) -> R<pb::DeleteProductResponse> {
        products::delete(self, request).await
    }

    async fn add_skus(&self, request: Request<pb::AddSkusRequest>) -> R<pb::AddSkusResponse> {
        skus::add(self, request).await
    }

    async fn update_sku(&self, request: Request<pb::UpdateSkuRequest>) -> R<pb::UpdateSkuResponse> {
        skus::update(self, request).await
    }

    async fn batch_get_skus(
        &self,
        request: Request<pb::BatchGetSkusRequest>,
    ) -> R<pb::BatchGetSkusResponse> {
        skus::batch_get(self, request).await
    }
}
