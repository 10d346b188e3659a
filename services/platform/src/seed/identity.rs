//! Seeding identity: the sandbox app, the demo tenant and admin, the store tree, a guide and a
//! partner client — all through identity's gRPC contract.

mod org;

use anyhow::{Context as _, bail};
use futures::future::BoxFuture;
use siyu_proto::identity::v1 as pb;
use tonic::transport::Channel;
use wechat_sandbox::SandboxControl;

pub use org::{seed_guide, seed_org, seed_partner};

use super::{
    AppSeed, Credentials, DEMO_ADMIN, DEMO_TENANT, Seed, SeedRecord, Seeding, Step, TenantSeed,
    authed,
};
use crate::dev::files::{new_password, new_token};
use crate::registry::identity::NAME;

type Staff = pb::staff_auth_service_client::StaffAuthServiceClient<Channel>;

/// Identity's demo data: the sandbox app, the tenant and its admin (required: nothing else can
/// be seeded without them), the store tree, a guide and a partner client. Leaves the tenant
/// admin's token in [`Seeding::admin_token`] for the services seeded after it.
#[derive(Debug)]
pub struct IdentitySeed;

impl Seed for IdentitySeed {
    fn seed<'a>(&'a self, seeding: &'a mut Seeding) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(seed_identity(seeding))
    }

    // The tenant, its app and its logins head the report (the platform prints them); the org
    // tree is identity's own line.
    fn summary(&self, record: &SeedRecord) -> Vec<(&'static str, String)> {
        let Some(org) = &record.org else {
            return Vec::new();
        };
        let names: Vec<&str> = org.stores.iter().map(|s| s.name.as_str()).collect();
        vec![("stores", names.join(", "))]
    }
}

async fn seed_identity(seeding: &mut Seeding) -> anyhow::Result<()> {
    ensure_app(&seeding.sandbox, &mut seeding.record).await?;
    seeding.save()?;

    let identity = seeding.channel(NAME)?;
    seed_tenant(&identity, &mut seeding.record, &seeding.platform).await?;
    seeding.save()?;
    seeding.step("tenant", Step::Done);
    let Some(tenant) = seeding.record.tenant.clone() else {
        bail!("the demo tenant was not recorded");
    };
    let admin = staff_token(
        &identity,
        &tenant.code,
        &tenant.admin.login,
        &tenant.admin.password,
        &tenant.admin.password,
    )
    .await?;

    let step = seed_org(&identity, &admin, &mut seeding.record).await;
    seeding.step("store tree", step);
    let step = seed_guide(&identity, &admin, &mut seeding.record).await;
    seeding.step("guide", step);
    let step = seed_partner(&identity, &admin, &mut seeding.record).await;
    seeding.step("partner client", step);
    seeding.save()?;
    seeding.admin_token = Some(admin);
    Ok(())
}

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
