//! InventoryService: creating, reading and listing locations.

use siyu_proto::catalog::v1 as pb;
use tonic::{Request, Response};
use uuid::Uuid;

use crate::app::domain::{LocationKind, LocationStatus};
use crate::app::invalid;
use crate::grpc::convert::{self, id, location_out, page};
use crate::grpc::{Handlers, R, ctx, err};
impl Handlers {
    #[tracing::instrument(skip_all)]
    pub(super) async fn create_location_rpc(
        &self,
        request: Request<pb::CreateLocationRequest>,
    ) -> R<pb::CreateLocationResponse> {
        let ctx = ctx(&request)?;
        let key = siyu_server::metadata::idempotency_key(&request)?;
        let req = request.into_inner();
        let location = convert::location_in(
            req.location
                .as_ref()
                .ok_or_else(|| err(invalid("location", "required")))?,
        )
        .map_err(err)?;
        let app = self.app.clone();
        let c = ctx.clone();
        self.mutate(&ctx, key, "CreateLocation", &req, move |txn| {
            Box::pin(async move {
                let l = app.create_location(txn, &c, location).await?;
                Ok(pb::CreateLocationResponse {
                    location: Some(location_out(&l)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn get_location_rpc(
        &self,
        request: Request<pb::GetLocationRequest>,
    ) -> R<pb::GetLocationResponse> {
        let ctx = ctx(&request)?;
        let id = id("location_id", &request.get_ref().location_id).map_err(err)?;
        let l = self.app.get_location(&ctx, id).await.map_err(err)?;
        Ok(Response::new(pb::GetLocationResponse {
            location: Some(location_out(&l)),
        }))
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn list_locations_rpc(
        &self,
        request: Request<pb::ListLocationsRequest>,
    ) -> R<pb::ListLocationsResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let kind = match pb::LocationKind::try_from(req.kind) {
            Ok(pb::LocationKind::Unspecified) => None,
            Ok(pb::LocationKind::Store) => Some(LocationKind::Store),
            Ok(pb::LocationKind::Warehouse) => Some(LocationKind::Warehouse),
            Err(_) => return Err(err(invalid("kind", "unknown kind"))),
        };
        let mut statuses = Vec::new();
        for (i, s) in req.statuses.iter().enumerate() {
            statuses.push(match pb::LocationStatus::try_from(*s) {
                Ok(pb::LocationStatus::Active) => LocationStatus::Active,
                Ok(pb::LocationStatus::Suspended) => LocationStatus::Suspended,
                Ok(pb::LocationStatus::Closed) => LocationStatus::Closed,
                _ => return Err(err(invalid(format!("statuses[{i}]"), "unknown status"))),
            });
        }
        let p = page::<(String, Uuid)>("locations", req.page.as_ref()).map_err(err)?;
        let rows = self
            .app
            .list_locations(&ctx, kind, statuses, p.after.clone(), p.fetch_limit())
            .await
            .map_err(err)?;
        let (rows, next) =
            siyu_core::PageToken::finish("locations", rows, p.size, |l| (l.name.clone(), l.id));
        Ok(Response::new(pb::ListLocationsResponse {
            locations: rows.iter().map(location_out).collect(),
            page: Some(siyu_proto::common::v1::PageResponse {
                next_page_token: next,
            }),
        }))
    }
}
