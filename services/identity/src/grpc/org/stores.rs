//! OrgService: ListStores (guests, consumers and partners see active stores only).

use siyu_proto::identity::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};

use crate::app::org::stores::StoreQuery;
use crate::error::AppError;
use crate::grpc::ids::opt_id;
use crate::grpc::org::input::check_geo;
use crate::grpc::org::unit_view;
use crate::grpc::{Api, Caller, R, page};

/// The pages of ListStores.
const STORES: Paging = Paging::new("stores", 50, 200);

/// ListStores, nearest first when `near` is given.
#[tracing::instrument(skip_all)]
pub(super) async fn list(
    api: &Api,
    request: Request<pb::ListStoresRequest>,
) -> R<pb::ListStoresResponse> {
    let req = request.get_ref();
    let caller = Caller::optional(&request)?;
    let tenant = match &caller {
        Some(c) => c.tenant(),
        None => api.guest_tenant(&request, &req.app_id).await?,
    };
    let query = store_query_in(req)?;
    let stores = api
        .app
        .list_stores(tenant, caller.as_ref().map(|c| &c.ctx), &query)
        .await?;
    let (stores, page) = page(&STORES, stores, req.page.as_ref())?;
    let near = query.near.is_some();
    Ok(Response::new(pb::ListStoresResponse {
        stores: stores
            .iter()
            .map(|(s, d)| pb::StoreListing {
                store: Some(unit_view(s)),
                distance_meters: if near { meters(*d) } else { 0 },
            })
            .collect(),
        page: Some(page),
    }))
}

/// The filters of a ListStores request.
fn store_query_in(req: &pb::ListStoresRequest) -> Result<StoreQuery, AppError> {
    if !(0..=200_000).contains(&req.radius_meters) {
        return Err(AppError::invalid("radius_meters", "must be 0..200000"));
    }
    let near = req
        .near
        .as_ref()
        .map(|g| check_geo(g, "near"))
        .transpose()?;
    Ok(StoreQuery {
        under: opt_id("under_org_unit_id", &req.under_org_unit_id)?
            .map(|id| id.to_string())
            .unwrap_or_default(),
        query: req.query.clone(),
        city: req.city.clone(),
        near,
        radius_meters: req.radius_meters,
        pickup_only: req.pickup_only,
        include_disabled: req.include_disabled,
    })
}

/// A distance rounded to metres: callers show "1.2 km", not millimetres.
#[allow(
    clippy::cast_possible_truncation,
    reason = "bounded by the radius check (or the Earth)"
)]
fn meters(d: f64) -> i32 {
    if d.is_finite() { d.round() as i32 } else { 0 }
}
