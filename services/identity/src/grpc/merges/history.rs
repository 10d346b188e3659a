//! ListUserMerges: the merges a user took part in, phones masked.

use crate::app::merges::merge::Merged;
use crate::grpc::consumers::convert::merge_pb;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::grpc::consumers::access::target;
use crate::grpc::{Caller, UserApi};
use crate::otp::mask_phone;
use siyu_proto::time::timestamp;

impl UserApi {
    /// ListUserMerges: phones masked.
    pub(crate) async fn list_user_merges_rpc(
        &self,
        request: Request<pb::ListUserMergesRequest>,
    ) -> Result<pb::ListUserMergesResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let t = target(&caller, &req.user_id)?;
        let records = self.app.user_merges(&caller.tenant(), &t.user_id).await?;
        let list = format!("merges:{}", t.user_id);
        let (records, page) = crate::grpc::paging::page(&list, records, req.page.as_ref(), 100)?;
        let merges = records
            .into_iter()
            .map(|(record, moved)| {
                let mut merge = merge_pb(&Merged {
                    row: record.row,
                    moved,
                });
                for identity in &mut merge.moved_identities {
                    if identity.kind == pb::IdentityKind::Phone as i32 {
                        identity.value = mask_phone(&identity.value);
                    }
                }
                merge.reverse_time = record.reversed_at.map(timestamp);
                merge.reversed_by = record.reversed_by.unwrap_or_default();
                merge
            })
            .collect();
        Ok(pb::ListUserMergesResponse {
            merges,
            page: Some(page),
        })
    }
}
