//! Paid membership: `mem_paid_plans` (benefit lines as JSON), `mem_paid_memberships` (a
//! member's auto-renew preference and tier floor; the row every activation and revocation of
//! the member locks), `mem_paid_periods` (one per paying order) and `mem_paid_packs` (the
//! monthly coupon packs).

pub mod benefits;
pub mod periods;
pub mod plans;
