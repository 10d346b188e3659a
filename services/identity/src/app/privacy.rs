//! Personal data rights (PIPL/GDPR): consent records, data exports (the request, the leased
//! jobs that build and purge the document, the download) and account erasure.

pub mod consents;
pub mod data_export;
pub mod erasure;
mod export_document;
pub mod export_jobs;
