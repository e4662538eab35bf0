//! KeychainStore over keyring-core's mock store, with injected failures.

use std::collections::HashMap;
use std::time::Instant;

use keyring_core::api::{Credential, CredentialApi, CredentialStoreApi};
use keyring_core::mock;

use super::*;
use crate::accounts::credstore::tests::{KEY, SECRET, SECRET2, creds};

fn mock_store() -> Arc<CoreStore> {
    mock::Store::new().unwrap()
}

fn id(user: &str) -> EntryId {
    EntryId::legacy("https://shop.example", user)
}

/// Makes the next call on the mock entry fail with `err`.
fn inject(store: &Arc<CoreStore>, id: &EntryId, err: KeyringError) {
    let entry = Entry::new_in_store(store, &id.service, &id.user).unwrap();
    let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
    cred.set_error(err);
}

fn raw_password(store: &Arc<CoreStore>, id: &EntryId) -> keyring_core::Result<String> {
    Entry::new_in_store(store, &id.service, &id.user)?.get_password()
}

fn platform(text: &str) -> KeyringError {
    KeyringError::PlatformFailure(text.into())
}

#[tokio::test]
async fn set_get_delete_round_trip_in_one_entry() {
    let core = mock_store();
    let store = KeychainStore::with_store(core.clone());
    let id = id("shop");
    store.set(&id, &creds(SECRET)).await.unwrap();
    let raw = raw_password(&core, &id).unwrap();
    assert!(
        raw.contains(KEY) && raw.contains(SECRET),
        "key and secret together"
    );
    store.set(&id, &creds(SECRET2)).await.unwrap();
    let got = store.get(&id).await.unwrap();
    assert_eq!(got.key.expose(), KEY);
    assert_eq!(got.secret.expose(), SECRET2);
    store.delete(&id).await.unwrap();
    assert!(matches!(
        store.get(&id).await,
        Err(CredStoreError::NotFound)
    ));
    assert!(matches!(
        store.delete(&id).await,
        Err(CredStoreError::NotFound)
    ));
}

