//! Members and what hangs off them: status, enrolment attribution, the exclusive guide.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::stored_enum;

/// A member of a tenant (one per identity user).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MemberId(pub Uuid);

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

stored_enum! {
    /// The lifecycle of a member (`siyu.membership.v1.MemberStatus`).
    MemberStatus {
        /// Earns, redeems, claims.
        Active = 1,
        /// Reads work; every earn, redeem and hold is refused.
        Frozen = 2,
        /// Erased or merged away; terminal.
        Closed = 3,
    }
}

stored_enum! {
    /// How a guide relationship came about (`GuideBindingSource`).
    GuideSource {
        /// A guide's QR code.
        GuideQr = 1,
        /// A guide's share link.
        ShareLink = 2,
        /// The guide named at enrolment.
        Enrolment = 3,
        /// Staff by hand.
        Staff = 4,
        /// Reassignment of a departing guide's members.
        Reassignment = 5,
        /// A partner system.
        Partner = 6,
    }
}

/// Where an enrolment came from (`siyu.common.v1.Attribution`), kept as JSON with the member.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Attribution {
    /// `siyu.common.v1.Channel` number.
    pub channel: i32,
    /// Scene code of the QR code or link.
    pub scene_code: String,
    /// The store (identity org unit).
    pub store_id: Option<Uuid>,
    /// The guide (identity staff id).
    pub guide_id: Option<Uuid>,
    /// The campaign.
    pub campaign_id: String,
    /// The referring user.
    pub referrer_user_id: Option<Uuid>,
    /// The content item.
    pub content_id: String,
    /// The share link.
    pub share_link_id: String,
}

/// A member's guide relationship (current or closed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideBinding {
    /// Binding id.
    pub id: Uuid,
    /// The member.
    pub member_id: MemberId,
    /// The guide (staff id).
    pub guide_id: Uuid,
    /// The store the guide serves the member from.
    pub store_id: Option<Uuid>,
    /// How it came about.
    pub source: GuideSource,
    /// When it started.
    pub bound_at_ms: i64,
    /// When it ended.
    pub unbound_at_ms: Option<i64>,
    /// `GuideUnbindReason` number; 0 while current.
    pub unbind_reason: i16,
    /// Who made it (staff or service); empty for consumers.
    pub changed_by: String,
    /// Staff note.
    pub note: String,
}

/// A member (会员).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Member id.
    pub id: MemberId,
    /// The identity user it belongs to.
    pub user_id: Uuid,
    /// Card number: digits, unique per tenant.
    pub card_number: String,
    /// Lifecycle state.
    pub status: MemberStatus,
    /// "YYYY-MM-DD" or empty.
    pub birthday: String,
    /// Name on the card (PII).
    pub card_holder_name: String,
    /// Home store (所属门店).
    pub home_store_id: Option<Uuid>,
    /// Enrolment attribution, frozen.
    pub attribution: Attribution,
    /// The inviter (referral relation).
    pub inviter_member_id: Option<MemberId>,
    /// Manual and system tags.
    pub tag_ids: Vec<Uuid>,
    /// Tenant-defined attributes.
    pub attributes: BTreeMap<String, String>,
    /// Staff remark.
    pub remark: String,
    /// Growth value (成长值).
    pub growth_value: i64,
    /// When enrolled.
    pub enrolled_at_ms: i64,
    /// Last change.
    pub updated_at_ms: i64,
    /// The current exclusive guide, when read with it.
    pub guide: Option<GuideBinding>,
}

impl Member {
    /// The refusal for a ledger write on a member that is not ACTIVE, if any.
    pub fn refuses_writes(&self) -> Option<crate::AppError> {
        match self.status {
            MemberStatus::Active => None,
            MemberStatus::Frozen => Some(crate::AppError::MemberFrozen),
            MemberStatus::Closed => Some(crate::AppError::MemberClosed),
        }
    }
}
