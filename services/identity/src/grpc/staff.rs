//! StaffService handlers: accounts, role grants and guide codes.

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

mod input;
mod views;

pub use views::{role_name, staff_view};

use self::input::{check_login_name, field, generated_password, id, reason};
use self::views::{code_view, grant_view};
use crate::app::org::covers;
use crate::app::staff_admin::{StaffFields, StaffView};
use crate::error::AppError;
use crate::events::timestamp;
use crate::grpc::org::page;
use crate::grpc::partner::{open, seal};
use crate::grpc::{Caller, StaffApi};

/// Roles that may read staff accounts in scope.
const READERS: &[&str] = &["tenant_admin", "hq_operator", "store_manager", "auditor"];

impl StaffApi {
    fn staff_caller(caller: &Caller) -> Result<(), Status> {
        if caller.ctx.principal.kind == PrincipalKind::Staff {
            Ok(())
        } else {
            Err(AppError::PermissionDenied("PERMISSION_DENIED").into())
        }
    }
}

#[tonic::async_trait]
impl pb::staff_service_server::StaffService for StaffApi {
    #[tracing::instrument(skip_all)]
    async fn create_staff(
        &self,
        request: Request<pb::CreateStaffRequest>,
    ) -> Result<Response<pb::CreateStaffResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        Self::staff_caller(&caller)?;
        let req = request.get_ref();
        let s = req
            .staff
            .as_ref()
            .ok_or_else(|| AppError::invalid("staff", "is required"))?;
        let login = check_login_name(&s.login_name)?;
        let mut fields = StaffFields::default();
        for path in [
            "display_name",
            "employee_no",
            "phone",
            "email",
            "avatar_url",
            "primary_org_unit_id",
            "wecom_user_id",
        ] {
            field(s, path, &mut fields)?;
        }
        if req.initial_password.is_empty() || req.initial_password.len() > 256 {
            return Err(AppError::invalid("initial_password", "is required").into());
        }
        let mut roles = Vec::new();
        for (i, g) in req.roles.iter().enumerate() {
            let role = role_name(g.role)
                .ok_or_else(|| AppError::invalid(&format!("roles[{i}].role"), "is required"))?;
            roles.push((
                role,
                id(&g.org_unit_id, &format!("roles[{i}].org_unit_id"))?,
            ));
        }
        let (ctx, password) = (caller.ctx.clone(), req.initial_password.clone());
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "CreateStaff",
                move |app, txn| {
                    Box::pin(async move {
                        let v = app
                            .create_staff(txn, &ctx, &login, fields, &password, roles)
                            .await?;
                        Ok(pb::CreateStaffResponse {
                            staff: Some(staff_view(&v, &ctx)),
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn get_staff(
        &self,
        request: Request<pb::GetStaffRequest>,
    ) -> Result<Response<pb::GetStaffResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let staff_id = id(&request.get_ref().staff_id, "staff_id")?;
        let v = self
            .app
            .staff_view(&self.app.db, &caller.tenant(), &staff_id)
            .await?;
        let ctx = &caller.ctx;
        let ok = ctx.principal.kind == PrincipalKind::Service
            || ctx.principal.subject == staff_id
            || covers(ctx, READERS, &v.path);
        if !ok {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED").into());
        }
        Ok(Response::new(pb::GetStaffResponse {
            staff: Some(staff_view(&v, ctx)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_current_staff(
        &self,
        request: Request<pb::GetCurrentStaffRequest>,
    ) -> Result<Response<pb::GetCurrentStaffResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        Self::staff_caller(&caller)?;
        let tenant = self.app.tenant(&caller.tenant()).await?;
        let v = self
            .app
            .staff_view(&self.app.db, &tenant.id, &caller.ctx.principal.subject)
            .await?;
        Ok(Response::new(pb::GetCurrentStaffResponse {
            staff: Some(staff_view(&v, &caller.ctx)),
            tenant_id: tenant.id,
            tenant_name: tenant.name,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_staff(
        &self,
        request: Request<pb::ListStaffRequest>,
    ) -> Result<Response<pb::ListStaffResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let req = request.get_ref();
        let ctx = &caller.ctx;
        let service = ctx.principal.kind == PrincipalKind::Service;
        let role = match req.role {
            0 => None,
            r => {
                Some(role_name(r).ok_or_else(|| AppError::invalid("role", "is not a known role"))?)
            }
        };
        let status = match pb::StaffStatus::try_from(req.status) {
            Ok(pb::StaffStatus::Unspecified) => None,
            Ok(pb::StaffStatus::Active) => Some("ACTIVE"),
            Ok(pb::StaffStatus::Disabled) => Some("DISABLED"),
            Err(_) => return Err(AppError::invalid("status", "is not a known status").into()),
        };
        if req.query.chars().count() > 64 {
            return Err(AppError::invalid("query", "must be at most 64 characters").into());
        }
        let under = if req.org_unit_id.is_empty() {
            None
        } else {
            let unit = self
                .app
                .org_unit(&self.app.db, &caller.tenant(), &req.org_unit_id)
                .await?;
            if !service && !covers(ctx, READERS, &unit.path) {
                return Err(AppError::PermissionDenied("PERMISSION_DENIED").into());
            }
            Some(unit.path)
        };
        let query = req.query.to_lowercase();
        let rows: Vec<StaffView> = self
            .app
            .staff_views(&caller.tenant())
            .await?
            .into_iter()
            .filter(|v| service || covers(ctx, READERS, &v.path))
            .filter(|v| {
                under
                    .as_deref()
                    .is_none_or(|u| crate::app::roles::path_covers(u, &v.path))
            })
            .filter(|v| {
                role.as_deref()
                    .is_none_or(|r| v.grants.iter().any(|g| g.role == r))
            })
            .filter(|v| status.is_none_or(|s| v.staff.status == s))
            .filter(|v| {
                query.is_empty()
                    || [
                        &v.staff.display_name,
                        &v.staff.login_name,
                        &v.staff.employee_no,
                    ]
                    .iter()
                    .any(|f| f.to_lowercase().contains(&query))
            })
            .collect();
        let (rows, page) = page("staff", rows, req.page.as_ref(), 200)?;
        Ok(Response::new(pb::ListStaffResponse {
            staff: rows.iter().map(|v| staff_view(v, ctx)).collect(),
            page: Some(page),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn update_staff(
        &self,
        request: Request<pb::UpdateStaffRequest>,
    ) -> Result<Response<pb::UpdateStaffResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        Self::staff_caller(&caller)?;
        let req = request.get_ref();
        let s = req
            .staff
            .as_ref()
            .ok_or_else(|| AppError::invalid("staff", "is required"))?;
        let staff_id = id(&s.staff_id, "staff.staff_id")?;
        let etag = id(&s.etag, "staff.etag")?;
        let paths = req
            .update_mask
            .as_ref()
            .map(|m| m.paths.clone())
            .unwrap_or_default();
        if paths.is_empty() {
            return Err(AppError::invalid("update_mask", "is required").into());
        }
        let mut fields = StaffFields::default();
        for path in &paths {
            field(s, path, &mut fields)?;
        }
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "UpdateStaff",
                move |app, txn| {
                    Box::pin(async move {
                        let v = app
                            .update_staff(txn, &ctx, &staff_id, &etag, fields)
                            .await?;
                        Ok(pb::UpdateStaffResponse {
                            staff: Some(staff_view(&v, &ctx)),
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn disable_staff(
        &self,
        request: Request<pb::DisableStaffRequest>,
    ) -> Result<Response<pb::DisableStaffResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        Self::staff_caller(&caller)?;
        let req = request.get_ref();
        let staff_id = id(&req.staff_id, "staff_id")?;
        let why = reason(&req.reason, true)?;
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "DisableStaff",
                move |app, txn| {
                    Box::pin(async move {
                        let (v, n) = app.disable_staff(txn, &ctx, &staff_id, &why).await?;
                        Ok(pb::DisableStaffResponse {
                            staff: Some(staff_view(&v, &ctx)),
                            revoked_session_count: i32::try_from(n).unwrap_or(i32::MAX),
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn enable_staff(
        &self,
        request: Request<pb::EnableStaffRequest>,
    ) -> Result<Response<pb::EnableStaffResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        Self::staff_caller(&caller)?;
        let req = request.get_ref();
        let staff_id = id(&req.staff_id, "staff_id")?;
        let why = reason(&req.reason, false)?;
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "EnableStaff",
                move |app, txn| {
                    Box::pin(async move {
                        let v = app
                            .enable_or_unlock_staff(txn, &ctx, &staff_id, false, &why)
                            .await?;
                        Ok(pb::EnableStaffResponse {
                            staff: Some(staff_view(&v, &ctx)),
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn unlock_staff(
        &self,
        request: Request<pb::UnlockStaffRequest>,
    ) -> Result<Response<pb::UnlockStaffResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        Self::staff_caller(&caller)?;
        let staff_id = id(&request.get_ref().staff_id, "staff_id")?;
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "UnlockStaff",
                move |app, txn| {
                    Box::pin(async move {
                        let v = app
                            .enable_or_unlock_staff(txn, &ctx, &staff_id, true, "")
                            .await?;
                        Ok(pb::UnlockStaffResponse {
                            staff: Some(staff_view(&v, &ctx)),
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn reset_staff_password(
        &self,
        request: Request<pb::ResetStaffPasswordRequest>,
    ) -> Result<Response<pb::ResetStaffPasswordResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        Self::staff_caller(&caller)?;
        let req = request.get_ref();
        let staff_id = id(&req.staff_id, "staff_id")?;
        let why = reason(&req.reason, false)?;
        if req.temporary_password.len() > 256 {
            return Err(AppError::invalid("temporary_password", "is too long").into());
        }
        let (given, remove_totp) = (req.temporary_password.clone(), req.remove_totp);
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "ResetStaffPassword",
                move |app, txn| {
                    Box::pin(async move {
                        let generated = given.is_empty();
                        let password = if generated {
                            generated_password()?
                        } else {
                            given
                        };
                        app.reset_staff_password(
                            txn,
                            &ctx,
                            &staff_id,
                            &password,
                            remove_totp,
                            &why,
                        )
                        .await?;
                        // Sealed in the stored reply (a retry returns the same password).
                        Ok(pb::ResetStaffPasswordResponse {
                            generated_password: if generated {
                                seal(&app, &password)?
                            } else {
                                String::new()
                            },
                        })
                    })
                },
            )
            .await?;
        let generated_password = if reply.generated_password.is_empty() {
            String::new()
        } else {
            open(self, &reply.generated_password)?
        };
        Ok(Response::new(pb::ResetStaffPasswordResponse {
            generated_password,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn grant_role(
        &self,
        request: Request<pb::GrantRoleRequest>,
    ) -> Result<Response<pb::GrantRoleResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        Self::staff_caller(&caller)?;
        let req = request.get_ref();
        let staff_id = id(&req.staff_id, "staff_id")?;
        let unit = id(&req.org_unit_id, "org_unit_id")?;
        let role = role_name(req.role).ok_or_else(|| AppError::invalid("role", "is required"))?;
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(&request, &caller.tenant(), "GrantRole", move |app, txn| {
                Box::pin(async move {
                    let g = app.grant_role(txn, &ctx, &staff_id, &role, &unit).await?;
                    Ok(pb::GrantRoleResponse {
                        grant: Some(grant_view(&g)),
                    })
                })
            })
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_role(
        &self,
        request: Request<pb::RevokeRoleRequest>,
    ) -> Result<Response<pb::RevokeRoleResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        Self::staff_caller(&caller)?;
        let req = request.get_ref();
        let grant_id = id(&req.grant_id, "grant_id")?;
        let why = reason(&req.reason, false)?;
        let revoke_sessions = req.revoke_sessions;
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(&request, &caller.tenant(), "RevokeRole", move |app, txn| {
                Box::pin(async move {
                    app.revoke_role(txn, &ctx, &grant_id, revoke_sessions, &why)
                        .await?;
                    Ok(pb::RevokeRoleResponse {})
                })
            })
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn list_role_grants(
        &self,
        request: Request<pb::ListRoleGrantsRequest>,
    ) -> Result<Response<pb::ListRoleGrantsResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let req = request.get_ref();
        let role = match req.role {
            0 => None,
            r => {
                Some(role_name(r).ok_or_else(|| AppError::invalid("role", "is not a known role"))?)
            }
        };
        let grants = self
            .app
            .list_role_grants(
                &caller.ctx,
                &req.staff_id,
                role.as_deref(),
                &req.org_unit_id,
                req.include_ancestors,
            )
            .await?;
        let (grants, page) = page("role_grants", grants, req.page.as_ref(), 200)?;
        Ok(Response::new(pb::ListRoleGrantsResponse {
            grants: grants.iter().map(grant_view).collect(),
            page: Some(page),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn issue_guide_code(
        &self,
        request: Request<pb::IssueGuideCodeRequest>,
    ) -> Result<Response<pb::IssueGuideCodeResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        Self::staff_caller(&caller)?;
        let req = request.get_ref();
        if !(0..=2_592_000).contains(&req.grace_seconds) {
            return Err(AppError::invalid("grace_seconds", "must be 0..2592000").into());
        }
        let staff_id = if req.staff_id.is_empty() {
            caller.ctx.principal.subject.clone()
        } else {
            id(&req.staff_id, "staff_id")?
        };
        let (store, grace) = (req.store_id.clone(), i64::from(req.grace_seconds));
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "IssueGuideCode",
                move |app, txn| {
                    Box::pin(async move {
                        let (new, previous) = app
                            .issue_guide_code(txn, &ctx, &staff_id, &store, grace)
                            .await?;
                        Ok(pb::IssueGuideCodeResponse {
                            guide_code: Some(code_view(&new)),
                            previous: previous.as_ref().map(code_view),
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn list_guide_codes(
        &self,
        request: Request<pb::ListGuideCodesRequest>,
    ) -> Result<Response<pb::ListGuideCodesResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        Self::staff_caller(&caller)?;
        let req = request.get_ref();
        let codes = self
            .app
            .list_guide_codes(
                &caller.ctx,
                &req.staff_id,
                &req.store_id,
                req.include_retired,
            )
            .await?;
        let (codes, page) = page("guide_codes", codes, req.page.as_ref(), 200)?;
        Ok(Response::new(pb::ListGuideCodesResponse {
            guide_codes: codes.iter().map(code_view).collect(),
            page: Some(page),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn resolve_guide_code(
        &self,
        request: Request<pb::ResolveGuideCodeRequest>,
    ) -> Result<Response<pb::ResolveGuideCodeResponse>, Status> {
        let req = request.get_ref();
        let code = req.code.trim();
        if code.len() != 8 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(AppError::invalid("code", "must be 8 Crockford base32 characters").into());
        }
        let tenant = if request.metadata().contains_key("authorization") {
            self.authenticate(&request).await?.tenant()
        } else if req.app_id.is_empty() {
            return Err(AppError::invalid("app_id", "is required without a token").into());
        } else {
            self.app.resolve_app(&req.app_id).await?.tenant.id
        };
        let found = self.app.resolve_guide_code(&tenant, code).await?;
        Ok(Response::new(pb::ResolveGuideCodeResponse {
            guide_id: found.code.staff_id.clone(),
            guide_display_name: found.display_name,
            guide_avatar_url: found.avatar_url,
            store_id: found.code.store_id.clone(),
            store_name: found.store_name,
            retire_time: found.code.retire_at.map(timestamp),
        }))
    }
}
