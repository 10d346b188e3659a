//! OrgService handlers.

mod own_store;

use prost::Message as _;
use siyu_core::PageToken;
use siyu_proto::common::v1 as common;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::org::{NewUnit, StoreFields, UnitPatch};
use crate::app::org_query::StoreQuery;
use crate::error::AppError;
use crate::events::timestamp;
use crate::grpc::OrgApi;
use crate::repo::org::OrgRow;

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

fn check_name(name: &str, field: &str) -> Result<(), AppError> {
    let n = name.trim().chars().count();
    if (1..=64).contains(&n) {
        Ok(())
    } else {
        Err(AppError::invalid(field, "must be 1..64 characters"))
    }
}

fn check_code(code: &str, field: &str) -> Result<(), AppError> {
    let ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            field,
            "must be 1..32 of A-Z, a-z, 0-9, '-', '_'",
        ))
    }
}

fn check_geo(geo: &common::GeoPoint, field: &str) -> Result<(f64, f64), AppError> {
    if (-90.0..=90.0).contains(&geo.latitude) && (-180.0..=180.0).contains(&geo.longitude) {
        Ok((geo.latitude, geo.longitude))
    } else {
        Err(AppError::invalid(
            field,
            "latitude must be -90..90, longitude -180..180",
        ))
    }
}

/// The patch of an UpdateOrgUnit mask (every value validated).
fn patch_of(unit: &pb::OrgUnit, paths: &[String]) -> Result<UnitPatch, AppError> {
    let mut patch = UnitPatch::default();
    for path in paths {
        match path.as_str() {
            "name" => {
                check_name(&unit.name, "org_unit.name")?;
                patch.name = Some(unit.name.trim().to_owned());
            }
            "code" => {
                check_code(&unit.code, "org_unit.code")?;
                patch.code = Some(unit.code.clone());
            }
            "sort_order" => patch.sort_order = Some(unit.sort_order),
            p if p == "store" || p.starts_with("store.") => {
                // Sub-paths replace the whole profile: the console sends the full store.
                let store = unit
                    .store
                    .as_ref()
                    .ok_or_else(|| AppError::invalid("org_unit.store", "is required"))?;
                patch.store = Some(store_fields(store, "org_unit.store")?);
            }
            _ => return Err(AppError::invalid("update_mask", "has an unknown path")),
        }
    }
    Ok(patch)
}

/// Parses a StoreProfile (an address is required).
fn store_fields(p: &pb::StoreProfile, field: &str) -> Result<StoreFields, AppError> {
    let address = p
        .address
        .as_ref()
        .filter(|a| !a.detail.trim().is_empty())
        .ok_or_else(|| AppError::invalid(&format!("{field}.address"), "is required"))?;
    let geo = p
        .geo
        .as_ref()
        .map(|g| check_geo(g, &format!("{field}.geo")))
        .transpose()?;
    Ok(StoreFields {
        address: [
            &address.province,
            &address.city,
            &address.district,
            &address.detail,
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" "),
        city: address.city.clone(),
        latitude: geo.map(|g| g.0),
        longitude: geo.map(|g| g.1),
        pickup: p.pickup_enabled,
        profile: p.encode_to_vec(),
    })
}

/// Offset paging over an in-memory result (the tree reads load one subtree).
pub(super) fn page<T>(
    list: &str,
    rows: Vec<T>,
    page: Option<&common::PageRequest>,
    max: u32,
) -> Result<(Vec<T>, common::PageResponse), AppError> {
    let (size, token) = page.map_or((0, ""), |p| (p.page_size, p.page_token.as_str()));
    let size = match size {
        0 => 50.min(max),
        n if n > 0 && n.unsigned_abs() <= max => n.unsigned_abs(),
        _ => return Err(AppError::invalid("page.page_size", "is out of range")),
    };
    let offset: usize = if token.is_empty() {
        0
    } else {
        PageToken::decode(list, token)
            .map_err(|_| AppError::invalid("page.page_token", "is not a token of this list"))?
    };
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let total = rows.len();
    let items: Vec<T> = rows.into_iter().skip(offset).take(size).collect();
    let next = if offset + items.len() < total {
        PageToken::encode(list, &(offset + items.len()))
    } else {
        String::new()
    };
    Ok((
        items,
        common::PageResponse {
            next_page_token: next,
        },
    ))
}

