//! UserService: ListUserMerges — the merges a user took part in, phones masked.

use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use siyu_server::Paging;
use tonic::{Request, Response};

use crate::app::merges::merge::Merged;
use crate::grpc::consumers::access::target;
use crate::grpc::merges::masked;
use crate::grpc::{Api, Caller, R, page, record};

/// The pages of ListUserMerges.
const MERGES: Paging = Paging::new("merges", 50, 100);

/// ListUserMerges, newest first.
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn list(
    api: &Api,
    request: Request<pb::ListUserMergesRequest>,
) -> R<pb::ListUserMergesResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let t = target(&caller, &req.user_id)?;
    record("user_id", &t.user_id);
    let records = api.app.user_merges(caller.tenant(), &t.user_id).await?;
    let (records, page) = page(&MERGES, records, req.page.as_ref())?;
    let merges = records
        .into_iter()
        .map(|(record, moved)| {
            let mut merge = masked(&Merged {
                merge: record.merge,
                moved,
            });
            merge.reverse_time = record.reversed_at.map(timestamp);
            merge.reversed_by = record.reversed_by.unwrap_or_default();
            merge
        })
        .collect();
    Ok(Response::new(pb::ListUserMergesResponse {
        merges,
        page: Some(page),
    }))
}
