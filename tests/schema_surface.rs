//! Keeps the GraphQL schema compatible with the original's surface
//! (`tests/fixtures/schema-surface.json`, a copy of the spec's): every query and mutation we
//! implement has the original's argument names and types and return type, and every object,
//! input and enum type we share with it has at least its fields with the same types. Extra
//! fields and operations are allowed.

use std::collections::BTreeMap;

use serde_json::{Value, json};

const INTROSPECTION: &str = r#"
query {
  __schema {
    queryType { name }
    mutationType { name }
    types {
      name kind
      fields { name type { ...T } args { name type { ...T } } }
      inputFields { name type { ...T } }
      enumValues { name }
    }
  }
}
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
"#;

fn type_string(t: &Value) -> String {
    match t["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", type_string(&t["ofType"])),
        "LIST" => format!("[{}]", type_string(&t["ofType"])),
        _ => t["name"].as_str().unwrap().to_owned(),
    }
}

/// Our types by name, with the query and mutation roots also under `Query` and `Mutation`.
async fn our_types() -> BTreeMap<String, Value> {
    let schema = datapm_registry::graphql::build_schema();
    let response = schema.execute(INTROSPECTION).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let types = data["__schema"]["types"].as_array().unwrap().clone();
    let mut types: BTreeMap<String, Value> = types
        .into_iter()
        .map(|t| (t["name"].as_str().unwrap().to_owned(), t))
        .collect();
    for (root, alias) in [("queryType", "Query"), ("mutationType", "Mutation")] {
        let name = data["__schema"][root]["name"].as_str().unwrap();
        let root_type = types[name].clone();
        types.insert(alias.to_owned(), root_type);
    }
    types
}

fn surface() -> Value {
    let text = include_str!("fixtures/schema-surface.json");
    serde_json::from_str(text).unwrap()
}

fn fields_of(t: &Value, key: &str) -> BTreeMap<String, Value> {
    let list = t[key].as_array().cloned().unwrap_or_default();
    list.into_iter()
        .map(|f| (f["name"].as_str().unwrap().to_owned(), f))
        .collect()
}

fn operation_mismatches(ours: &Value, theirs: &Value, kind: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, field) in fields_of(ours, "fields") {
        let Some(expected) = theirs.get(&name) else {
            continue;
        };
        let returns = type_string(&field["type"]);
        if returns != expected["returns"].as_str().unwrap() {
            problems.push(format!(
                "{kind} {name} returns {returns}, not {}",
                expected["returns"]
            ));
        }
        let args: BTreeMap<String, String> = field["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap().to_owned(),
                    type_string(&a["type"]),
                )
            })
            .collect();
        let expected_args: BTreeMap<String, String> =
            serde_json::from_value(expected["args"].clone()).unwrap();
        if args != expected_args {
            problems.push(format!(
                "{kind} {name} takes {args:?}, not {expected_args:?}"
            ));
        }
    }
    problems
}

fn type_mismatches(ours: &BTreeMap<String, Value>, theirs: &Value, key: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, expected_fields) in theirs.as_object().unwrap() {
        let Some(our_type) = ours.get(name) else {
            continue;
        };
        let fields = fields_of(our_type, key);
        for (field, expected) in expected_fields.as_object().unwrap() {
            match fields.get(field) {
                None => problems.push(format!("{name}.{field} is missing")),
                Some(f) if type_string(&f["type"]) != expected.as_str().unwrap() => {
                    problems.push(format!(
                        "{name}.{field} is {}, not {expected}",
                        type_string(&f["type"])
                    ))
                }
                Some(_) => {}
            }
        }
    }
    problems
}

#[tokio::test]
async fn implemented_operations_match_the_original_signatures() {
    let ours = our_types().await;
    let surface = surface();
    let mut problems = operation_mismatches(&ours["Query"], &surface["queries"], "query");
    problems.extend(operation_mismatches(
        &ours["Mutation"],
        &surface["mutations"],
        "mutation",
    ));
    assert_eq!(problems, Vec::<String>::new());
}

#[tokio::test]
async fn shared_object_and_input_types_have_the_original_fields() {
    let ours = our_types().await;
    let surface = surface();
    let mut problems = type_mismatches(&ours, &surface["objects"], "fields");
    problems.extend(type_mismatches(&ours, &surface["inputs"], "inputFields"));
    assert_eq!(problems, Vec::<String>::new());
}

#[tokio::test]
async fn shared_enums_have_the_original_values() {
    let ours = our_types().await;
    let surface = surface();
    let mut problems = Vec::new();
    for (name, values) in surface["enums"].as_object().unwrap() {
        let Some(our_enum) = ours.get(name) else {
            continue;
        };
        let ours: Vec<Value> = our_enum["enumValues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].clone())
            .collect();
        for value in values.as_array().unwrap() {
            if !ours.contains(value) {
                problems.push(format!("{name} lacks {value}"));
            }
        }
    }
    assert_eq!(problems, Vec::<String>::new());
}

#[tokio::test]
async fn the_account_operations_the_cli_uses_are_all_implemented() {
    let ours = our_types().await;
    let queries = fields_of(&ours["Query"], "fields");
    let mutations = fields_of(&ours["Mutation"], "fields");
    for query in [
        "registryStatus",
        "me",
        "myAPIKeys",
        "user",
        "usernameAvailable",
    ] {
        assert!(queries.contains_key(query), "query {query} is missing");
    }
    for mutation in [
        "login",
        "createMe",
        "verifyEmailAddress",
        "createAPIKey",
        "deleteAPIKey",
    ] {
        assert!(
            mutations.contains_key(mutation),
            "mutation {mutation} is missing"
        );
    }
    assert_eq!(json!(ours.contains_key("Subscription")), json!(false));
}
