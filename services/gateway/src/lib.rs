//! The Siyu gateway: REST/JSON for consumers (`/api/v1`), staff (`/admin/v1`) and partners
//! (`/open/v1`, `/oauth/token`), transcoded to the services' gRPC contracts from the embedded
//! descriptor set, plus a gRPC ingress for partners.
//!
//! Route tables are data (`routes/<service>.rs`); everything else is generic. A request goes
//! `http::observe` (request id, trace, load shedding, access log) → `http::handler` (route,
//! rate limits, token and access policy, body, transcoding, idempotency) → the service over a
//! bytes codec → JSON, or `application/problem+json` on any failure.

pub mod error;
pub mod guard;
pub mod http;
pub mod ingress;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;
pub mod transcode;
pub mod upstream;

pub use error::GatewayError;
pub use settings::Settings;
pub use startup::Application;
