//! Malformed ids are bad input: every id a request names is parsed at the boundary, so a
//! value that cannot be an id answers INVALID_ARGUMENT naming the field — never the NOT_FOUND
//! of an id that could exist.

use futures::future::BoxFuture;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, authed, violations};

type Call<'a> = (&'static str, BoxFuture<'a, Result<(), tonic::Status>>);

#[tokio::test]
async fn malformed_ids_are_invalid_arguments_naming_the_field() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("badids").await;
    let consumer = h
        .wechat_login(&app_id, "o_badids")
        .await
        .tokens
        .unwrap()
        .access_token;
    let bad = "not-a-uuid".to_owned();
    let good = uuid::Uuid::now_v7().to_string();
    let admin = admin.as_str();
    let calls: Vec<(Call<'_>, &str)> = vec![
        (
            ("GetStaff", {
                let mut c = h.staff();
                let req = authed(
                    pb::GetStaffRequest {
                        staff_id: bad.clone(),
                    },
                    admin,
                );
                Box::pin(async move { c.get_staff(req).await.map(drop) })
            }),
            "staff_id",
        ),
        (
            ("DisableStaff", {
                let mut c = h.staff();
                let req = authed(
                    pb::DisableStaffRequest {
                        staff_id: bad.clone(),
                        reason: "left".into(),
                    },
                    admin,
                );
                Box::pin(async move { c.disable_staff(req).await.map(drop) })
            }),
            "staff_id",
        ),
        (
            ("GrantRole", {
                let mut c = h.staff();
                let req = authed(
                    pb::GrantRoleRequest {
                        staff_id: good.clone(),
                        role: pb::StaffRole::Guide as i32,
                        org_unit_id: bad.clone(),
                    },
                    admin,
                );
                Box::pin(async move { c.grant_role(req).await.map(drop) })
            }),
            "org_unit_id",
        ),
        (
            ("GetUser (staff)", {
                let mut c = h.users();
                let req = authed(
                    pb::GetUserRequest {
                        user_id: bad.clone(),
                    },
                    admin,
                );
                Box::pin(async move { c.get_user(req).await.map(drop) })
            }),
            "user_id",
        ),
        (
            ("GetUser (consumer)", {
                let mut c = h.users();
                let req = authed(
                    pb::GetUserRequest {
                        user_id: bad.clone(),
                    },
                    &consumer,
                );
                Box::pin(async move { c.get_user(req).await.map(drop) })
            }),
            "user_id",
        ),
        (
            ("BatchGetUsers", {
                let mut c = h.users();
                let req = authed(
                    pb::BatchGetUsersRequest {
                        user_ids: vec![good.clone(), bad.clone()],
                    },
                    admin,
                );
                Box::pin(async move { c.batch_get_users(req).await.map(drop) })
            }),
            "user_ids[1]",
        ),
        (
            ("GetOrgUnit", {
                let mut c = h.org();
                let req = authed(
                    pb::GetOrgUnitRequest {
                        org_unit_id: bad.clone(),
                    },
                    admin,
                );
                Box::pin(async move { c.get_org_unit(req).await.map(drop) })
            }),
            "org_unit_id",
        ),
        (
            ("CreateOrgUnit", {
                let mut c = h.org();
                let req = authed(crate::org::region(&bad, "RX"), admin);
                Box::pin(async move { c.create_org_unit(req).await.map(drop) })
            }),
            "parent_id",
        ),
        (
            ("BatchGetOrgUnits", {
                let mut c = h.org();
                let req = authed(
                    pb::BatchGetOrgUnitsRequest {
                        org_unit_ids: vec![good.clone(), bad.clone()],
                    },
                    admin,
                );
                Box::pin(async move { c.batch_get_org_units(req).await.map(drop) })
            }),
            "org_unit_ids[1]",
        ),
        (
            ("RevokeSession", {
                let mut c = h.tokens();
                let req = authed(
                    pb::RevokeSessionRequest {
                        session_id: bad.clone(),
                        reason: String::new(),
                    },
                    admin,
                );
                Box::pin(async move { c.revoke_session(req).await.map(drop) })
            }),
            "session_id",
        ),
        (
            ("GetTenant", {
                let mut c = h.tenants();
                let req = authed(
                    pb::GetTenantRequest {
                        tenant_id: bad.clone(),
                    },
                    admin,
                );
                Box::pin(async move { c.get_tenant(req).await.map(drop) })
            }),
            "tenant_id",
        ),
        (
            ("GetPartnerClient", {
                let mut c = h.partners();
                let req = authed(
                    pb::GetPartnerClientRequest {
                        client_id: bad.clone(),
                    },
                    admin,
                );
                Box::pin(async move { c.get_partner_client(req).await.map(drop) })
            }),
            "client_id",
        ),
        (
            ("GetAuditEntry", {
                let mut c = h.audit();
                let req = authed(
                    pb::GetAuditEntryRequest {
                        entry_id: bad.clone(),
                    },
                    admin,
                );
                Box::pin(async move { c.get_audit_entry(req).await.map(drop) })
            }),
            "entry_id",
        ),
    ];
    for ((name, call), field) in calls {
        let err = call.await.expect_err(name);
        assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_eq!(violations(&err), [field], "{name}");
    }
}
