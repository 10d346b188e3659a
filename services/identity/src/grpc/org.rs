//! OrgService: each RPC dispatches to the handler file of its concern — unit changes, reads,
//! stores, and a store manager's own store — and the wire form of a unit.

mod input;
mod own_store;
mod reads;
mod stores;
mod units;

use prost::Message as _;
use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::Request;

use crate::grpc::{OrgApi, R};
use crate::repo::org::units::OrgUnit;
use crate::repo::org::{OrgUnitStatus, OrgUnitType};

/// The wire form of a unit.
pub fn unit_view(u: &OrgUnit) -> pb::OrgUnit {
    let mut ancestors: Vec<String> = u.path.split('/').map(str::to_owned).collect();
    ancestors.pop();
    let store = (u.kind == OrgUnitType::Store)
        .then(|| pb::StoreProfile::decode(u.profile.as_slice()).unwrap_or_default());
    pb::OrgUnit {
        org_unit_id: u.id.clone(),
        parent_id: u.parent_id.clone().unwrap_or_default(),
        r#type: unit_type(u.kind) as i32,
        name: u.name.clone(),
        code: u.code.clone(),
        status: match u.status {
            OrgUnitStatus::Active => pb::OrgUnitStatus::Active,
            OrgUnitStatus::Disabled => pb::OrgUnitStatus::Disabled,
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

/// The wire type of a unit type.
fn unit_type(kind: OrgUnitType) -> pb::OrgUnitType {
    match kind {
        OrgUnitType::Hq => pb::OrgUnitType::Hq,
        OrgUnitType::Region => pb::OrgUnitType::Region,
        OrgUnitType::Store => pb::OrgUnitType::Store,
        OrgUnitType::Department => pb::OrgUnitType::Department,
    }
}

/// The unit type of a wire unit type (None for UNSPECIFIED or unknown values).
fn kind_name(value: i32) -> Option<OrgUnitType> {
    match pb::OrgUnitType::try_from(value).ok()? {
        pb::OrgUnitType::Hq => Some(OrgUnitType::Hq),
        pb::OrgUnitType::Region => Some(OrgUnitType::Region),
        pb::OrgUnitType::Store => Some(OrgUnitType::Store),
        pb::OrgUnitType::Department => Some(OrgUnitType::Department),
        pb::OrgUnitType::Unspecified => None,
    }
}

#[tonic::async_trait]
impl pb::org_service_server::OrgService for OrgApi {
    async fn create_org_unit(
        &self,
        request: Request<pb::CreateOrgUnitRequest>,
    ) -> R<pb::CreateOrgUnitResponse> {
        units::create(self, request).await
    }

    async fn update_org_unit(
        &self,
        request: Request<pb::UpdateOrgUnitRequest>,
    ) -> R<pb::UpdateOrgUnitResponse> {
        units::update(self, request).await
    }

    async fn move_org_unit(
        &self,
        request: Request<pb::MoveOrgUnitRequest>,
    ) -> R<pb::MoveOrgUnitResponse> {
        units::move_unit(self, request).await
    }

    async fn disable_org_unit(
        &self,
        request: Request<pb::DisableOrgUnitRequest>,
    ) -> R<pb::DisableOrgUnitResponse> {
        units::disable(self, request).await
    }

    async fn enable_org_unit(
        &self,
        request: Request<pb::EnableOrgUnitRequest>,
    ) -> R<pb::EnableOrgUnitResponse> {
        units::enable(self, request).await
    }

    async fn get_org_unit(
        &self,
        request: Request<pb::GetOrgUnitRequest>,
    ) -> R<pb::GetOrgUnitResponse> {
        reads::get(self, request).await
    }

    async fn batch_get_org_units(
        &self,
        request: Request<pb::BatchGetOrgUnitsRequest>,
    ) -> R<pb::BatchGetOrgUnitsResponse> {
        reads::batch_get(self, request).await
    }

    async fn list_org_children(
        &self,
        request: Request<pb::ListOrgChildrenRequest>,
    ) -> R<pb::ListOrgChildrenResponse> {
        reads::children(self, request).await
    }

    async fn get_org_subtree(
        &self,
        request: Request<pb::GetOrgSubtreeRequest>,
    ) -> R<pb::GetOrgSubtreeResponse> {
        reads::subtree(self, request).await
    }

    async fn get_org_path(
        &self,
        request: Request<pb::GetOrgPathRequest>,
    ) -> R<pb::GetOrgPathResponse> {
        reads::path(self, request).await
    }

    async fn list_stores(
        &self,
        request: Request<pb::ListStoresRequest>,
    ) -> R<pb::ListStoresResponse> {
        stores::list(self, request).await
    }
}
