//! TenantService: SetWeChatPayConfig and GetAppCredentials (internal services only).

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::{Request, Response};

use crate::app::tenancy::pay_config::{
    Credentials, PayInput, parse_private_key_pem, parse_public_key_pem,
};
use crate::error::AppError;
use crate::grpc::tenancy::input::app_id_in;
use crate::grpc::{Api, Caller, R, owned_actor, record};
use crate::repo::tenancy::pay_config::PayConfig;

/// The wire form of a stored pay configuration: key material masked (only `*_set` flags).
pub(super) fn pay_view(p: &PayConfig) -> pb::WeChatPayConfig {
    pb::WeChatPayConfig {
        mch_id: p.mch_id.clone(),
        app_id: p.app_id.clone(),
        merchant_serial_no: p.merchant_serial_no.clone(),
        api_v3_key: String::new(),
        private_key_pem: String::new(),
        wechatpay_public_key_id: p.public_key_id.clone(),
        wechatpay_public_key_pem: p.public_key_pem.clone(),
        api_v3_key_set: !p.api_v3_key_enc.is_empty(),
        private_key_set: !p.private_key_enc.is_empty(),
        key_update_time: Some(timestamp(p.key_updated_at)),
    }
}

/// Validates a SetWeChatPayConfig config; every violation at once, PAY_KEY_INVALID when key
/// material is malformed.
fn parse_pay(c: &pb::WeChatPayConfig) -> Result<PayInput, AppError> {
    let mut bad: Vec<(String, String)> = Vec::new();
    let mut key_bad = false;
    let mut push = |field: &str, what: &str| bad.push((format!("config.{field}"), what.to_owned()));
    if c.mch_id.len() != 10 || !c.mch_id.bytes().all(|b| b.is_ascii_digit()) {
        push("mch_id", "must be 10 digits");
    }
    if c.app_id.is_empty() || c.app_id.len() > 64 {
        push("app_id", "must be a mini-program app id of the tenant");
    }
    let serial_ok = (8..=64).contains(&c.merchant_serial_no.len())
        && c.merchant_serial_no.bytes().all(|b| b.is_ascii_hexdigit());
    if !serial_ok {
        push("merchant_serial_no", "must be 8..64 hex digits");
    }
    if !c.api_v3_key.is_empty()
        && (c.api_v3_key.len() != 32 || !c.api_v3_key.bytes().all(|b| b.is_ascii_graphic()))
    {
        push("api_v3_key", "must be 32 ASCII characters");
        key_bad = true;
    }
    if !c.private_key_pem.is_empty()
        && (c.private_key_pem.len() > 16_384 || !parse_private_key_pem(&c.private_key_pem))
    {
        push(
            "private_key_pem",
            "must be a PKCS#8 PEM (BEGIN PRIVATE KEY) of an RSA key",
        );
        key_bad = true;
    }
    let id_ok = c.wechatpay_public_key_id.is_empty()
        || (c.wechatpay_public_key_id.starts_with("PUB_KEY_ID_")
            && c.wechatpay_public_key_id.len() <= 64);
    if !id_ok {
        push("wechatpay_public_key_id", "must start with PUB_KEY_ID_");
    }
    if !c.wechatpay_public_key_pem.is_empty()
        && (c.wechatpay_public_key_pem.len() > 16_384
            || !parse_public_key_pem(&c.wechatpay_public_key_pem))
    {
        push(
            "wechatpay_public_key_pem",
            "must be a PEM (BEGIN PUBLIC KEY)",
        );
        key_bad = true;
    }
    if !bad.is_empty() {
        return Err(AppError::InvalidArgument {
            reason: if key_bad {
                "PAY_KEY_INVALID"
            } else {
                "INVALID_ARGUMENT"
            },
            fields: bad,
        });
    }
    Ok(PayInput {
        mch_id: c.mch_id.clone(),
        app_id: c.app_id.clone(),
        merchant_serial_no: c.merchant_serial_no.to_ascii_uppercase(),
        api_v3_key: c.api_v3_key.clone(),
        private_key_pem: c.private_key_pem.clone(),
        public_key_id: c.wechatpay_public_key_id.clone(),
        public_key_pem: c.wechatpay_public_key_pem.clone(),
    })
}

/// SetWeChatPayConfig: key material sealed, never answered.
#[tracing::instrument(skip_all, fields(app_id))]
pub(super) async fn set(
    api: &Api,
    request: Request<pb::SetWeChatPayConfigRequest>,
) -> R<pb::SetWeChatPayConfigResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_on_root(&caller.ctx).await?;
    let config = request.get_ref().config.as_ref();
    let input = parse_pay(config.ok_or_else(|| AppError::invalid("config", "is required"))?)?;
    record("app_id", &input.app_id);
    let (app, tenant, actor) = (Arc::clone(&api.app), caller.tenant(), owned_actor(&caller));
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let row = app
                    .set_pay_config(txn, tenant, input, (&actor.0, &actor.1))
                    .await?;
                Ok(pb::SetWeChatPayConfigResponse {
                    config: Some(pay_view(&row)),
                })
            })
        })
        .await
}

/// GetAppCredentials: internal services only (by contract); the read is audited.
#[tracing::instrument(skip_all, fields(app_id))]
pub(super) async fn credentials(
    api: &Api,
    request: Request<pb::GetAppCredentialsRequest>,
) -> R<pb::GetAppCredentialsResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    if req.wechat_pay && !req.app_id.is_empty() {
        return Err(AppError::invalid("app_id", "must be empty with wechat_pay").into());
    }
    let app_id = if req.wechat_pay {
        String::new()
    } else {
        app_id_in(&req.app_id)?
    };
    record("app_id", &app_id);
    let service = &caller.ctx.principal.subject;
    let creds = api
        .app
        .read_app_credentials(caller.tenant(), service, &app_id, req.wechat_pay)
        .await?;
    Ok(Response::new(credentials_view(creds)))
}

/// The wire form of opened credentials.
fn credentials_view(creds: Credentials) -> pb::GetAppCredentialsResponse {
    match creds {
        Credentials::App { app_id, secret } => pb::GetAppCredentialsResponse {
            app_id,
            app_secret: secret,
            wechat_pay: None,
        },
        Credentials::Pay(open) => {
            let mut config = pay_view(&open.row);
            config.api_v3_key = open.api_v3_key;
            config.private_key_pem = open.private_key_pem;
            pb::GetAppCredentialsResponse {
                app_id: open.row.app_id.clone(),
                app_secret: String::new(),
                wechat_pay: Some(config),
            }
        }
    }
}
