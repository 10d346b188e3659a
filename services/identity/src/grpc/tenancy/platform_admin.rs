//! TenantService: the platform's ListTenants and UpdateTenant (rename, suspend, reactivate).

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::app::tenancy::platform_admin::TenantChange;
use crate::error::AppError;
use crate::grpc::ids::tenant_id;
use crate::grpc::tenancy::tenant_view;
use crate::grpc::{Caller, TenantApi, owned_actor};

impl TenantApi {
    /// ListTenants (platform).
    pub(super) async fn list(
        &self,
        request: Request<pb::ListTenantsRequest>,
    ) -> Result<pb::ListTenantsResponse, Status> {
        let caller = Caller::of(&request)?;
        self.require_platform(&caller).await?;
        let req = request.get_ref();
        let status = match pb::TenantStatus::try_from(req.status) {
            Ok(pb::TenantStatus::Unspecified) => None,
            Ok(pb::TenantStatus::Active) => Some("ACTIVE"),
            Ok(pb::TenantStatus::Suspended) => Some("SUSPENDED"),
            Err(_) => return Err(AppError::invalid("status", "is not a tenant status").into()),
        };
        if req.query.chars().count() > 64 {
            return Err(AppError::invalid("query", "must be at most 64 characters").into());
        }
        let query = req.query.to_lowercase();
        let rows: Vec<_> = self
            .app
            .list_tenants()
            .await?
            .into_iter()
            .filter(|t| status.is_none_or(|s| t.status == s))
            .filter(|t| {
                query.is_empty()
                    || t.code.to_lowercase().contains(&query)
                    || t.name.to_lowercase().contains(&query)
            })
            .collect();
        let list = format!(
            "tenants:{}:{}",
            req.status,
            crate::crypto::sha256_hex(&query)
        );
        let (rows, page) = crate::grpc::paging::page(&list, rows, req.page.as_ref(), 200)?;
        Ok(pb::ListTenantsResponse {
            tenants: rows.iter().map(tenant_view).collect(),
            page: Some(page),
        })
    }

    /// UpdateTenant (platform): name and status.
    pub(super) async fn update(
        &self,
        request: Request<pb::UpdateTenantRequest>,
    ) -> Result<pb::UpdateTenantResponse, Status> {
        let caller = Caller::of(&request)?;
        self.require_platform(&caller).await?;
        let req = request.get_ref();
        let t = req
            .tenant
            .as_ref()
            .ok_or_else(|| AppError::invalid("tenant", "is required"))?;
        let id = tenant_id("tenant.tenant_id", &t.tenant_id)?.to_string();
        let paths = req
            .update_mask
            .as_ref()
            .map(|m| m.paths.clone())
            .unwrap_or_default();
        let mut change = TenantChange {
            reason: req.reason.trim().to_owned(),
            ..TenantChange::default()
        };
        let mut bad = Vec::new();
        for path in &paths {
            match path.as_str() {
                "name" => {
                    if t.name.trim().is_empty() || t.name.chars().count() > 64 {
                        bad.push(("tenant.name", "must be 1..64 characters".to_owned()));
                    }
                    change.name = Some(t.name.trim().to_owned());
                }
                "status" => match pb::TenantStatus::try_from(t.status) {
                    Ok(pb::TenantStatus::Active) => change.status = Some("ACTIVE"),
                    Ok(pb::TenantStatus::Suspended) => change.status = Some("SUSPENDED"),
                    _ => bad.push(("tenant.status", "must be ACTIVE or SUSPENDED".to_owned())),
                },
                other => bad.push(("update_mask", format!("unknown path {other:?}"))),
            }
        }
        if paths.is_empty() {
            bad.push(("update_mask", "must name at least one path".to_owned()));
        }
        if change.status == Some("SUSPENDED") && change.reason.is_empty() {
            bad.push(("reason", "is required when suspending".to_owned()));
        }
        if change.reason.chars().count() > 500 {
            bad.push(("reason", "must be at most 500 characters".to_owned()));
        }
        if !bad.is_empty() {
            return Err(AppError::InvalidArgument {
                reason: "INVALID_ARGUMENT",
                fields: bad.into_iter().map(|(f, d)| (f.to_owned(), d)).collect(),
            }
            .into());
        }
        let actor = owned_actor(&caller);
        // Stored under the platform tenant: the caller's own idempotency scope.
        self.mutate(
            &request,
            &caller.tenant(),
            "UpdateTenant",
            move |app, txn| {
                Box::pin(async move {
                    let updated = app
                        .update_tenant(txn, &id, change, (&actor.0, &actor.1))
                        .await?;
                    Ok(pb::UpdateTenantResponse {
                        tenant: Some(tenant_view(&updated)),
                    })
                })
            },
        )
        .await
    }
}
