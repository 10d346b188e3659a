//! AuditService reads: filtered, keyset-paged lists and single entries.

use serde::{Deserialize, Serialize};
use siyu_core::page::PageToken;
use siyu_proto::common::v1 as common;
use siyu_proto::identity::v1 as pb;
use siyu_proto::time::datetime;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::audit::entry_view;
use crate::grpc::{AuditApi, Caller};
use crate::repo::audit::query::{self as audit_query, AuditFilter};

/// Default and maximum page sizes (`siyu.common.v1.PageRequest`).
const DEFAULT_PAGE: i64 = 20;
const MAX_PAGE: i32 = 200;

/// The cursor inside a page token: the last sequence of the previous page.
#[derive(Serialize, Deserialize)]
struct Cursor {
    seq: i64,
}

/// The filter of a request, with a list name binding page tokens to it.
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
        Ok(pb::AuditOutcome::Unspecified) => "",
        Ok(pb::AuditOutcome::Success) => "SUCCESS",
        Ok(pb::AuditOutcome::Failure) => "FAILURE",
        Err(_) => {
            bad.push(("outcome".into(), "is not an outcome".into()));
            ""
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
        outcome: outcome.to_owned(),
        start,
        end,
    };
    let list = format!(
        "audit:{}",
        crate::crypto::sha256_hex(&format!(
            "{}|{}|{}|{}|{}|{:?}|{:?}|{}",
            f.actor_id,
            f.actor_kind,
            f.subject_id,
            f.kinds.join(","),
            f.outcome,
            f.start,
            f.end,
            req.ascending
        ))
    );
    Ok((f, list))
}

impl AuditApi {
    /// ListAuditEntries: auditor or tenant_admin on the root.
    pub(super) async fn list(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> Result<pb::ListAuditEntriesResponse, Status> {
        let caller = Caller::of(&request)?;
        self.require_root_role(&caller).await?;
        let req = request.get_ref();
        let (f, list) = filter(req)?;
        let (size, token) = req
            .page
            .as_ref()
            .map_or((0, ""), |p| (p.page_size, p.page_token.as_str()));
        let size = match size {
            0 => DEFAULT_PAGE,
            n @ 1..=MAX_PAGE => i64::from(n),
            _ => return Err(AppError::invalid("page.page_size", "must be 0..200").into()),
        };
        let cursor = if token.is_empty() {
            None
        } else {
            let c: Cursor = PageToken::decode(&list, token)
                .map_err(|_| AppError::invalid("page.page_token", "is not a token of this list"))?;
            Some(c.seq)
        };
        // One row more than the page tells whether a next page exists.
        let mut rows = audit_query::page(
            &self.app.db,
            &caller.tenant(),
            &f,
            cursor,
            req.ascending,
            size + 1,
        )
        .await
        .map_err(AppError::from)?;
        let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > size;
        rows.truncate(usize::try_from(size).unwrap_or(usize::MAX));
        let next_page_token = match rows.last() {
            Some(last) if more => PageToken::encode(&list, &Cursor { seq: last.seq }),
            _ => String::new(),
        };
        Ok(pb::ListAuditEntriesResponse {
            entries: rows.iter().map(entry_view).collect(),
            page: Some(common::PageResponse { next_page_token }),
        })
    }

    /// GetAuditEntry: auditor or tenant_admin on the root; another tenant's id is NOT_FOUND.
    pub(super) async fn get(
        &self,
        request: Request<pb::GetAuditEntryRequest>,
    ) -> Result<pb::GetAuditEntryResponse, Status> {
        let caller = Caller::of(&request)?;
        self.require_root_role(&caller).await?;
        let id = crate::grpc::ids::id("entry_id", &request.get_ref().entry_id)?.to_string();
        let entry = audit_query::get(&self.app.db, &caller.tenant(), &id)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("AUDIT_ENTRY_NOT_FOUND"))?;
        Ok(pb::GetAuditEntryResponse {
            entry: Some(entry_view(&entry)),
        })
    }
}
