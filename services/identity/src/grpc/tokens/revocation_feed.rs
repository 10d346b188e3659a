//! TokenService: the revocation feed for the auth layers of other services and the gateway.

use siyu_core::page::PageToken;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::TokenApi;
use siyu_proto::time::timestamp;

const FEED: &str = "revocations";

impl TokenApi {
    /// ListTokenRevocations: service tokens only (the gateway polls with one too).
    pub(super) async fn revocations(
        &self,
        request: Request<pb::ListTokenRevocationsRequest>,
    ) -> Result<pb::ListTokenRevocationsResponse, Status> {
        let req = request.get_ref();
        let limit = match req.limit {
            0 => 1000,
            n @ 1..=10_000 => i64::from(n),
            _ => return Err(AppError::invalid("limit", "must be 1..10000").into()),
        };
        let after: i64 = if req.cursor.is_empty() {
            0
        } else {
            PageToken::decode(FEED, &req.cursor)
                .ok()
                .filter(|seq: &i64| *seq >= 0)
                .ok_or_else(|| AppError::invalid("cursor", "is not a cursor of this feed"))?
        };
        let page = self.app.token_revocations(after, limit).await?;
        Ok(pb::ListTokenRevocationsResponse {
            revocations: page
                .entries
                .iter()
                .map(|r| pb::TokenRevocation {
                    kind: match r.kind.as_str() {
                        "SESSION" => pb::RevocationKind::Session,
                        "SUBJECT" => pb::RevocationKind::Subject,
                        "TOKEN" => pb::RevocationKind::Token,
                        _ => pb::RevocationKind::Unspecified,
                    } as i32,
                    tenant_id: r.tenant_id.clone(),
                    value: r.value.clone(),
                    revoke_time: Some(timestamp(r.revoked_at)),
                })
                .collect(),
            cursor: PageToken::encode(FEED, &page.cursor),
        })
    }
}
