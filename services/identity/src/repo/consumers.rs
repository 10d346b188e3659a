//! Storage of consumers: users, their linked identities and the user row locks, single identity
//! links, profiles, look-ups by identity, and phone OTPs.

pub mod identities;
pub mod links;
pub mod lookups;
pub mod otps;
pub mod profiles;
pub mod users;
