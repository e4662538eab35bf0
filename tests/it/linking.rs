//! Linked accounts for the tests of commands that use them: accounts linked with
//! `--store file` (no keychain needed) in one config folder, and follow-up runs in it.

#![allow(dead_code)] // shared helper: not every test module uses every function

use crate::harness::{Outcome, Woolink};
use crate::store::{Permission, StoreConfig, TestKey, TestStore, Tls};

/// A store with one key of `permission`.
pub fn store_with_key(tls: Tls, permission: Permission) -> (TestStore, TestKey) {
    let key = TestKey::new(permission);
    let mut config = StoreConfig::new(tls);
    config.keys = vec![key.clone()];
    (TestStore::start(config), key)
}

/// Links `key` at `store` as `name` in `home`'s config folder, the secret in the plaintext file.
pub fn link(home: &Woolink, store: &TestStore, key: &TestKey, name: &str) {
    let mut woolink = follow(home, store);
    woolink
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--store", "file", "--name", name]);
    woolink.run().assert_code(0).assert_no_secret(&key.secret);
}

/// A run in `home`'s config folder that trusts `store`'s CA.
pub fn follow(home: &Woolink, store: &TestStore) -> Woolink {
    let mut woolink = Woolink::new();
    woolink
        .env("WOOLINK_CONFIG_DIR", home.config_dir().to_string_lossy())
        .env("WOOLINK_CA_CERT", store.ca_cert_path().to_string_lossy());
    woolink
}

/// Runs `args` in `home`'s config folder, trusting `store`'s CA.
pub fn again(home: &Woolink, store: &TestStore, args: &[&str]) -> Outcome {
    follow(home, store).args(args.iter().copied()).run()
}

/// Only the plaintext credentials file, chosen explicitly, holds the secret on disk.
pub fn assert_secret_only_in_credentials_file(home: &Woolink, secret: &str) {
    let plaintext = home.config_dir().join("credentials.json");
    home.assert_secret_only_in(secret, &[plaintext]);
}

/// A store that knows every key in `keys`.
pub fn store_knowing(keys: &[&TestKey]) -> TestStore {
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = keys.iter().map(|key| (*key).clone()).collect();
    TestStore::start(config)
}
