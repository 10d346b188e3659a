//! A staff login answers the same roles as `GetCurrentStaff`: each grant with its role.

use siyu_proto::identity::v1 as pb;

use crate::helpers::{Harness, PASSWORD, PLATFORM_ADMIN, authed};

#[tokio::test]
async fn login_roles_name_the_role_like_get_current_staff() {
    let h = Harness::start().await;
    let result = h
        .staff_auth()
        .login_staff(pb::LoginStaffRequest {
            tenant_code: "platform".into(),
            identifier: Some(pb::login_staff_request::Identifier::LoginName(
                PLATFORM_ADMIN.into(),
            )),
            password: PASSWORD.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    let Some(pb::staff_login_result::Outcome::Tokens(tokens)) = result.outcome else {
        panic!("the platform admin logs in directly");
    };
    let at_login: Vec<(i32, String)> = result
        .staff
        .unwrap()
        .roles
        .into_iter()
        .map(|g| (g.role, g.org_unit_id))
        .collect();
    assert!(!at_login.is_empty());
    assert!(
        at_login
            .iter()
            .all(|(role, _)| *role != pb::StaffRole::Unspecified as i32),
        "{at_login:?}"
    );
    let current = h
        .staff()
        .get_current_staff(authed(
            pb::GetCurrentStaffRequest::default(),
            &tokens.access_token,
        ))
        .await
        .unwrap()
        .into_inner();
    let now: Vec<(i32, String)> = current
        .staff
        .unwrap()
        .roles
        .into_iter()
        .map(|g| (g.role, g.org_unit_id))
        .collect();
    assert_eq!(at_login, now);
}
