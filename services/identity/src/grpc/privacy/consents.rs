//! RecordConsent and ListConsents (inherent handlers the `UserService` impl delegates to), and
//! the parsing and wire form of consent records.

use crate::app::privacy::consents::NewConsent;
use crate::grpc::consumers::convert::{channel_name, consent_pb_kind};
use crate::repo::privacy::consents::ConsentRow;
use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::consumers::access::target;
use crate::grpc::{Caller, UserApi, client_info};
use siyu_proto::time::timestamp;

impl UserApi {
    /// RecordConsent.
    pub(crate) async fn record_consent_rpc(
        &self,
        request: Request<pb::RecordConsentRequest>,
    ) -> Result<pb::RecordConsentResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let t = target(&caller, &req.user_id)?;
        let (kind, channel) = consent_kind(req)?;
        if req.version.len() > 64 {
            return Err(AppError::invalid("version", "must be at most 64 characters").into());
        }
        if req.source.len() > 32 {
            return Err(AppError::invalid("source", "must be at most 32 characters").into());
        }
        // Consent given in store is recorded as such whatever the client claims.
        let source = if caller.ctx.principal.kind == PrincipalKind::Staff {
            "store".to_owned()
        } else {
            req.source.clone()
        };
        let consent = NewConsent {
            kind,
            channel,
            version: if kind == "MARKETING" {
                String::new()
            } else {
                req.version.trim().to_owned()
            },
            granted: req.granted,
            source,
            ip_masked: client_info(&request).ip_masked(),
        };
        let tenant = caller.tenant();
        let reply = self
            .mutate(&request, &tenant, "RecordConsent", {
                let tenant = tenant.clone();
                move |app, txn| {
                    Box::pin(async move {
                        let row = app
                            .record_consent(txn, &tenant, &t.user_id, consent, &t.actor)
                            .await?;
                        Ok(pb::RecordConsentResponse {
                            consent: Some(consent_pb(&row)),
                        })
                    })
                }
            })
            .await?;
        Ok(reply)
    }

    /// ListConsents: the current consent per (kind, channel) and the paged history.
    pub(crate) async fn list_consents_rpc(
        &self,
        request: Request<pb::ListConsentsRequest>,
    ) -> Result<pb::ListConsentsResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let t = target(&caller, &req.user_id)?;
        let rows = self.app.consents(&caller.tenant(), &t.user_id).await?;
        let mut current: Vec<&ConsentRow> = Vec::new();
        for row in &rows {
            if !current
                .iter()
                .any(|c| c.kind == row.kind && c.channel == row.channel)
            {
                current.push(row);
            }
        }
        let current = current.into_iter().map(consent_pb).collect();
        let list = format!("consents:{}", t.user_id);
        let (history, page) = crate::grpc::paging::page(&list, rows, req.page.as_ref(), 200)?;
        Ok(pb::ListConsentsResponse {
            current,
            history: history.iter().map(consent_pb).collect(),
            page: Some(page),
        })
    }
}

/// (kind, channel) names of a RecordConsent request, with its reasons for missing parts.
pub fn consent_kind(
    req: &pb::RecordConsentRequest,
) -> Result<(&'static str, &'static str), AppError> {
    let kind = match pb::ConsentKind::try_from(req.kind) {
        Ok(pb::ConsentKind::PrivacyPolicy) => "PRIVACY_POLICY",
        Ok(pb::ConsentKind::TermsOfService) => "TERMS_OF_SERVICE",
        Ok(pb::ConsentKind::Marketing) => "MARKETING",
        _ => {
            return Err(AppError::invalid(
                "kind",
                "must be PRIVACY_POLICY, TERMS_OF_SERVICE or MARKETING",
            ));
        }
    };
    let channel = pb::ConsentChannel::try_from(req.channel)
        .map_err(|_| AppError::invalid("channel", "unknown channel"))?;
    if kind == "MARKETING" {
        if channel == pb::ConsentChannel::Unspecified {
            return Err(AppError::invalid_with(
                "CONSENT_CHANNEL_REQUIRED",
                "channel",
                "is required for MARKETING",
            ));
        }
        return Ok((kind, channel_name(channel)));
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
    Ok((kind, ""))
}

/// A consent record.
pub fn consent_pb(row: &ConsentRow) -> pb::ConsentRecord {
    let (kind, channel) = consent_pb_kind(&row.kind, &row.channel);
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
