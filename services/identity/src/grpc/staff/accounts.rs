//! StaffService: accounts — CreateStaff, GetStaff, GetCurrentStaff, ListStaff and UpdateStaff.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::app::org::may_act_on;
use crate::app::staff::accounts::{StaffFields, StaffView};
use crate::error::AppError;
use crate::grpc::paging::page;
use crate::grpc::staff::input::{check_len, check_login_name, field, id};
use crate::grpc::staff::views::{role_name, staff_view};
use crate::grpc::{Caller, StaffApi};

impl StaffApi {
    /// CreateStaff: a new account with its first grants; the initial password is returned once.
    pub(super) async fn create_staff_rpc(
        &self,
        request: Request<pb::CreateStaffRequest>,
    ) -> Result<pb::CreateStaffResponse, Status> {
        let caller = Caller::of(&request)?;
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
        Ok(reply)
    }

    /// GetStaff, for readers whose scope covers the account.
    pub(super) async fn get_staff_rpc(
        &self,
        request: Request<pb::GetStaffRequest>,
    ) -> Result<pb::GetStaffResponse, Status> {
        let caller = Caller::of(&request)?;
        let staff_id = id(&request.get_ref().staff_id, "staff_id")?;
        let v = self
            .app
            .staff_view(&self.app.db, &caller.tenant(), &staff_id)
            .await?;
        let ctx = &caller.ctx;
        let ok = ctx.principal.subject == staff_id || may_act_on(ctx, &v.path);
        if !ok {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED").into());
        }
        Ok(pb::GetStaffResponse {
            staff: Some(staff_view(&v, ctx)),
        })
    }

    /// GetCurrentStaff: the caller's own account.
    pub(super) async fn get_current_staff_rpc(
        &self,
        request: Request<pb::GetCurrentStaffRequest>,
    ) -> Result<pb::GetCurrentStaffResponse, Status> {
        let caller = Caller::of(&request)?;
        let tenant = self.app.tenant(&caller.tenant()).await?;
        let v = self
            .app
            .staff_view(&self.app.db, &tenant.id, &caller.ctx.principal.subject)
            .await?;
        Ok(pb::GetCurrentStaffResponse {
            staff: Some(staff_view(&v, &caller.ctx)),
            tenant_id: tenant.id,
            tenant_name: tenant.name,
        })
    }

    /// ListStaff: the accounts in the caller's scope.
    pub(super) async fn list_staff_rpc(
        &self,
        request: Request<pb::ListStaffRequest>,
    ) -> Result<pb::ListStaffResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let ctx = &caller.ctx;
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
            let unit_id = id(&req.org_unit_id, "org_unit_id")?;
            let unit = self
                .app
                .org_unit(&self.app.db, &caller.tenant(), &unit_id)
                .await?;
            if !may_act_on(ctx, &unit.path) {
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
            .filter(|v| may_act_on(ctx, &v.path))
            .filter(|v| {
                under
                    .as_deref()
                    .is_none_or(|u| crate::app::staff::roles::path_covers(u, &v.path))
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
        Ok(pb::ListStaffResponse {
            staff: rows.iter().map(|v| staff_view(v, ctx)).collect(),
            page: Some(page),
        })
    }

    /// UpdateStaff under an etag, by update mask.
    pub(super) async fn update_staff_rpc(
        &self,
        request: Request<pb::UpdateStaffRequest>,
    ) -> Result<pb::UpdateStaffResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let s = req
            .staff
            .as_ref()
            .ok_or_else(|| AppError::invalid("staff", "is required"))?;
        let staff_id = id(&s.staff_id, "staff.staff_id")?;
        let etag = check_len(&s.etag, "staff.etag", 1, 64)?;
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
        Ok(reply)
    }
}
