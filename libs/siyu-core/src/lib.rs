//! Types every Siyu service shares: ids, money, the request context, paging and the clock seam.
//!
//! Nothing here knows about a particular service, a transport or a database.

pub mod clock;
pub mod ctx;
pub mod error;
pub mod id;
pub mod money;
pub mod page;

pub use clock::{Clock, ManualClock, SystemClock};
pub use ctx::{Ctx, OrgPath, Principal, PrincipalKind, RoleGrant, TenantId};
pub use error::CoreError;
pub use money::{Currency, Money};
pub use page::{PageRequest, PageToken};
