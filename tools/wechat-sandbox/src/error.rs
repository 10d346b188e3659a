//! The crate's one error type: failures of the sandbox itself and of its control client.
//!
//! WeChat protocol errors (`errcode` 40029 and friends) are not Rust errors here: they are the
//! sandbox's normal output, modelled by [`crate::wire::WxCode`].

use std::net::SocketAddr;

/// What can go wrong starting the sandbox, serving its control API or calling it.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The listen address could not be bound (in use, no permission, bad interface).
    #[error("cannot bind the sandbox to {addr}")]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// Why the OS refused.
        #[source]
        source: std::io::Error,
    },
    /// The settings cannot describe a working sandbox (e.g. a code lifetime of zero).
    #[error("invalid sandbox settings: {0}")]
    InvalidSettings(String),
    /// The HTTP server stopped with an I/O error.
    #[error("the sandbox server failed")]
    Serve(#[source] std::io::Error),
    /// A control request named an app that was never registered.
    #[error("unknown appid {0}")]
    UnknownApp(String),
    /// A control request was malformed (empty phone number, negative duration, …).
    #[error("invalid control request: {0}")]
    InvalidControlRequest(String),
    /// A control request named something that does not exist (merchant, prepay id, refund).
    #[error("not found: {0}")]
    NotFound(String),
    /// A control request conflicts with the current state (an expired prepay id, a paid order).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The control client could not reach the sandbox or decode its answer.
    #[error("sandbox control request failed")]
    Client(#[from] reqwest::Error),
    /// The sandbox answered a control request with an error status.
    #[error("sandbox control request refused with {status}: {body}")]
    ControlRefused {
        /// The HTTP status of the answer.
        status: u16,
        /// The answer's body, usually `{"error": "…"}`.
        body: String,
    },
}
