//! OrgService: each RPC delegates to the handler file of its concern — unit changes, reads,
//! stores, and a store manager's own store — and the wire form of a unit.

mod input;
mod own_store;
mod reads;
mod stores;
mod units;

use prost::Message as _;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::grpc::OrgApi;
use crate::repo::org::units::OrgRow;
use siyu_proto::time::timestamp;

/// The wire form of a unit.
pub fn unit_view(u: &OrgRow) -> pb::OrgUnit {
    let mut ancestors: Vec<String> = u.path.split('/').map(str::to_owned).collect();
    ancestors.pop();
    let store = (u.kind == "STORE")
        .then(|| pb::StoreProfile::decode(u.profile.as_slice()).unwrap_or_default());
    pb::OrgUnit {
        org_unit_id: u.id.clone(),
        parent_id: u.parent_id.clone().unwrap_or_default(),
        r#type: kind_of(&u.kind) as i32,
        name: u.name.clone(),
        code: u.code.clone(),
        status: if u.status == "ACTIVE" {
            pb::OrgUnitStatus::Active
        } else {
            pb::OrgUnitStatus::Disabled
        } as i32,
        store,
        ancestor_ids: ancestors,
        depth: u.depth,
        child_count: i32::try_from(u.child_count).unwrap_or(i32::MAX),
        sort_order: u.sort_order,
        etag: u.version.to_string(),
        create_time: Some(timestamp(u.created_at)),
        update_time: Some(timestamp(u.updated_at)),
    }
}

fn kind_of(kind: &str) -> pb::OrgUnitType {
    pb::OrgUnitType::from_str_name(&format!("ORG_UNIT_TYPE_{kind}"))
        .unwrap_or(pb::OrgUnitType::Unspecified)
}

fn kind_name(value: i32) -> Option<&'static str> {
    match pb::OrgUnitType::try_from(value).ok()? {
        pb::OrgUnitType::Hq => Some("HQ"),
        pb::OrgUnitType::Region => Some("REGION"),
        pb::OrgUnitType::Store => Some("STORE"),
        pb::OrgUnitType::Department => Some("DEPARTMENT"),
        pb::OrgUnitType::Unspecified => None,
    }
}

#[tonic::async_trait]
impl pb::org_service_server::OrgService for OrgApi {
    #[tracing::instrument(skip_all)]
    async fn create_org_unit(
        &self,
        request: Request<pb::CreateOrgUnitRequest>,
    ) -> Result<Response<pb::CreateOrgUnitResponse>, Status> {
        self.create_org_unit_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn update_org_unit(
        &self,
        request: Request<pb::UpdateOrgUnitRequest>,
    ) -> Result<Response<pb::UpdateOrgUnitResponse>, Status> {
        self.update_org_unit_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn move_org_unit(
        &self,
        request: Request<pb::MoveOrgUnitRequest>,
    ) -> Result<Response<pb::MoveOrgUnitResponse>, Status> {
        self.move_org_unit_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn disable_org_unit(
        &self,
        request: Request<pb::DisableOrgUnitRequest>,
    ) -> Result<Response<pb::DisableOrgUnitResponse>, Status> {
        self.disable_org_unit_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn enable_org_unit(
        &self,
        request: Request<pb::EnableOrgUnitRequest>,
    ) -> Result<Response<pb::EnableOrgUnitResponse>, Status> {
        self.enable_org_unit_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn get_org_unit(
        &self,
        request: Request<pb::GetOrgUnitRequest>,
    ) -> Result<Response<pb::GetOrgUnitResponse>, Status> {
        self.get_org_unit_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn batch_get_org_units(
        &self,
        request: Request<pb::BatchGetOrgUnitsRequest>,
    ) -> Result<Response<pb::BatchGetOrgUnitsResponse>, Status> {
        self.batch_get_org_units_rpc(request)
            .await
            .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_org_children(
        &self,
        request: Request<pb::ListOrgChildrenRequest>,
    ) -> Result<Response<pb::ListOrgChildrenResponse>, Status> {
        self.list_org_children_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn get_org_subtree(
        &self,
        request: Request<pb::GetOrgSubtreeRequest>,
    ) -> Result<Response<pb::GetOrgSubtreeResponse>, Status> {
        self.get_org_subtree_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn get_org_path(
        &self,
        request: Request<pb::GetOrgPathRequest>,
    ) -> Result<Response<pb::GetOrgPathResponse>, Status> {
        self.get_org_path_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_stores(
        &self,
        request: Request<pb::ListStoresRequest>,
    ) -> Result<Response<pb::ListStoresResponse>, Status> {
        self.list_stores_rpc(request).await.map(Response::new)
    }
}
