//! Seeding identity: the sandbox app, the demo tenant and admin, the store tree, a guide and a
//! partner client — all through identity's gRPC contract.

use anyhow::{Context as _, bail};
use siyu_proto::common::v1 as common;
use siyu_proto::identity::v1 as pb;
use tonic::transport::Channel;
use wechat_sandbox::SandboxControl;

use super::data::REGIONS;
use super::{
    AppSeed, Credentials, DEMO_ADMIN, DEMO_GUIDE, DEMO_TENANT, OrgSeed, PARTNER_SCOPES,
    PartnerSeed, SeedRecord, StaffSeed, Step, TenantSeed, UnitSeed, authed, pending_reason,
};
use crate::dev::files::{new_password, new_token};

type Staff = pb::staff_auth_service_client::StaffAuthServiceClient<Channel>;

/// Registers the demo mini-program in the sandbox, generating its id and secret the first time.
pub async fn ensure_app(control: &SandboxControl, record: &mut SeedRecord) -> anyhow::Result<()> {
    let app = match &record.app {
        Some(app) => app.clone(),
        None => AppSeed {
            app_id: format!("wx{}", new_token::<8>()?),
            app_secret: new_token::<16>()?,
        },
    };
    control
        .register_app_with(&app.app_id, &app.app_secret)
        .await
        .context("registering the demo app in the sandbox")?;
    record.app = Some(app);
    Ok(())
}

/// Logs a staff member in; completes a forced first password change to `final_password`
/// (identity requires one for accounts created with an initial password). Returns the access
/// token.
pub async fn staff_token(
    channel: &Channel,
    tenant_code: &str,
    login: &str,
    password: &str,
    final_password: &str,
) -> anyhow::Result<String> {
    let mut client = Staff::new(channel.clone());
    let result = client
        .login_staff(pb::LoginStaffRequest {
            tenant_code: tenant_code.to_owned(),
            identifier: Some(pb::login_staff_request::Identifier::LoginName(
                login.to_owned(),
            )),
            password: password.to_owned(),
        })
        .await
        .with_context(|| format!("staff login of {login}@{tenant_code}"))?
        .into_inner()
        .result;
    let challenge = match result.and_then(|r| r.outcome) {
        Some(pb::staff_login_result::Outcome::Tokens(tokens)) => return Ok(tokens.access_token),
        Some(pb::staff_login_result::Outcome::Challenge(challenge)) => challenge,
        None => bail!("staff login of {login}@{tenant_code} answered no outcome"),
    };
    let changed = client
        .change_staff_password(pb::ChangeStaffPasswordRequest {
            current_password: String::new(),
            challenge_token: challenge.challenge_token,
            new_password: final_password.to_owned(),
        })
        .await
        .with_context(|| format!("first password change of {login}@{tenant_code}"))?
        .into_inner()
        .result;
    match changed.and_then(|r| r.outcome) {
        Some(pb::staff_login_result::Outcome::Tokens(tokens)) => Ok(tokens.access_token),
        _ => bail!("the password change of {login}@{tenant_code} answered no tokens"),
    }
}

/// Creates the demo tenant with the sandbox app and its admin (required: nothing else can be
/// seeded without it).
pub async fn seed_tenant(
    channel: &Channel,
    record: &mut SeedRecord,
    platform: &Credentials,
) -> anyhow::Result<()> {
    if record.tenant.is_some() {
        return Ok(());
    }
    let Some(app) = record.app.clone() else {
        bail!("the sandbox app must be registered before the tenant");
    };
    let platform_token = staff_token(
        channel,
        "platform",
        &platform.login,
        &platform.password,
        &platform.password,
    )
    .await?;
    let initial = new_password()?;
    let created = pb::tenant_service_client::TenantServiceClient::new(channel.clone())
        .create_tenant(authed(
            pb::CreateTenantRequest {
                code: DEMO_TENANT.into(),
                name: "思域演示品牌".into(),
                apps: vec![pb::WeChatApp {
                    app_id: app.app_id.clone(),
                    kind: pb::AppKind::MiniProgram as i32,
                    name: "演示商城".into(),
                    app_secret: app.app_secret.clone(),
                    enabled: true,
                    ..Default::default()
                }],
                admin_login_name: DEMO_ADMIN.into(),
                admin_display_name: "演示管理员".into(),
                admin_initial_password: initial.clone(),
                ..Default::default()
            },
            &platform_token,
            Some("siyu-dev-seed-tenant"),
        ))
        .await
        .context("creating the demo tenant")?
        .into_inner();
    let Some(tenant) = created.tenant else {
        bail!("CreateTenant answered no tenant");
    };
    let password = new_password()?;
    staff_token(channel, DEMO_TENANT, DEMO_ADMIN, &initial, &password).await?;
    record.tenant = Some(TenantSeed {
        tenant_id: tenant.tenant_id,
        code: tenant.code,
        root_org_unit_id: tenant.root_org_unit_id,
        admin: Credentials {
            login: DEMO_ADMIN.into(),
            password,
        },
    });
    Ok(())
}

