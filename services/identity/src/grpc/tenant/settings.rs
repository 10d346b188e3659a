//! TenantService: tenant settings under an etag, and the platform's list / update of tenants.

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::app::App;
use crate::app::tenant_settings::{SettingsChange, StoredSettings, TenantChange};
use crate::error::AppError;
use crate::events::timestamp;
use crate::grpc::tenant::pay::pay_view;
use crate::grpc::tenant::settings_mask::merge;
use crate::grpc::tenant::{app_view, tenant_view};
use crate::grpc::{Caller, TenantApi, owned_actor};

/// The wire form of stored settings (secrets of apps and pay config masked by their views).
pub(super) async fn settings_view(
    app: &App,
    conn: &impl sea_orm::ConnectionTrait,
    tenant: &str,
    s: &StoredSettings,
) -> Result<pb::TenantSettings, AppError> {
    let apps = crate::repo::tenant_settings::apps(conn, tenant).await?;
    let pay = app.pay_config(conn, tenant).await?;
    let (p, o, sec) = (&s.defaults.points, &s.defaults.orders, &s.defaults.security);
    Ok(pb::TenantSettings {
        tenant_id: tenant.to_owned(),
        apps: apps.iter().map(app_view).collect(),
        wechat_pay: pay.as_ref().map(pay_view),
        points_defaults: Some(pb::PointsDefaults {
            earn_points_per_yuan: p.earn_points_per_yuan,
            redeem_points_per_yuan: p.redeem_points_per_yuan,
            max_points_deduction_bps: p.max_points_deduction_bps,
            points_expiry_years: p.points_expiry_years,
        }),
        order_defaults: Some(pb::OrderDefaults {
            unpaid_timeout_seconds: o.unpaid_timeout_seconds,
            auto_complete_days: o.auto_complete_days,
            after_sales_window_days: o.after_sales_window_days,
            currency_code: o.currency_code.clone(),
        }),
        security: Some(pb::SecuritySettings {
            staff_lockout_threshold: sec.staff_lockout_threshold,
            staff_lockout_seconds: sec.staff_lockout_seconds,
            staff_password_max_age_days: sec.staff_password_max_age_days,
            require_totp_for_admins: sec.require_totp_for_admins,
        }),
        privacy_policy_version: s.privacy_policy_version.clone(),
        etag: s.version.to_string(),
        update_time: Some(timestamp(s.updated_at)),
    })
}

impl TenantApi {
    /// Requires tenant_admin or auditor on the root, or a service token.
    async fn settings_reader(&self, caller: &Caller) -> Result<(), Status> {
        if caller.ctx.principal.kind == PrincipalKind::Service {
            return Ok(());
        }
        self.require_root_role(caller, &["tenant_admin", "auditor"])
            .await
    }

    /// GetTenantSettings.
    pub(super) async fn get_settings(
        &self,
        request: Request<pb::GetTenantSettingsRequest>,
    ) -> Result<pb::GetTenantSettingsResponse, Status> {
        let caller = self.authenticate(&request).await?;
        self.settings_reader(&caller).await?;
        let tenant = caller.tenant();
        let stored = self.app.tenant_settings(&self.app.db, &tenant).await?;
        Ok(pb::GetTenantSettingsResponse {
            settings: Some(settings_view(&self.app, &self.app.db, &tenant, &stored).await?),
        })
    }

    /// UpdateTenantSettings.
    pub(super) async fn update_settings(
        &self,
        request: Request<pb::UpdateTenantSettingsRequest>,
    ) -> Result<pb::UpdateTenantSettingsResponse, Status> {
        let caller = self.authenticate(&request).await?;
        self.require_root_role(&caller, &["tenant_admin"]).await?;
        let req = request.get_ref();
        let new = req
            .settings
            .as_ref()
            .ok_or_else(|| AppError::invalid("settings", "is required"))?;
        let expected: i64 = new
            .etag
            .parse()
            .map_err(|_| AppError::invalid("settings.etag", "must be the etag read"))?;
        let paths = req
            .update_mask
            .as_ref()
            .map(|m| m.paths.clone())
            .unwrap_or_default();
        let tenant = caller.tenant();
        let new = new.clone();
        let actor = owned_actor(&caller);
        self.mutate(
            &request,
            &tenant.clone(),
            "UpdateTenantSettings",
            move |app, txn| {
                Box::pin(async move {
                    // Merged inside the transaction (a replay never gets here): the base must be
                    // the version the etag names, and the write re-checks it.
                    let current = app.tenant_settings(txn, &tenant).await?;
                    if current.version != expected {
                        return Err(AppError::Aborted("CONCURRENT_MODIFICATION"));
                    }
                    let (defaults, privacy) = merge(&current.defaults, &new, &paths)?;
                    let change = SettingsChange {
                        defaults,
                        privacy_policy_version: privacy,
                        expected_version: expected,
                        paths,
                    };
                    let stored = app
                        .update_tenant_settings(txn, &tenant, change, (&actor.0, &actor.1))
                        .await?;
                    Ok(pb::UpdateTenantSettingsResponse {
                        settings: Some(settings_view(&app, txn, &tenant, &stored).await?),
                    })
                })
            },
        )
        .await
    }

    /// ListTenants (platform).
    pub(super) async fn list(
        &self,
        request: Request<pb::ListTenantsRequest>,
    ) -> Result<pb::ListTenantsResponse, Status> {
        let caller = self.authenticate(&request).await?;
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
        let caller = self.authenticate(&request).await?;
        self.require_platform(&caller).await?;
        let req = request.get_ref();
        let t = req
            .tenant
            .as_ref()
            .ok_or_else(|| AppError::invalid("tenant", "is required"))?;
        if siyu_core::TenantId::parse(&t.tenant_id).is_err() {
            return Err(AppError::NotFound("TENANT_NOT_FOUND").into());
        }
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
        let id = t.tenant_id.clone();
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
