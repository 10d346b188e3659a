//! The text `siyu dev` prints once everything runs.

use std::fmt::Write as _;

use super::Dev;
use crate::registry;
use crate::suite::loopback;

/// Renders the start-up report of `dev`.
pub fn banner(dev: &Dev) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored on purpose.
    let _ = write_banner(&mut out, dev);
    out
}

fn write_banner(out: &mut String, dev: &Dev) -> std::fmt::Result {
    let addrs = dev.suite().addrs();
    let gw = dev.suite().gateway_url();
    let sandbox = dev.suite().sandbox_url();
    let record = dev.record();
    writeln!(out)?;
    writeln!(out, "Siyu is running in one process.")?;
    writeln!(out, "  data          {}", dev.data_dir().display())?;
    writeln!(out)?;
    writeln!(
        out,
        "  gateway REST  {gw}   (/api/v1 consumers, /admin/v1 staff, /open/v1 partners)"
    )?;
    writeln!(
        out,
        "  API docs      {gw}/docs   (OpenAPI: {gw}/openapi.json)"
    )?;
    writeln!(out, "  partner gRPC  {}", loopback(addrs.gateway_grpc))?;
    writeln!(
        out,
        "  sandbox       {sandbox}/sandbox   (WeChat emulator control API)"
    )?;
    for service in &addrs.services {
        let label = format!("{} gRPC", service.name);
        writeln!(out, "  {label:<13} {}", loopback(service.grpc))?;
        if let Some(jwks) = &service.jwks_url {
            writeln!(out, "  {:<13} {jwks}", "JWKS")?;
        }
    }
    writeln!(out)?;

    let Some(tenant) = &record.tenant else {
        return writeln!(out, "No demo tenant (seeding failed; see the log).");
    };
    let app_id = record.app.as_ref().map_or("", |a| a.app_id.as_str());
    writeln!(out, "Demo tenant '{}' ({})", tenant.code, tenant.tenant_id)?;
    writeln!(out, "  mini-program app id  {app_id}")?;
    writeln!(
        out,
        "  tenant admin         {} / {}   (tenant code {})",
        tenant.admin.login, tenant.admin.password, tenant.code
    )?;
    if let Some(guide) = &record.guide {
        let c = &guide.credentials;
        writeln!(out, "  guide                {} / {}", c.login, c.password)?;
    }
    if let Some(partner) = &record.partner {
        writeln!(
            out,
            "  partner client       {} / {}   (scopes: {})",
            partner.client_id,
            partner.client_secret,
            partner.scopes.join(" ")
        )?;
    }
    writeln!(
        out,
        "  platform admin       {} / {}   (tenant code platform)",
        dev.platform_admin.login, dev.platform_admin.password
    )?;
    for seed in registry::SERVICES.iter().filter_map(|s| s.seed) {
        for (label, value) in seed.summary(record) {
            writeln!(out, "  {label:<20} {value}")?;
        }
    }
    writeln!(
        out,
        "  (secrets of this local demo only: {}/secrets.json, seed.json)",
        dev.data_dir().display()
    )?;
    let pending: Vec<_> = dev.seed_report().pending().collect();
    if !pending.is_empty() {
        writeln!(out)?;
        writeln!(out, "Not seeded yet (tried again on the next start):")?;
        for (step, why) in pending {
            writeln!(out, "  - {step}: {why}")?;
        }
    }
    writeln!(out)?;
    write_curls(out, dev, &gw, &sandbox, app_id)?;
    writeln!(out)?;
    writeln!(out, "Ctrl-C stops everything.")
}

fn write_curls(
    out: &mut String,
    dev: &Dev,
    gw: &str,
    sandbox: &str,
    app_id: &str,
) -> std::fmt::Result {
    let record = dev.record();
    writeln!(out, "Try it:")?;
    writeln!(
        out,
        "  # Consumer: the sandbox plays the user tapping \"log in\" (wx.login() code), then"
    )?;
    writeln!(out, "  # the mini-program exchanges the code for tokens.")?;
    writeln!(
        out,
        "  CODE=$(curl -s {sandbox}/sandbox/login-codes -H 'content-type: application/json' \\\n    -d '{{\"appid\":\"{app_id}\",\"openid\":\"o_demo_user\"}}' | sed -E 's/.*\"code\":\"([^\"]+)\".*/\\1/')"
    )?;
    writeln!(
        out,
        "  curl -s {gw}/api/v1/auth/wechat-login -H 'content-type: application/json' \\\n    -d \"{{\\\"appId\\\":\\\"{app_id}\\\",\\\"code\\\":\\\"$CODE\\\"}}\""
    )?;
    if let Some(tenant) = &record.tenant {
        writeln!(out, "  # Staff (operator console):")?;
        writeln!(
            out,
            "  curl -s {gw}/admin/v1/auth/login -H 'content-type: application/json' \\\n    -d '{{\"tenantCode\":\"{}\",\"loginName\":\"{}\",\"password\":\"{}\"}}'",
            tenant.code, tenant.admin.login, tenant.admin.password
        )?;
    }
    match &record.partner {
        Some(partner) => {
            writeln!(out, "  # Partner (OAuth2 client credentials):")?;
            writeln!(
                out,
                "  curl -s {gw}/oauth/token -u '{}:{}' -d 'grant_type=client_credentials&scope=catalog.read'",
                partner.client_id, partner.client_secret
            )?;
        }
        None => writeln!(
            out,
            "  # Partner: POST {gw}/oauth/token once identity has partner clients (not seeded yet)."
        )?,
    }
    writeln!(
        out,
        "  SANDBOX={sandbox}   # the WeChat sandbox: login codes, the cashier"
    )?;
    for seed in registry::SERVICES.iter().filter_map(|s| s.seed) {
        for line in seed.examples(record, gw) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}
