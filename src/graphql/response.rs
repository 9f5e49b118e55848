//! Puts the top-level fields whose resolvers failed back into `data`.
//!
//! async-graphql leaves such a field out of `data` (and sends `data: null` when none is left),
//! where GraphQL and the original server answer `null` for a nullable field, and null out the
//! whole `data` only when a non-null field failed: `{"data":{"createMe":null},"errors":[…]}`.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection,
};
use async_graphql::{Name, PathSegment, Response, Value};

use super::RegistrySchema;

/// Which root fields are non-null, per operation type.
#[derive(Debug, Default)]
pub struct RootFields {
    non_null: HashSet<(bool, String)>,
}

const ROOTS: &str = "{ __schema { queryType { fields { name type { kind } } } \
                     mutationType { fields { name type { kind } } } } }";

impl RootFields {
    /// Reads the roots' field types from the schema once, at start.
    pub async fn of(schema: &RegistrySchema) -> Self {
        let data = schema
            .execute(ROOTS)
            .await
            .data
            .into_json()
            .unwrap_or_default();
        let mut non_null = HashSet::new();
        for (root, is_mutation) in [("queryType", false), ("mutationType", true)] {
            let fields = data["__schema"][root]["fields"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for field in fields.iter().filter(|f| f["type"]["kind"] == "NON_NULL") {
                let name = field["name"].as_str().unwrap_or_default().to_owned();
                non_null.insert((is_mutation, name));
            }
        }
        RootFields { non_null }
    }
}

/// The top-level response keys of the operation to run, with their field names.
pub struct TopLevel {
    is_mutation: bool,
    fields: HashMap<String, String>,
}

impl TopLevel {
    pub fn of(document: &ExecutableDocument, operation_name: Option<&str>) -> Option<TopLevel> {
        let operation = match (&document.operations, operation_name) {
            (DocumentOperations::Single(op), _) => op,
            (DocumentOperations::Multiple(ops), Some(name)) => ops.get(&Name::new(name))?,
            (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next()?,
            _ => return None,
        };
        let fields = operation
            .node
            .selection_set
            .node
            .items
            .iter()
            .filter_map(|item| match &item.node {
                Selection::Field(field) => Some((
                    field.node.response_key().node.to_string(),
                    field.node.name.node.to_string(),
                )),
                _ => None,
            })
            .collect();
        Some(TopLevel {
            is_mutation: operation.node.ty == OperationType::Mutation,
            fields,
        })
    }

    /// Restores the failed top-level fields of `response`.
    pub fn restore_failed_fields(&self, roots: &RootFields, response: &mut Response) {
        let failed: Vec<String> = response
            .errors
            .iter()
            .filter_map(|e| match e.path.as_slice() {
                [PathSegment::Field(key)] => Some(key.clone()),
                _ => None,
            })
            .collect();
        if failed.is_empty() {
            return;
        }
        let non_null = failed.iter().any(|key| {
            let field = self.fields.get(key).cloned().unwrap_or_default();
            roots.non_null.contains(&(self.is_mutation, field))
        });
        if non_null {
            response.data = Value::Null;
            return;
        }
        let mut data = match std::mem::take(&mut response.data) {
            Value::Object(map) => map,
            _ => Default::default(),
        };
        for key in failed {
            data.entry(Name::new(key)).or_insert(Value::Null);
        }
        response.data = Value::Object(data);
    }
}
