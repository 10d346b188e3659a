//! UpdateOrgUnit with only a store's own details (the store_manager paths): the named
//! sub-fields are merged into the stored profile instead of replacing it.

use std::sync::Arc;

use prost::Message as _;
use siyu_proto::identity::v1 as pb;
use tonic::Request;

use crate::error::AppError;
use crate::grpc::org::input::Edit;
use crate::grpc::org::unit_view;
use crate::grpc::{Api, Caller, R};

/// Copies the sub-fields named by `paths` from `new` into the stored profile `old`.
fn merge(old: &[u8], new: &pb::StoreProfile, paths: &[String]) -> Result<Vec<u8>, AppError> {
    let mut profile = pb::StoreProfile::decode(old)
        .map_err(|e| AppError::Internal(format!("stored store profile does not decode: {e}")))?;
    for path in paths {
        match path.as_str() {
            "store.opening_hours" => profile.opening_hours = new.opening_hours.clone(),
            "store.special_hours" => profile.special_hours = new.special_hours.clone(),
            "store.phone" => profile.phone = new.phone.clone(),
            "store.image_url" => profile.image_url = new.image_url.clone(),
            _ => return Err(AppError::PermissionDenied),
        }
    }
    Ok(profile.encode_to_vec())
}

/// Bounds of the sub-fields a store manager may send.
fn check(store: &pb::StoreProfile) -> Result<(), AppError> {
    if store.phone.chars().count() > 32 {
        return Err(AppError::invalid(
            "org_unit.store.phone",
            "is at most 32 characters",
        ));
    }
    let url = &store.image_url;
    if !url.is_empty() && (url.len() > 512 || !url.starts_with("https://") || url.len() <= 8) {
        return Err(AppError::invalid(
            "org_unit.store.image_url",
            "must be an https:// URL of at most 512 characters",
        ));
    }
    if store.opening_hours.len() > 64 || store.special_hours.len() > 400 {
        return Err(AppError::invalid(
            "org_unit.store",
            "has too many hours entries",
        ));
    }
    Ok(())
}

/// UpdateOrgUnit whose mask names only store details: the named sub-fields are merged into
/// the stored profile (the app decides who may, `App::update_store_details`).
pub(super) async fn update(
    api: &Api,
    request: &Request<pb::UpdateOrgUnitRequest>,
    caller: Caller,
    edit: Edit,
) -> R<pb::UpdateOrgUnitResponse> {
    let store = edit
        .unit
        .store
        .clone()
        .ok_or_else(|| AppError::invalid("org_unit.store", "is required"))?;
    check(&store)?;
    let (app, ctx) = (Arc::clone(&api.app), caller.ctx);
    api.mutations
        .mutate(request, move |txn| {
            Box::pin(async move {
                let row = app
                    .update_store_details(txn, &ctx, &edit.id, &edit.etag, |old| {
                        merge(old, &store, &edit.paths)
                    })
                    .await?;
                Ok(pb::UpdateOrgUnitResponse {
                    org_unit: Some(unit_view(&row)),
                })
            })
        })
        .await
}
