//! Paid membership (付费会员): plans HQ sells, and the periods members buy through orders.
//!
//! - **Bought through orders.** Orders sells the plan and, once paid, calls
//!   ActivatePaidMembership keyed by its order id; a refund calls RevokePaidMembership.
//! - **Never overlapping.** Every change of a member's periods runs under the member's
//!   `mem_paid_memberships` row lock: a new period starts at the later of the payment and the
//!   end of the member's last period (a renewal extends from the current end), and a revoked
//!   period's unused time is taken out of the periods after it.
//! - **Exactly once.** An order buys at most one period (`UNIQUE (tenant, order_id)`); under the
//!   lock a repeat finds the period and answers it.
//! - **Benefits** (`paid/benefits.rs`): the plan's tier as a floor, its extra points multiplier
//!   and its coupon pack at activation and each month of the period.

pub mod benefits;
pub mod periods;
pub mod plans;
pub mod report;
