//! Every `--json` document, produced by the real binary, against its definition in
//! `docs/schemas/woolink.schema.json`: the shapes scripts rely on stay what the schema says.

use serde_json::{Value, json};

use crate::harness::{Outcome, Woolink};
use crate::linking::{again, link, store_with_key};
use crate::store::{Permission, TestKey, Tls};

/// A validator for `$defs/<definition>` of the schema file.
fn validator(definition: &str) -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/schemas/woolink.schema.json"
    );
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        schema["$defs"].get(definition).is_some(),
        "no definition {definition}"
    );
    schema["$ref"] = json!(format!("#/$defs/{definition}"));
    jsonschema::validator_for(&schema).expect("the schema is valid")
}

#[test]
fn the_schema_refuses_documents_of_another_shape() {
    let error = validator("error");
    assert!(error.is_valid(&json!({"error": {"kind": "x", "exit_code": 2, "message": "m"}})));
    assert!(!error.is_valid(&json!({"error": {"kind": "x", "exit_code": 2}})));
    assert!(!error.is_valid(
        &json!({"error": {"kind": "x", "exit_code": 2, "message": "m", "secret": "cs_"}})
    ));
    let connect = validator("connect");
    assert!(!connect.is_valid(&json!({"name": "shop"})));
}

/// The document `outcome` printed, checked against `$defs/<definition>`.
pub fn assert_matches(definition: &str, outcome: &Outcome) {
    let validator = validator(definition);
    let document = outcome.json();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{definition}: {errors:#?}\n{}",
        serde_json::to_string_pretty(&document).unwrap()
    );
}

#[test]
fn every_json_document_matches_its_schema() {
    let (store, key) = store_with_key(Tls::Valid, Permission::ReadWrite);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");

    let ca = store.ca_cert_path().to_string_lossy().into_owned();
    let mut checked = Woolink::new();
    checked
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--no-save", "--json", "--ca-cert", &ca]);
    assert_matches("connect", checked.run().assert_code(0));

    // With --env-file, the saved connect names the lines that still hold the secret.
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join(".env");
    std::fs::write(
        &env_file,
        format!(
            "WOOCOMMERCE_URL={}\nWOOCOMMERCE_CONSUMER_KEY={}\nWOOCOMMERCE_CONSUMER_SECRET={}\n",
            store.url(),
            key.key,
            key.secret
        ),
    )
    .unwrap();
    let mut imported = crate::linking::follow(&home, &store);
    imported.args(["connect", "--env-file", &env_file.to_string_lossy()]);
    imported.args(["--store", "file", "--name", "imported", "--json"]);
    let imported = imported.run();
    imported.assert_code(0).assert_no_secret(&key.secret);
    assert_matches("connect", &imported);
    assert_eq!(imported.json()["env_file_secret_lines"][0]["line"], 3);

    let wrong = TestKey::new(Permission::Read).secret;
    let mut refused = Woolink::new();
    refused.connect_args(&store.url(), &key.key, &wrong).args([
        "--no-save",
        "--json",
        "--ca-cert",
        &ca,
    ]);
    assert_matches("error", refused.run().assert_code(4));
    assert_matches(
        "error",
        Woolink::new()
            .args(["accounts", "frobnicate", "--json"])
            .run()
            .assert_code(2),
    );

    let documents: [(&str, &[&str], i32); 7] = [
        ("accounts_list", &["accounts", "list", "--json"], 0),
        (
            "accounts_rename",
            &["accounts", "rename", "shop", "renamed", "--json"],
            0,
        ),
        (
            "accounts_rename",
            &["accounts", "rename", "renamed", "shop", "--json"],
            0,
        ),
        ("accounts_show", &["accounts", "show", "shop", "--json"], 0),
        (
            "accounts_default",
            &["accounts", "default", "shop", "--json"],
            0,
        ),
        (
            "accounts_verify",
            &["accounts", "verify", "--all", "--json"],
            0,
        ),
        (
            "accounts_remove",
            &["accounts", "remove", "shop", "--yes", "--json"],
            0,
        ),
    ];
    for (definition, args, code) in documents {
        let outcome = again(&home, &store, args);
        outcome.assert_code(code).assert_no_secret(&key.secret);
        assert_matches(definition, &outcome);
    }
    // An unhealthy verify is a report too, with the failing account's status and message.
    link(&home, &store, &key, "shop");
    store.revoke(&key.key);
    let unhealthy = again(&home, &store, &["accounts", "verify", "--all", "--json"]);
    assert_matches("accounts_verify", unhealthy.assert_code(4));
}
