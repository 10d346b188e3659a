//! AuditService reads: filtered, keyset-paged lists and single entries.

use serde::{Deserialize, Serialize};
use siyu_proto::identity::v1 as pb;
use siyu_proto::time::datetime;
use siyu_server::{PageError, Paging};
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::audit::entry_view;
use crate::grpc::ids::id;
use crate::grpc::{Api, Caller, R, page_of, record};
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::query::AuditFilter;

/// The pages of ListAuditEntries (keyset by sequence).
const ENTRIES: Paging = Paging::new("audit", 20, 200);

/// The cursor inside a page token: the last sequence of the previous page, and the filter the
/// list was read with (a token of another filter is not a token of this list).
#[derive(Serialize, Deserialize)]
struct Cursor {
    seq: i64,
    filter: String,
}

/// ListAuditEntries: one of the method's roles on the tenant root.
#[tracing::instrument(skip_all)]
pub(super) async fn list(
    api: &Api,
    request: Request<pb::ListAuditEntriesRequest>,
) -> R<pb::ListAuditEntriesResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_on_root(&caller.ctx).await?;
    let req = request.get_ref();
    let (f, bound) = filter(req)?;
    let page = page_of::<Cursor>(&ENTRIES, req.page.as_ref())?;
    let after = match &page.after {
        Some(c) if c.filter != bound => return Err(AppError::from(PageError::Token).into()),
        Some(c) => Some(c.seq),
        None => None,
    };
    let limit = i64::try_from(page.fetch_limit()).unwrap_or(i64::MAX);
    let rows = api
        .app
        .audit_page(caller.tenant(), &f, after, req.ascending, limit)
        .await?;
    let (rows, next) = ENTRIES.finish(rows, &page, |e| Cursor {
        seq: e.seq,
        filter: bound.clone(),
    });
    Ok(Response::new(pb::ListAuditEntriesResponse {
        entries: rows.iter().map(entry_view).collect(),
        page: Some(next),
    }))
}

/// GetAuditEntry: one of the method's roles on the root; another tenant's id is NOT_FOUND.
#[tracing::instrument(skip_all, fields(entry_id))]
pub(super) async fn get(
    api: &Api,
    request: Request<pb::GetAuditEntryRequest>,
) -> R<pb::GetAuditEntryResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_on_root(&caller.ctx).await?;
    let entry_id = id("entry_id", &request.get_ref().entry_id)?;
    record("entry_id", entry_id);
    let entry = api
        .app
        .audit_entry(caller.tenant(), &entry_id.to_string())
        .await?;
    Ok(Response::new(pb::GetAuditEntryResponse {
        entry: Some(entry_view(&entry)),
    }))
}

/// The filter of a request, and the digest binding page tokens to it.
fn filter(req: &pb::ListAuditEntriesRequest) -> Result<(AuditFilter, String), AppError> {
    let mut bad = Vec::new();
    let mut kinds = Vec::new();
    for (i, kind) in req.kinds.iter().enumerate() {
        match pb::AuditKind::try_from(*kind) {
            Ok(k) if k != pb::AuditKind::Unspecified => {
                kinds.push(k.as_str_name().trim_start_matches("AUDIT_KIND_").to_owned())
            }
            _ => bad.push((format!("kinds[{i}]"), "is not an audit kind".to_owned())),
        }
    }
    let outcome = match pb::AuditOutcome::try_from(req.outcome) {
        Ok(pb::AuditOutcome::Unspecified) => None,
        Ok(pb::AuditOutcome::Success) => Some(AuditOutcome::Success),
        Ok(pb::AuditOutcome::Failure) => Some(AuditOutcome::Failure),
        Err(_) => {
            bad.push(("outcome".into(), "is not an outcome".into()));
            None
        }
    };
    let actor_kind = match pb::PrincipalKind::try_from(req.actor_kind) {
        Ok(pb::PrincipalKind::Unspecified) => String::new(),
        Ok(k) => k
            .as_str_name()
            .trim_start_matches("PRINCIPAL_KIND_")
            .to_ascii_lowercase(),
        Err(_) => {
            bad.push(("actor_kind".into(), "is not a principal kind".into()));
            String::new()
        }
    };
    for (field, value) in [("actor_id", &req.actor_id), ("subject_id", &req.subject_id)] {
        if value.len() > 128 {
            bad.push((field.into(), "must be at most 128 characters".into()));
        }
    }
    let start = req.start_time.as_ref().and_then(datetime);
    let end = req.end_time.as_ref().and_then(datetime);
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        bad.push(("start_time".into(), "must not be after end_time".into()));
    }
    if !bad.is_empty() {
        return Err(AppError::InvalidArgument {
            reason: "INVALID_ARGUMENT",
            fields: bad,
        });
    }
    let f = AuditFilter {
        actor_id: req.actor_id.clone(),
        actor_kind,
        subject_id: req.subject_id.clone(),
        kinds,
        outcome,
        start,
        end,
    };
    let bound = crate::crypto::sha256_hex(&format!(
        "{}|{}|{}|{}|{}|{:?}|{:?}|{}",
        f.actor_id,
        f.actor_kind,
        f.subject_id,
        f.kinds.join(","),
        f.outcome.map(AuditOutcome::as_str).unwrap_or_default(),
        f.start,
        f.end,
        req.ascending
    ));
    Ok((f, bound))
}
