//! Merges on the wire (UserService): MergeUsers, ReverseUserMerge and ListUserMerges.

pub(super) mod history;
pub(super) mod reversal;
pub(super) mod staff_merge;

use siyu_proto::identity::v1 as pb;

use crate::app::merges::merge::Merged;
use crate::grpc::consumers::convert::merge_pb;
use crate::otp::mask_phone;

/// A merge as staff see it: phones masked.
fn masked(merge: &Merged) -> pb::UserMerge {
    let mut pb = merge_pb(merge);
    for identity in &mut pb.moved_identities {
        if identity.kind == pb::IdentityKind::Phone as i32 {
            identity.value = mask_phone(&identity.value);
        }
    }
    pb
}
