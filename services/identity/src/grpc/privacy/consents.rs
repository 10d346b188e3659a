//! RecordConsent and ListConsents (inherent handlers the `UserService` impl delegates to), and
//! the parsing and wire form of consent records.

use std::sync::Arc;

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use siyu_server::Paging;
use tonic::{Request, Response};

use crate::app::privacy::consents::NewConsent;
use crate::error::AppError;
use crate::grpc::consumers::access::target;
use crate::grpc::consumers::convert::{channel_of, consent_pb_kind};
use crate::grpc::{Api, Caller, R, client_info, page, record};
use crate::repo::privacy::consents::Consent;
use crate::repo::privacy::{ConsentChannel, ConsentKind};

/// The pages of a user's consent history.
const HISTORY: Paging = Paging::new("consents", 50, 200);

/// RecordConsent: a consumer's own, or recorded for them (in store: source `store`).
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn record_consent(
    api: &Api,
    request: Request<pb::RecordConsentRequest>,
) -> R<pb::RecordConsentResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let t = target(&caller, &req.user_id)?;
    record("user_id", &t.user_id);
    let consent = consent_in(
        req,
        caller.ctx.principal.kind,
        client_info(&request).ip_masked(),
    )?;
    let (app, tenant) = (Arc::clone(&api.app), caller.tenant());
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let row = app
                    .record_consent(txn, tenant, &t.user_id, consent, &t.actor)
                    .await?;
                Ok(pb::RecordConsentResponse {
                    consent: Some(consent_pb(&row)),
                })
            })
        })
        .await
}

/// ListConsents: the current consent per (kind, channel) and the paged history.
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn list(
    api: &Api,
    request: Request<pb::ListConsentsRequest>,
) -> R<pb::ListConsentsResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let t = target(&caller, &req.user_id)?;
    record("user_id", &t.user_id);
    let rows = api.app.consents(caller.tenant(), &t.user_id).await?;
    let mut current: Vec<&Consent> = Vec::new();
    for row in &rows {
        if !current
            .iter()
            .any(|c| c.kind == row.kind && c.channel == row.channel)
        {
            current.push(row);
        }
    }
    let current = current.into_iter().map(consent_pb).collect();
    let (history, page) = page(&HISTORY, rows, req.page.as_ref())?;
    Ok(Response::new(pb::ListConsentsResponse {
        current,
        history: history.iter().map(consent_pb).collect(),
        page: Some(page),
    }))
}

/// The consent a RecordConsent request records. Consent given in store is recorded as such,
/// whatever the client claims.
fn consent_in(
    req: &pb::RecordConsentRequest,
    kind_of: PrincipalKind,
    ip_masked: String,
) -> Result<NewConsent, AppError> {
    let (kind, channel) = consent_kind(req)?;
    if req.version.len() > 64 {
        return Err(AppError::invalid(
            "version",
            "must be at most 64 characters",
        ));
    }
    if req.source.len() > 32 {
        return Err(AppError::invalid("source", "must be at most 32 characters"));
    }
    let source = if kind_of == PrincipalKind::Staff {
        "store".to_owned()
    } else {
        req.source.clone()
    };
    Ok(NewConsent {
        kind,
        channel,
        version: if kind == ConsentKind::Marketing {
            String::new()
        } else {
            req.version.trim().to_owned()
        },
        granted: req.granted,
        source,
        ip_masked,
    })
}

/// (kind, channel) of a RecordConsent request, with its reasons for missing parts.
pub fn consent_kind(
    req: &pb::RecordConsentRequest,
) -> Result<(ConsentKind, Option<ConsentChannel>), AppError> {
    let kind = match pb::ConsentKind::try_from(req.kind) {
        Ok(pb::ConsentKind::PrivacyPolicy) => ConsentKind::PrivacyPolicy,
        Ok(pb::ConsentKind::TermsOfService) => ConsentKind::TermsOfService,
        Ok(pb::ConsentKind::Marketing) => ConsentKind::Marketing,
        _ => {
            return Err(AppError::invalid(
                "kind",
                "must be PRIVACY_POLICY, TERMS_OF_SERVICE or MARKETING",
            ));
        }
    };
    let channel = pb::ConsentChannel::try_from(req.channel)
        .map_err(|_| AppError::invalid("channel", "unknown channel"))?;
    if kind == ConsentKind::Marketing {
        let Some(channel) = channel_of(channel) else {
            return Err(AppError::invalid_with(
                "CONSENT_CHANNEL_REQUIRED",
                "channel",
                "is required for MARKETING",
            ));
        };
        return Ok((kind, Some(channel)));
    }
    if req.version.trim().is_empty() {
        return Err(AppError::invalid_with(
            "CONSENT_VERSION_REQUIRED",
            "version",
            "is required for PRIVACY_POLICY and TERMS_OF_SERVICE",
        ));
    }
    if channel != pb::ConsentChannel::Unspecified {
        return Err(AppError::invalid("channel", "applies to MARKETING only"));
    }
    Ok((kind, None))
}

/// A consent record.
pub fn consent_pb(row: &Consent) -> pb::ConsentRecord {
    let (kind, channel) = consent_pb_kind(row.kind, row.channel);
    pb::ConsentRecord {
        consent_id: row.id.clone(),
        user_id: row.user_id.clone(),
        kind: kind as i32,
        channel: channel as i32,
        version: row.version.clone(),
        granted: row.granted,
        source: row.source.clone(),
        ip_masked: row.ip_masked.clone(),
        record_time: Some(timestamp(row.created_at)),
    }
}
