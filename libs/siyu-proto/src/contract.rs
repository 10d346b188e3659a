//! What the contracts declare about each RPC besides its messages: its REST bindings
//! (`google.api.http`), who may call it and how retries are treated (`siyu.api.v1.access`),
//! and its one-line summary (the first sentence of its comment).
//!
//! Read once per process from the embedded descriptor set ([`Contract::global`]); the gateway
//! builds its routes, OpenAPI document and partner ingress from it, and every service's access
//! layer admits calls by it. Nothing else keeps a list of routes or roles.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor, Value};

use crate::api::v1::Access;
use crate::google::api::HttpRule;
use crate::google::api::http_rule::Pattern;

/// The extension carrying REST bindings.
const HTTP_EXTENSION: &str = "google.api.http";
/// The extension carrying access rules.
const ACCESS_EXTENSION: &str = "siyu.api.v1.access";

/// Why the contract could not be read (a build problem, never a runtime one).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ContractError {
    /// The embedded descriptor set does not decode.
    #[error("descriptor set: {0}")]
    Descriptors(String),
    /// An option does not decode into its message.
    #[error("{method}: option {option}: {cause}")]
    Option {
        /// `package.Service/Method`.
        method: String,
        /// The extension's full name.
        option: &'static str,
        /// What failed.
        cause: String,
    },
}

/// An HTTP verb a binding may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpVerb {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

impl HttpVerb {
    /// The method name as HTTP writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// One REST binding of an RPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpBinding {
    /// The verb.
    pub verb: HttpVerb,
    /// The path template (`/admin/v1/staff/{staff_id}`).
    pub path: String,
    /// The body mapping: `*` (the whole message), a field name, or empty (no body).
    pub body: String,
}

/// What the contract declares about one RPC.
#[derive(Debug, Clone)]
pub struct MethodContract {
    /// `package.Service/Method`.
    pub rpc: String,
    /// The gRPC path, `/package.Service/Method`.
    pub path: String,
    /// The method's descriptor (request and response types).
    pub descriptor: MethodDescriptor,
    /// Who may call it; `None` when the RPC declares nothing (then nobody may).
    pub access: Option<Access>,
    /// Its REST bindings, the primary first.
    pub bindings: Vec<HttpBinding>,
    /// The first sentence of its comment.
    pub summary: String,
}

/// Every RPC of every Siyu package with its declarations.
#[derive(Debug)]
pub struct Contract {
    pool: DescriptorPool,
    methods: Vec<Arc<MethodContract>>,
    by_path: HashMap<String, Arc<MethodContract>>,
}

impl Contract {
    /// The contract of this build, read on first use.
    pub fn global() -> Result<&'static Contract, ContractError> {
        static CONTRACT: OnceLock<Result<Contract, ContractError>> = OnceLock::new();
        CONTRACT
            .get_or_init(|| Self::decode(crate::FILE_DESCRIPTOR_SET))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Reads the declarations of an encoded descriptor set (with options and source info).
    pub fn decode(bytes: &[u8]) -> Result<Self, ContractError> {
        let pool =
            DescriptorPool::decode(bytes).map_err(|e| ContractError::Descriptors(e.to_string()))?;
        let http = pool.get_extension_by_name(HTTP_EXTENSION);
        let access = pool.get_extension_by_name(ACCESS_EXTENSION);
        let mut methods = Vec::new();
        for service in pool.services() {
            for method in service.methods() {
                let rpc = format!("{}/{}", service.full_name(), method.name());
                let options = method.options();
                let rule: Option<HttpRule> = match &http {
                    Some(ext) => option(&options, ext, &rpc, HTTP_EXTENSION)?,
                    None => None,
                };
                let access: Option<Access> = match &access {
                    Some(ext) => option(&options, ext, &rpc, ACCESS_EXTENSION)?,
                    None => None,
                };
                methods.push(Arc::new(MethodContract {
                    path: format!("/{rpc}"),
                    summary: summary(&method),
                    bindings: rule.map(bindings).unwrap_or_default(),
                    descriptor: method,
                    access,
                    rpc,
                }));
            }
        }
        let by_path = methods
            .iter()
            .map(|m| (m.path.clone(), Arc::clone(m)))
            .collect();
        Ok(Self {
            pool,
            methods,
            by_path,
        })
    }

    /// The RPC at gRPC path `/package.Service/Method`.
    pub fn method(&self, path: &str) -> Option<&Arc<MethodContract>> {
        self.by_path.get(path)
    }

    /// Every RPC, in declaration order.
    pub fn methods(&self) -> impl Iterator<Item = &Arc<MethodContract>> {
        self.methods.iter()
    }

    /// The descriptors (for transcoding).
    pub fn pool(&self) -> &DescriptorPool {
        &self.pool
    }
}

fn option<T: prost::Message + Default>(
    options: &DynamicMessage,
    extension: &prost_reflect::ExtensionDescriptor,
    rpc: &str,
    name: &'static str,
) -> Result<Option<T>, ContractError> {
    if !options.has_extension(extension) {
        return Ok(None);
    }
    let fail = |cause: String| ContractError::Option {
        method: rpc.to_owned(),
        option: name,
        cause,
    };
    match options.get_extension(extension).as_ref() {
        Value::Message(message) => message
            .transcode_to::<T>()
            .map(Some)
            .map_err(|e| fail(e.to_string())),
        other => Err(fail(format!("unexpected value {other:?}"))),
    }
}

/// The primary rule followed by its additional bindings.
fn bindings(rule: HttpRule) -> Vec<HttpBinding> {
    let mut out = Vec::new();
    let mut pending = vec![rule];
    while let Some(mut rule) = pending.pop() {
        let additional = std::mem::take(&mut rule.additional_bindings);
        let binding = match rule.pattern {
            Some(Pattern::Get(path)) => Some((HttpVerb::Get, path)),
            Some(Pattern::Post(path)) => Some((HttpVerb::Post, path)),
            Some(Pattern::Put(path)) => Some((HttpVerb::Put, path)),
            Some(Pattern::Patch(path)) => Some((HttpVerb::Patch, path)),
            Some(Pattern::Delete(path)) => Some((HttpVerb::Delete, path)),
            // Custom verbs are not part of Siyu's REST surface.
            Some(Pattern::Custom(_)) | None => None,
        };
        if let Some((verb, path)) = binding {
            out.push(HttpBinding {
                verb,
                path,
                body: rule.body,
            });
        }
        // Reversed so that bindings keep their declaration order.
        pending.extend(additional.into_iter().rev());
    }
    out
}

/// The first sentence of the method's leading comment.
fn summary(method: &MethodDescriptor) -> String {
    let file = method.parent_file();
    let Some(info) = &file.file_descriptor_proto().source_code_info else {
        return String::new();
    };
    let Some(location) = info.location.iter().find(|l| l.path == method.path()) else {
        return String::new();
    };
    let text = location
        .leading_comments()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match text.find(". ") {
        Some(end) => text[..=end].trim_end().to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_reads_and_every_binding_names_its_rpc() {
        let contract = Contract::global().unwrap();
        let refresh = contract
            .method("/siyu.identity.v1.TokenService/RefreshSession")
            .unwrap();
        assert!(
            refresh.summary.starts_with("Exchanges"),
            "{}",
            refresh.summary
        );
        assert!(contract.methods().count() > 300);
    }
}
