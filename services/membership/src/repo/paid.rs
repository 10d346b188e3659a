//! Paid membership: `mem_paid_plans` (benefit lines as JSON), `mem_paid_memberships` (a
//! member's auto-renew preference; the row every activation and revocation of the member
//! locks) and `mem_paid_periods` (one per paying order).

pub mod periods;
pub mod plans;
