//! Listen addresses and shutdown behaviour of a service process.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::validate::{Validate, Violations};

/// Upper bound on the drain period; Kubernetes' default termination grace is 30 s, and a
/// longer drain than the pod's grace only ends in SIGKILL.
const MAX_SHUTDOWN_GRACE_SECS: u64 = 300;

/// Where a service listens and how long it drains on SIGTERM.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// gRPC listen address (port 0 picks a free port, as tests do).
    pub grpc_addr: SocketAddr,
    /// Admin HTTP listen address: `/metrics`, health and readiness.
    pub admin_addr: SocketAddr,
    /// Seconds in-flight requests get to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            grpc_addr: SocketAddr::from(([0, 0, 0, 0], 50051)),
            admin_addr: SocketAddr::from(([0, 0, 0, 0], 9090)),
            shutdown_grace_secs: 10,
        }
    }
}

impl ServerSettings {
    /// The drain period as a `Duration`.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

impl Validate for ServerSettings {
    fn validate(&self, v: &mut Violations) {
        v.check(
            self.grpc_addr.port() == 0 || self.grpc_addr != self.admin_addr,
            "admin_addr",
            "must differ from grpc_addr",
        );
        v.check(
            self.shutdown_grace_secs <= MAX_SHUTDOWN_GRACE_SECS,
            "shutdown_grace_secs",
            format!("must be at most {MAX_SHUTDOWN_GRACE_SECS}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_clashes_are_reported() {
        let mut v = Violations::new();
        ServerSettings::default().validate(&mut v);
        assert!(v.is_empty());

        let clash = ServerSettings {
            admin_addr: ServerSettings::default().grpc_addr,
            shutdown_grace_secs: 301,
            ..ServerSettings::default()
        };
        let mut v = Violations::new();
        clash.validate(&mut v);
        let errors = v.into_result().unwrap_err();
        assert_eq!(errors.0.len(), 2, "{errors}");
    }
}