/// HQ → two regions → four stores with addresses and coordinates.
pub async fn seed_org(channel: &Channel, admin: &str, record: &mut SeedRecord) -> Step {
    if record.org.is_some() {
        return Step::Done;
    }
    let Some(root) = record.tenant.as_ref().map(|t| t.root_org_unit_id.clone()) else {
        return Step::Pending("no tenant".into());
    };
    let mut client = pb::org_service_client::OrgServiceClient::new(channel.clone());
    let mut org = OrgSeed {
        regions: Vec::new(),
        stores: Vec::new(),
    };
    for region in REGIONS {
        let request = pb::CreateOrgUnitRequest {
            parent_id: root.clone(),
            r#type: pb::OrgUnitType::Region as i32,
            name: region.name.into(),
            code: region.code.into(),
            ..Default::default()
        };
        let key = format!("siyu-dev-seed-org-{}", region.code);
        let unit = match client
            .create_org_unit(authed(request, admin, Some(&key)))
            .await
        {
            Ok(answer) => answer.into_inner().org_unit.unwrap_or_default(),
            Err(status) => {
                return Step::Pending(pending_reason("OrgService.CreateOrgUnit", &status));
            }
        };
        let region_path = format!("{root}/{}", unit.org_unit_id);
        for store in region.stores {
            let geo = common::GeoPoint {
                latitude: store.latitude,
                longitude: store.longitude,
            };
            let request = pb::CreateOrgUnitRequest {
                parent_id: unit.org_unit_id.clone(),
                r#type: pb::OrgUnitType::Store as i32,
                name: store.name.into(),
                code: store.code.into(),
                store: Some(pb::StoreProfile {
                    address: Some(common::Address {
                        province: region.province.into(),
                        city: store.city.into(),
                        detail: store.detail.into(),
                        location: Some(geo),
                        ..Default::default()
                    }),
                    geo: Some(geo),
                    phone: "021-60000000".into(),
                    time_zone: "Asia/Shanghai".into(),
                    pickup_enabled: true,
                    same_city_delivery_enabled: true,
                    ..Default::default()
                }),
                ..Default::default()
            };
            let key = format!("siyu-dev-seed-org-{}", store.code);
            match client
                .create_org_unit(authed(request, admin, Some(&key)))
                .await
            {
                Ok(answer) => {
                    let id = answer.into_inner().org_unit.unwrap_or_default().org_unit_id;
                    org.stores.push(UnitSeed {
                        org_path: format!("{region_path}/{id}"),
                        id,
                        name: store.name.into(),
                    });
                }
                Err(status) => {
                    return Step::Pending(pending_reason("OrgService.CreateOrgUnit", &status));
                }
            }
        }
        org.regions.push(UnitSeed {
            id: unit.org_unit_id,
            name: region.name.into(),
            org_path: region_path,
        });
    }
    record.org = Some(org);
    Step::Done
}

/// A guide at the first store.
pub async fn seed_guide(channel: &Channel, admin: &str, record: &mut SeedRecord) -> Step {
    if record.guide.is_some() {
        return Step::Done;
    }
    let Some(store) = record.org.as_ref().and_then(|o| o.stores.first()).cloned() else {
        return Step::Pending("needs the store tree".into());
    };
    let (initial, password) = match (new_password(), new_password()) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return Step::Pending("no random passwords".into()),
    };
    let request = pb::CreateStaffRequest {
        staff: Some(pb::Staff {
            login_name: DEMO_GUIDE.into(),
            display_name: "导购小王".into(),
            primary_org_unit_id: store.id.clone(),
            ..Default::default()
        }),
        initial_password: initial.clone(),
        roles: vec![pb::RoleGrant {
            role: pb::StaffRole::Guide as i32,
            org_unit_id: store.id.clone(),
            ..Default::default()
        }],
    };
    let created = pb::staff_service_client::StaffServiceClient::new(channel.clone())
        .create_staff(authed(request, admin, Some("siyu-dev-seed-guide")))
        .await;
    let staff_id = match created {
        Ok(answer) => answer.into_inner().staff.unwrap_or_default().staff_id,
        Err(status) => return Step::Pending(pending_reason("StaffService.CreateStaff", &status)),
    };
    if let Err(err) = staff_token(channel, DEMO_TENANT, DEMO_GUIDE, &initial, &password).await {
        return Step::Pending(format!("first login of the guide failed: {err:#}"));
    }
    record.guide = Some(StaffSeed {
        staff_id,
        credentials: Credentials {
            login: DEMO_GUIDE.into(),
            password,
        },
        store_id: store.id,
    });
    Step::Done
}

/// A partner client (a POS) with `catalog.read inventory.write`.
pub async fn seed_partner(channel: &Channel, admin: &str, record: &mut SeedRecord) -> Step {
    if record.partner.is_some() {
        return Step::Done;
    }
    let request = pb::CreatePartnerClientRequest {
        client: Some(pb::PartnerClient {
            name: "演示POS".into(),
            description: "The siyu dev demo's point-of-sale system".into(),
            scopes: PARTNER_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        }),
    };
    let created = pb::partner_service_client::PartnerServiceClient::new(channel.clone())
        .create_partner_client(authed(request, admin, Some("siyu-dev-seed-partner")))
        .await;
    match created {
        Ok(answer) => {
            let answer = answer.into_inner();
            let client = answer.client.unwrap_or_default();
            record.partner = Some(PartnerSeed {
                client_id: client.client_id,
                client_secret: answer.client_secret,
                scopes: client.scopes,
            });
            Step::Done
        }
        Err(status) => Step::Pending(pending_reason(
            "PartnerService.CreatePartnerClient",
            &status,
        )),
    }
}
