//! Domain types of membership: what the app layer works with, free of tonic and sea-orm. Ids
//! and statuses are types from the repo boundary up; stored enum numbers are the proto's, so a
//! column, a domain value and a wire value of the same thing never disagree.

pub mod coupon;
pub mod coupon_rule;
pub mod distribution;
pub mod guide;
pub mod holds;
pub mod ledger;
pub mod ledger_settings;
pub mod member;
pub mod order_earning;
pub mod paid;
pub mod tier;

pub use coupon::*;
pub use distribution::*;
pub use guide::*;
pub use holds::*;
pub use ledger::*;
pub use ledger_settings::*;
pub use member::*;
pub use order_earning::*;
pub use paid::*;
pub use tier::*;

/// An enum stored as its proto number (SMALLINT): `TryFrom<i16>` refuses unknown numbers as
/// corrupt data, `number()` is what is written.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $n:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $n),+
        }

        impl $name {
            /// The proto number, as stored.
            pub fn number(self) -> i16 {
                self as i16
            }

            /// The value of a proto number, if it names one.
            pub fn from_number(n: i32) -> Option<Self> {
                match n {
                    $($n => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl TryFrom<i16> for $name {
            type Error = String;

            fn try_from(n: i16) -> Result<Self, String> {
                Self::from_number(i32::from(n))
                    .ok_or_else(|| format!("{} {n} is not known", stringify!($name)))
            }
        }
    };
}

pub(crate) use stored_enum;
