//! The contract's comments (the descriptor set's `source_code_info`), by element: services,
//! RPCs, messages, fields and enum values, as the OpenAPI document's descriptions.

use std::collections::HashMap;

use prost_reflect::{
    DescriptorPool, EnumDescriptor, EnumValueDescriptor, FieldDescriptor, MessageDescriptor,
    MethodDescriptor, ServiceDescriptor,
};

/// The leading comment of every commented element, by file and descriptor path.
#[derive(Debug, Default)]
pub struct Comments {
    by_path: HashMap<(String, Vec<i32>), String>,
}

impl Comments {
    /// Indexes every file of `pool` once (a few thousand locations).
    pub fn new(pool: &DescriptorPool) -> Self {
        let mut by_path = HashMap::new();
        for file in pool.files() {
            let Some(info) = &file.file_descriptor_proto().source_code_info else {
                continue;
            };
            for location in &info.location {
                let text = clean(location.leading_comments());
                if !text.is_empty() {
                    by_path.insert((file.name().to_owned(), location.path.clone()), text);
                }
            }
        }
        Self { by_path }
    }

    /// The comment of a service.
    pub fn service(&self, service: &ServiceDescriptor) -> Option<&str> {
        self.get(service.parent_file().name(), service.path())
    }

    /// The comment of an RPC.
    pub fn method(&self, method: &MethodDescriptor) -> Option<&str> {
        self.get(method.parent_file().name(), method.path())
    }

    /// The comment of a message.
    pub fn message(&self, message: &MessageDescriptor) -> Option<&str> {
        self.get(message.parent_file().name(), message.path())
    }

    /// The comment of a field.
    pub fn field(&self, field: &FieldDescriptor) -> Option<&str> {
        self.get(field.parent_file().name(), field.path())
    }

    /// The comment of an enum.
    pub fn enumeration(&self, e: &EnumDescriptor) -> Option<&str> {
        self.get(e.parent_file().name(), e.path())
    }

    /// The comment of an enum value.
    pub fn enum_value(&self, value: &EnumValueDescriptor) -> Option<&str> {
        self.get(value.parent_file().name(), value.path())
    }

    fn get(&self, file: &str, path: &[i32]) -> Option<&str> {
        self.by_path
            .get(&(file.to_owned(), path.to_vec()))
            .map(String::as_str)
    }
}

/// The comment as prose: the space after `//` dropped, lines kept (CommonMark reflows them),
/// surrounding blank lines trimmed.
fn clean(raw: &str) -> String {
    raw.lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> DescriptorPool {
        DescriptorPool::decode(siyu_proto::FILE_DESCRIPTOR_SET).unwrap()
    }

    #[test]
    fn every_kind_of_element_has_its_comment() {
        let pool = pool();
        let comments = Comments::new(&pool);
        let service = pool
            .get_service_by_name("siyu.catalog.v1.CatalogService")
            .unwrap();
        assert!(
            comments
                .service(&service)
                .unwrap()
                .starts_with("Category tree")
        );
        let method = service
            .methods()
            .find(|m| m.name() == "UpdateProduct")
            .unwrap();
        assert!(
            comments
                .method(&method)
                .unwrap()
                .contains("PRODUCT_NOT_FOUND")
        );
        let sku = pool.get_message_by_name("siyu.catalog.v1.Sku").unwrap();
        assert!(comments.message(&sku).unwrap().starts_with("A SKU"));
        let code = sku.get_field_by_name("sku_code").unwrap();
        assert!(comments.field(&code).unwrap().contains("0..64 chars"));
        let status = pool
            .get_enum_by_name("siyu.catalog.v1.ProductStatus")
            .unwrap();
        let draft = status.get_value_by_name("PRODUCT_STATUS_DRAFT").unwrap();
        assert!(
            comments
                .enum_value(&draft)
                .unwrap()
                .starts_with("Being edited")
        );
    }
}
