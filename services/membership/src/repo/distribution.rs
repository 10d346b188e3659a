//! Referral and distribution storage: invite codes and referral reads (`invites`), the
//! commission policy, SKU rates and distributors (`policy`), the per-order rows, entries and
//! refunds of the commission ledger (`entries`), balances and withdrawals (`withdrawals`).

pub mod entries;
pub mod invites;
pub mod policy;
pub mod withdrawals;
