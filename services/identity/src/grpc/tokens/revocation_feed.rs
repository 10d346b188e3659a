//! TokenService: the revocation feed for the auth layers of other services and the gateway
//! (services only, by contract).

use siyu_core::page::PageToken;
use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::{Api, R};
use crate::repo::tokens::RevocationKind;
use crate::repo::tokens::revocation_feed::Revocation;

/// The name cursors of the feed are bound to.
const FEED: &str = "revocations";

/// ListTokenRevocations: the revocations after the cursor, and the cursor to poll with next.
#[tracing::instrument(skip_all)]
pub(super) async fn list(
    api: &Api,
    request: Request<pb::ListTokenRevocationsRequest>,
) -> R<pb::ListTokenRevocationsResponse> {
    let (after, limit) = feed_in(request.get_ref())?;
    let page = api.app.token_revocations(after, limit).await?;
    Ok(Response::new(pb::ListTokenRevocationsResponse {
        revocations: page.entries.iter().map(revocation_view).collect(),
        cursor: PageToken::encode(FEED, &page.cursor),
    }))
}

/// (after sequence, limit) of a feed request.
fn feed_in(req: &pb::ListTokenRevocationsRequest) -> Result<(i64, i64), AppError> {
    let limit = match req.limit {
        0 => 1000,
        n @ 1..=10_000 => i64::from(n),
        _ => return Err(AppError::invalid("limit", "must be 1..10000")),
    };
    if req.cursor.is_empty() {
        return Ok((0, limit));
    }
    let after = PageToken::decode(FEED, &req.cursor)
        .ok()
        .filter(|seq: &i64| *seq >= 0)
        .ok_or_else(|| AppError::invalid("cursor", "is not a cursor of this feed"))?;
    Ok((after, limit))
}

fn revocation_view(r: &Revocation) -> pb::TokenRevocation {
    let kind = match r.kind {
        RevocationKind::Session => pb::RevocationKind::Session,
        RevocationKind::Subject => pb::RevocationKind::Subject,
        RevocationKind::Token => pb::RevocationKind::Token,
    };
    pb::TokenRevocation {
        kind: kind as i32,
        tenant_id: r.tenant_id.to_string(),
        value: r.value.clone(),
        revoke_time: Some(timestamp(r.revoked_at)),
    }
}
