//! OrgService: ListStores (public callers see active stores only).

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::app::org::stores::StoreQuery;
use crate::error::AppError;
use crate::grpc::ids::opt_id;
use crate::grpc::org::input::check_geo;
use crate::grpc::org::unit_view;
use crate::grpc::paging::page;
use crate::grpc::{Caller, OrgApi};

impl OrgApi {
    /// ListStores.
    pub(super) async fn list_stores_rpc(
        &self,
        request: Request<pb::ListStoresRequest>,
    ) -> Result<pb::ListStoresResponse, Status> {
        let req = request.get_ref();
        let caller = Caller::optional(&request)?;
        let tenant = match &caller {
            Some(c) => c.tenant(),
            None => self.guest_tenant(&request, &req.app_id).await?,
        };
        if !(0..=200_000).contains(&req.radius_meters) {
            return Err(AppError::invalid("radius_meters", "must be 0..200000").into());
        }
        let near = req
            .near
            .as_ref()
            .map(|g| check_geo(g, "near"))
            .transpose()?;
        let query = StoreQuery {
            under: opt_id("under_org_unit_id", &req.under_org_unit_id)?
                .map(|id| id.to_string())
                .unwrap_or_default(),
            query: req.query.clone(),
            city: req.city.clone(),
            near,
            radius_meters: req.radius_meters,
            pickup_only: req.pickup_only,
            include_disabled: req.include_disabled,
        };
        let stores = self
            .app
            .list_stores(&tenant, caller.as_ref().map(|c| &c.ctx), &query)
            .await?;
        let (stores, page) = page("stores", stores, req.page.as_ref(), 200)?;
        Ok(pb::ListStoresResponse {
            stores: stores
                .iter()
                .map(|(s, d)| pb::StoreListing {
                    store: Some(unit_view(s)),
                    // Rounded: callers show "1.2 km", not millimetres.
                    #[allow(
                        clippy::cast_possible_truncation,
                        reason = "bounded by the radius check"
                    )]
                    distance_meters: if near.is_some() && d.is_finite() {
                        d.round() as i32
                    } else {
                        0
                    },
                })
                .collect(),
            page: Some(page),
        })
    }
}