#[tokio::test]
async fn platform_failures_map_to_the_cases_callers_branch_on() {
    let cases = [
        (
            platform(
                "D-Bus error: Failed to connect to socket /run/user/0/bus: No such file or directory",
            ),
            Some(Unavailability::NoSessionBus),
        ),
        (
            platform("D-Bus error: Unable to autolaunch a dbus-daemon without a $DISPLAY for X11"),
            Some(Unavailability::NoSessionBus),
        ),
        (
            platform(
                "org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files",
            ),
            Some(Unavailability::NoSecretService),
        ),
        (
            KeyringError::NoStorageAccess("prompt dismissed".into()),
            Some(Unavailability::Locked),
        ),
        (platform("something else"), None),
    ];
    let core = mock_store();
    let store = KeychainStore::with_store(core.clone());
    let id = id("shop");
    for (err, expected) in cases {
        inject(&core, &id, err);
        match (store.set(&id, &creds(SECRET)).await, expected) {
            (Err(CredStoreError::Unavailable { why }), Some(expected)) => assert_eq!(why, expected),
            (Err(CredStoreError::Failed(text)), None) => assert!(text.contains("something else")),
            (other, expected) => panic!("expected {expected:?}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_entry_that_is_not_ours_is_corrupt_and_not_echoed() {
    let core = mock_store();
    let store = KeychainStore::with_store(core.clone());
    let id = id("shop");
    Entry::new_in_store(&core, &id.service, &id.user)
        .unwrap()
        .set_password("hunter2")
        .unwrap();
    let err = store.get(&id).await.unwrap_err();
    assert!(matches!(err, CredStoreError::Corrupt));
    assert!(!err.to_string().contains("hunter2"));
    inject(
        &core,
        &id,
        KeyringError::BadEncoding(b"\xffhunter2".to_vec()),
    );
    assert!(matches!(store.get(&id).await, Err(CredStoreError::Corrupt)));
}

#[tokio::test]
async fn no_entry_is_trusted_only_once_the_store_is_known_to_work() {
    // A never-unlocked keyring: lookups say NoEntry, writes fail with NoStorageAccess.
    let core = mock_store();
    let store = KeychainStore {
        verify_before_not_found: true,
        ..KeychainStore::with_store(core.clone())
    };
    let probe = probe_entry();
    inject(
        &core,
        &probe,
        KeyringError::NoStorageAccess("result not returned".into()),
    );
    match store.get(&id("shop")).await {
        Err(CredStoreError::Unavailable {
            why: Unavailability::Locked,
        }) => {}
        other => panic!("expected Locked, got {other:?}"),
    }
    // Now the probe succeeds: NoEntry means NotFound, and the probe entry is gone again.
    assert!(matches!(
        store.get(&id("shop")).await,
        Err(CredStoreError::NotFound)
    ));
    assert!(matches!(
        raw_password(&core, &probe),
        Err(KeyringError::NoEntry)
    ));
    assert!(matches!(
        store.delete(&id("shop")).await,
        Err(CredStoreError::NotFound)
    ));
}

#[tokio::test]
async fn a_hanging_keychain_call_times_out() {
    let hanging = Hanging(Duration::from_secs(2));
    let store = KeychainStore {
        timeout: Duration::from_millis(100),
        ..KeychainStore::with_store(Arc::new(hanging))
    };
    let started = Instant::now();
    for result in [
        store.set(&id("shop"), &creds(SECRET)).await,
        store.get(&id("shop")).await.map(drop),
        store.delete(&id("shop")).await,
    ] {
        assert!(
            matches!(result, Err(CredStoreError::TimedOut { .. })),
            "{result:?}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    let message = CredStoreError::TimedOut {
        after: Duration::from_secs(10),
    }
    .to_string();
    assert!(
        message.contains("10s") && message.contains("unlock"),
        "{message}"
    );
}

/// While a keychain call is pending (an unlock dialog, say), the runtime's one thread goes on
/// with other work: here a ticker on the same current-thread runtime, as `accounts verify`'s
/// requests run beside its keychain reads.
#[tokio::test(flavor = "current_thread")]
async fn a_pending_keychain_call_leaves_the_runtime_free() {
    let store = KeychainStore::with_store(Arc::new(Hanging(Duration::from_millis(500))));
    let ticks = std::cell::Cell::new(0);
    let ticker = async {
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
            ticks.set(ticks.get() + 1);
        }
    };
    let shop = id("shop");
    tokio::select! {
        result = store.get(&shop) => {
            assert!(matches!(result, Err(CredStoreError::NotFound)), "{result:?}");
        }
        () = ticker => unreachable!(),
    }
    assert!(
        ticks.get() >= 10,
        "only {} ticks while the keychain was asked",
        ticks.get()
    );
}

/// A store whose every entry call blocks for the given time, like a keyring waiting on an
/// unlock dialog, then answers that there is no such entry.
#[derive(Debug)]
struct Hanging(Duration);

impl Hanging {
    fn block<T>(&self) -> keyring_core::Result<T> {
        std::thread::sleep(self.0);
        Err(KeyringError::NoEntry)
    }
}

impl CredentialApi for Hanging {
    fn set_secret(&self, _: &[u8]) -> keyring_core::Result<()> {
        self.block()
    }
    fn get_secret(&self) -> keyring_core::Result<Vec<u8>> {
        self.block()
    }
    fn delete_credential(&self) -> keyring_core::Result<()> {
        self.block()
    }
    fn get_credential(&self) -> keyring_core::Result<Option<Arc<Credential>>> {
        self.block()
    }
    fn get_specifiers(&self) -> Option<(String, String)> {
        None
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl CredentialStoreApi for Hanging {
    fn vendor(&self) -> String {
        "hanging test store".to_owned()
    }
    fn id(&self) -> String {
        "hanging".to_owned()
    }
    fn build(
        &self,
        _: &str,
        _: &str,
        _: Option<&HashMap<&str, &str>>,
    ) -> keyring_core::Result<Entry> {
        Ok(Entry::new_with_credential(Arc::new(Hanging(self.0))))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