#[tonic::async_trait]
impl pb::org_service_server::OrgService for OrgApi {
    #[tracing::instrument(skip_all)]
    async fn create_org_unit(
        &self,
        request: Request<pb::CreateOrgUnitRequest>,
    ) -> Result<Response<pb::CreateOrgUnitResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let req = request.get_ref();
        let kind = match kind_name(req.r#type) {
            Some(k @ ("REGION" | "STORE" | "DEPARTMENT")) => k,
            _ => {
                return Err(
                    AppError::invalid("type", "must be REGION, STORE or DEPARTMENT").into(),
                );
            }
        };
        if req.parent_id.is_empty() {
            return Err(AppError::invalid("parent_id", "is required").into());
        }
        check_name(&req.name, "name")?;
        check_code(&req.code, "code")?;
        let store = match (kind, &req.store) {
            ("STORE", Some(p)) => Some(store_fields(p, "store")?),
            ("STORE", None) => {
                return Err(AppError::invalid("store", "is required for stores").into());
            }
            (_, Some(_)) => return Err(AppError::invalid("store", "only stores have one").into()),
            (_, None) => None,
        };
        let new = NewUnit {
            parent_id: req.parent_id.clone(),
            kind: kind.to_owned(),
            name: req.name.trim().to_owned(),
            code: req.code.clone(),
            sort_order: req.sort_order,
            store,
        };
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "CreateOrgUnit",
                move |app, txn| {
                    Box::pin(async move {
                        let unit = app.create_org_unit(txn, &ctx, new).await?;
                        Ok(pb::CreateOrgUnitResponse {
                            org_unit: Some(unit_view(&unit)),
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn update_org_unit(
        &self,
        request: Request<pb::UpdateOrgUnitRequest>,
    ) -> Result<Response<pb::UpdateOrgUnitResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let req = request.get_ref();
        let unit = req
            .org_unit
            .as_ref()
            .ok_or_else(|| AppError::invalid("org_unit", "is required"))?;
        if unit.org_unit_id.is_empty() || unit.etag.is_empty() {
            return Err(
                AppError::invalid("org_unit.etag", "org_unit_id and etag are required").into(),
            );
        }
        let paths = req
            .update_mask
            .as_ref()
            .map(|m| m.paths.clone())
            .unwrap_or_default();
        if paths.is_empty() {
            return Err(AppError::invalid("update_mask", "is required").into());
        }
        if crate::app::org::own_store::only_store_details(&paths) {
            return self.update_own_store(&request, &caller, paths).await;
        }
        let ctx = caller.ctx.clone();
        let (id, etag) = (unit.org_unit_id.clone(), unit.etag.clone());
        let unit = unit.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "UpdateOrgUnit",
                move |app, txn| {
                    Box::pin(async move {
                        // Access first: a caller who may not edit the unit learns
                        // PERMISSION_DENIED, not which of their values would be invalid.
                        app.require_org_editor(txn, &ctx, &id).await?;
                        let patch = patch_of(&unit, &paths)?;
                        let unit = app.update_org_unit(txn, &ctx, &id, &etag, patch).await?;
                        Ok(pb::UpdateOrgUnitResponse {
                            org_unit: Some(unit_view(&unit)),
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn move_org_unit(
        &self,
        request: Request<pb::MoveOrgUnitRequest>,
    ) -> Result<Response<pb::MoveOrgUnitResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let req = request.get_ref().clone();
        if req.org_unit_id.is_empty() || req.new_parent_id.is_empty() {
            return Err(AppError::invalid(
                "new_parent_id",
                "org_unit_id and new_parent_id are required",
            )
            .into());
        }
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "MoveOrgUnit",
                move |app, txn| {
                    Box::pin(async move {
                        let unit = app
                            .move_org_unit(
                                txn,
                                &ctx,
                                &req.org_unit_id,
                                &req.new_parent_id,
                                &req.reason,
                            )
                            .await?;
                        Ok(pb::MoveOrgUnitResponse {
                            org_unit: Some(unit_view(&unit)),
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn disable_org_unit(
        &self,
        request: Request<pb::DisableOrgUnitRequest>,
    ) -> Result<Response<pb::DisableOrgUnitResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let req = request.get_ref().clone();
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "DisableOrgUnit",
                move |app, txn| {
                    Box::pin(async move {
                        let (unit, n) = app
                            .set_org_unit_status(txn, &ctx, &req.org_unit_id, false, req.cascade)
                            .await?;
                        Ok(pb::DisableOrgUnitResponse {
                            org_unit: Some(unit_view(&unit)),
                            disabled_count: i32::try_from(n).unwrap_or(i32::MAX),
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn enable_org_unit(
        &self,
        request: Request<pb::EnableOrgUnitRequest>,
    ) -> Result<Response<pb::EnableOrgUnitResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let id = request.get_ref().org_unit_id.clone();
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "EnableOrgUnit",
                move |app, txn| {
                    Box::pin(async move {
                        let (unit, _) =
                            app.set_org_unit_status(txn, &ctx, &id, true, false).await?;
                        Ok(pb::EnableOrgUnitResponse {
                            org_unit: Some(unit_view(&unit)),
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn get_org_unit(
        &self,
        request: Request<pb::GetOrgUnitRequest>,
    ) -> Result<Response<pb::GetOrgUnitResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let unit = self
            .app
            .get_org_unit(&caller.ctx, &request.get_ref().org_unit_id)
            .await?;
        Ok(Response::new(pb::GetOrgUnitResponse {
            org_unit: Some(unit_view(&unit)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn batch_get_org_units(
        &self,
        request: Request<pb::BatchGetOrgUnitsRequest>,
    ) -> Result<Response<pb::BatchGetOrgUnitsResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let ids = &request.get_ref().org_unit_ids;
        if ids.is_empty() || ids.len() > 200 {
            return Err(AppError::invalid("org_unit_ids", "must hold 1..200 ids").into());
        }
        let units = self.app.batch_get_org_units(&caller.ctx, ids).await?;
        Ok(Response::new(pb::BatchGetOrgUnitsResponse {
            org_units: units.iter().map(unit_view).collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_org_children(
        &self,
        request: Request<pb::ListOrgChildrenRequest>,
    ) -> Result<Response<pb::ListOrgChildrenResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let req = request.get_ref();
        let rows = self
            .app
            .org_children(&caller.ctx, &req.parent_id, req.include_disabled)
            .await?;
        let (rows, page) = page("org_children", rows, req.page.as_ref(), 200)?;
        Ok(Response::new(pb::ListOrgChildrenResponse {
            org_units: rows.iter().map(unit_view).collect(),
            page: Some(page),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_org_subtree(
        &self,
        request: Request<pb::GetOrgSubtreeRequest>,
    ) -> Result<Response<pb::GetOrgSubtreeResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let req = request.get_ref();
        let kinds = req
            .types
            .iter()
            .map(|t| {
                kind_name(*t)
                    .map(str::to_owned)
                    .ok_or_else(|| AppError::invalid("types", "has an unknown type"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if req.max_depth < 0 {
            return Err(AppError::invalid("max_depth", "must not be negative").into());
        }
        let rows = self
            .app
            .org_subtree(
                &caller.ctx,
                &req.org_unit_id,
                req.max_depth,
                &kinds,
                req.include_disabled,
            )
            .await?;
        let (rows, page) = page("org_subtree", rows, req.page.as_ref(), 1000)?;
        Ok(Response::new(pb::GetOrgSubtreeResponse {
            org_units: rows.iter().map(unit_view).collect(),
            page: Some(page),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_org_path(
        &self,
        request: Request<pb::GetOrgPathRequest>,
    ) -> Result<Response<pb::GetOrgPathResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let id = &request.get_ref().org_unit_id;
        if id.is_empty() {
            return Err(AppError::invalid("org_unit_id", "is required").into());
        }
        let path = self.app.org_path(&caller.ctx, id).await?;
        Ok(Response::new(pb::GetOrgPathResponse {
            path: path.iter().map(unit_view).collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_stores(
        &self,
        request: Request<pb::ListStoresRequest>,
    ) -> Result<Response<pb::ListStoresResponse>, Status> {
        let req = request.get_ref();
        let caller = if request.metadata().contains_key("authorization") {
            Some(self.authenticate(&request).await?)
        } else {
            None
        };
        if let Some(c) = &caller
            && c.ctx.principal.kind == siyu_core::PrincipalKind::Partner
            && !c.ctx.principal.has_scope("catalog.read")
        {
            return Err(AppError::PermissionDenied("SCOPE_MISSING").into());
        }
        let tenant = match &caller {
            Some(c) => c.tenant(),
            None if req.app_id.is_empty() => {
                return Err(AppError::invalid("app_id", "is required without a token").into());
            }
            None => self.app.resolve_app(&req.app_id).await?.tenant.id,
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
            under: req.under_org_unit_id.clone(),
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
        Ok(Response::new(pb::ListStoresResponse {
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
        }))
    }
}
