//! `woolink connect` as a person at a terminal sees it, driven through a pseudo-terminal:
//! the prompts in order, re-asking on bad answers, the hidden secret, Ctrl-C, progress,
//! colour.

#![cfg(unix)]

use std::process::Command;

use rexpect::process::WaitStatus;
use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};

use crate::harness::Woolink;
use crate::store::{Permission, StoreConfig, TestKey, TestStore, Tls};

fn store_with(key: &TestKey) -> TestStore {
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    TestStore::start(config)
}

/// A woolink run that trusts `store`'s CA through the variable, so no flag is needed for it.
fn woolink_for(store: &TestStore, args: &[&str]) -> Woolink {
    let mut woolink = Woolink::new();
    woolink
        .env(
            "WOOLINK_CA_CERT",
            store.ca_cert_path().to_string_lossy().into_owned(),
        )
        .args(args.iter().copied());
    woolink
}

/// How the terminal looks to woolink.
#[derive(Clone, Copy)]
pub enum Look {
    /// `TERM=xterm`, no `NO_COLOR`: spinner and colour.
    Colour,
    /// `TERM=xterm`, `NO_COLOR=1`: spinner, no colour.
    NoColour,
    /// The harness's `TERM=dumb`, `NO_COLOR=1`: plain lines.
    Dumb,
}

/// A session in a pseudo-terminal that keeps everything woolink printed.
pub struct Terminal {
    session: PtySession,
    pub transcript: String,
}

impl Terminal {
    /// Runs woolink in a new pseudo-terminal with echo on, as a real terminal has it (rexpect
    /// turns echo off, which would hide an echoed secret from the test).
    pub fn start(woolink: &Woolink, look: Look) -> Self {
        let inner = woolink.std_command();
        let mut command = Command::new("sh");
        command
            .env_clear()
            .arg("-c")
            .arg("stty echo; exec \"$0\" \"$@\"")
            .arg(inner.get_program())
            .args(inner.get_args());
        for (name, value) in inner.get_envs() {
            if let Some(value) = value {
                command.env(name, value);
            }
        }
        match look {
            Look::Colour => {
                command.env_remove("NO_COLOR").env("TERM", "xterm");
            }
            Look::NoColour => {
                command.env("TERM", "xterm");
            }
            Look::Dumb => {}
        }
        let options = Options::new().timeout_ms(Some(30_000));
        let session = spawn_with_options(command, options).expect("woolink starts in a pty");
        Self {
            session,
            transcript: String::new(),
        }
    }

    /// Waits for `text`, failing with the transcript so far if it does not come.
    pub fn expect(&mut self, text: &str) {
        // rexpect reads each byte as one char; match UTF-8 text the same way.
        let needle: String = text.bytes().map(char::from).collect();
        match self.session.exp_string(&needle) {
            Ok(before) => {
                self.transcript.push_str(&utf8(&before));
                self.transcript.push_str(text);
            }
            Err(err) => panic!(
                "waiting for {text:?}: {err}\n--- transcript\n{}",
                self.transcript
            ),
        }
    }

    pub fn answer(&mut self, line: &str) {
        self.session.send_line(line).expect("typing into the pty");
    }

    /// Reads to the end and returns the exit code.
    pub fn finish(&mut self) -> i32 {
        let rest = self.session.exp_eof().unwrap_or_default();
        self.transcript.push_str(&utf8(&rest));
        match self.session.process().wait().expect("woolink ends") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("woolink did not exit: {other:?}\n{}", self.transcript),
        }
    }

    /// Waits until the program has turned the terminal's echo off (a hidden prompt).
    pub fn wait_for_echo_off(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.echo_is_on() {
            assert!(
                std::time::Instant::now() < deadline,
                "echo never went off:\n{}",
                self.transcript
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// None of `secrets` (past their `ck_`/`cs_` prefix) was shown in the terminal.
    pub fn assert_hides(&self, secrets: &[&String]) {
        for secret in secrets {
            assert!(
                !self.transcript.contains(&secret[3..]),
                "{}",
                self.transcript
            );
        }
    }

    /// Whether the terminal echoes typed text now.
    fn echo_is_on(&self) -> bool {
        let master = self
            .session
            .process()
            .get_file_handle()
            .expect("pty master");
        let termios = rustix::termios::tcgetattr(&master).expect("tcgetattr on the pty");
        termios
            .local_modes
            .contains(rustix::termios::LocalModes::ECHO)
    }
}

/// Undoes rexpect's byte-per-char reading.
fn utf8(latin1: &str) -> String {
    let bytes: Vec<u8> = latin1.chars().map(|c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn host_and_port(store: &TestStore) -> String {
    store.url().trim_start_matches("https://").to_owned()
}

#[test]
fn interactive_connect_asks_in_order_re_asks_and_never_echoes_the_secret() {
    let key = TestKey::new(Permission::ReadWrite);
    let other = TestKey::new(Permission::Read);
    let store = store_with(&key);
    let woolink = woolink_for(&store, &["connect", "--no-save"]);
    let mut term = Terminal::start(&woolink, Look::NoColour);

    term.expect("Link a WooCommerce store");
    term.expect("WooCommerce > Settings > Advanced");
    term.expect("Store URL: ");
    term.answer("ftp://shop.example");
    term.expect("is not a store address");
    term.expect("Store URL: ");
    term.answer(&host_and_port(&store));
    term.expect("assumed https://");
    term.expect(&format!(
        "{}/wp-admin/admin.php?page=wc-settings&tab=advanced&section=keys&create-key=1",
        store.url()
    ));
    term.expect("Consumer key (ck_...): ");
    // Another key's secret where the key belongs: swapped, asked again.
    term.answer(&other.secret);
    term.expect("look swapped");
    term.expect("Consumer key (ck_...): ");
    term.answer(&key.key);
    term.expect("Consumer secret (cs_..., hidden): ");
    // rpassword prints the prompt, then turns echo off: type only once it has, as a person
    // does (text typed ahead of any password prompt is echoed by the terminal itself).
    term.wait_for_echo_off();
    term.answer(&key.secret);
    term.expect("Reached \"Test Store\"");
    term.expect("WooCommerce REST API found");
    term.expect("Key accepted (HTTP Basic over HTTPS)");
    term.expect("Access: read-write");
    term.expect("The key works with read-write access");
    let code = term.finish();

    assert_eq!(code, 0, "{}", term.transcript);
    assert!(
        term.transcript.contains(&other.secret),
        "typed answers are echoed, so the test would see an echoed secret:\n{}",
        term.transcript
    );
    assert!(
        !term.transcript.contains(&key.secret[3..]),
        "the secret was echoed:\n{}",
        term.transcript
    );
    assert!(term.echo_is_on(), "echo was left off");
    assert!(
        !term.transcript.contains("\x1b[32m"),
        "colour despite NO_COLOR"
    );
}

#[test]
fn ctrl_c_at_each_prompt_exits_130_and_writes_nothing() {
    let key = TestKey::new(Permission::ReadWrite);
    let mut store = store_with(&key);
    for (answers, prompt) in [
        (&[][..], "Store URL: "),
        (&[host_and_port(&store)][..], "Consumer key (ck_...): "),
        (
            &[host_and_port(&store), key.key.clone()][..],
            "Consumer secret (cs_..., hidden): ",
        ),
    ] {
        // Saving for real (to the file store) if it got that far.
        let woolink = woolink_for(&store, &["connect", "--store", "file"]);
        let mut term = Terminal::start(&woolink, Look::Colour);
        for answer in answers {
            term.expect(": ");
            term.answer(answer);
        }
        term.expect(prompt);
        if prompt.contains("hidden") {
            // Interrupt the hidden prompt itself, echo off, so the restore is what is tested.
            term.wait_for_echo_off();
        }
        term.session.send_control('c').expect("Ctrl-C");
        term.expect("Cancelled");
        assert_eq!(term.finish(), 130, "at {prompt:?}\n{}", term.transcript);
        assert!(
            term.echo_is_on(),
            "echo left off after Ctrl-C at {prompt:?}"
        );
        woolink.assert_nothing_written();
    }
    // The store was looked up once its address was typed, but no credential was sent: the
    // key goes out only after the last answer.
    let requests = store.requests();
    assert!(
        requests
            .iter()
            .all(|request| !request.carries_credentials()),
        "{requests:#?}"
    );
    store.expect_no_requests();
}

#[test]
fn a_failure_in_a_terminal_marks_the_failed_step_in_colour() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(&key);
    let mut woolink = woolink_for(
        &store,
        &[
            "connect",
            "--no-save",
            "--url",
            &store.url(),
            "--consumer-key",
            &key.key,
        ],
    );
    woolink.env(
        "WOOLINK_CONSUMER_SECRET",
        TestKey::new(Permission::Read).secret,
    );
    let mut term = Terminal::start(&woolink, Look::Colour);
    term.expect("Checking the key");
    term.expect("\x1b[32m✓\x1b[0m Reached https://localhost");
    term.expect("\x1b[31m✗\x1b[0m Checking the key");
    term.expect("the consumer secret does not match it");
    assert_eq!(term.finish(), 4, "{}", term.transcript);
}

#[test]
fn no_colour_with_no_color_or_a_dumb_terminal() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(&key);
    for look in [Look::NoColour, Look::Dumb] {
        let mut woolink = woolink_for(
            &store,
            &[
                "connect",
                "--no-save",
                "--url",
                &store.url(),
                "--consumer-key",
                &key.key,
            ],
        );
        woolink.env("WOOLINK_CONSUMER_SECRET", key.secret.clone());
        let mut term = Terminal::start(&woolink, look);
        term.expect("Access: read-write");
        assert_eq!(term.finish(), 0, "{}", term.transcript);
        for colour in ["\x1b[31m", "\x1b[32m", "\x1b[1m", "\x1b[2m"] {
            assert!(
                !term.transcript.contains(colour),
                "colour {colour:?} in\n{}",
                term.transcript
            );
        }
        if let Look::Dumb = look {
            assert!(
                !term.transcript.contains('\x1b'),
                "escape codes on a dumb terminal:\n{}",
                term.transcript
            );
        }
    }
}

#[test]
fn without_a_keychain_the_person_is_told_before_typing_anything() {
    let key = TestKey::new(Permission::ReadWrite);
    let mut store = store_with(&key);
    store.expect_no_requests();
    // The harness points D-Bus at nothing: no keychain can be reached.
    let woolink = woolink_for(&store, &["connect"]);
    let mut term = Terminal::start(&woolink, Look::Dumb);
    term.expect("the OS keychain cannot be used");
    term.expect("--store file");
    assert_eq!(term.finish(), 1, "{}", term.transcript);
    assert!(
        !term.transcript.contains("Store URL:"),
        "asked before saying the keychain cannot be used:\n{}",
        term.transcript
    );
    assert!(woolink.files_written().is_empty());
}

#[test]
fn a_store_behind_the_site_password_is_looked_up_and_the_login_asked_hidden() {
    let key = TestKey::new(Permission::ReadWrite);
    let site_password = "pw-staging-7f3a";
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    config.site_password = Some(("stage".into(), site_password.into(), "Staging".into()));
    let store = TestStore::start(config);
    let woolink = woolink_for(&store, &["connect", "--no-save"]);
    let mut term = Terminal::start(&woolink, Look::NoColour);
    term.expect("Store URL: ");
    term.answer(&host_and_port(&store));
    term.expect("asks for the web server's own password (\"Staging\")");
    term.expect("Site user name: ");
    term.answer("stage");
    term.expect("Site password for stage (hidden): ");
    term.wait_for_echo_off();
    term.answer(site_password);
    term.expect("Found WooCommerce store \"Test Store\"");
    term.expect("Consumer key (ck_...): ");
    term.answer(&key.key);
    term.expect("Consumer secret (cs_..., hidden): ");
    term.wait_for_echo_off();
    term.answer(&key.secret);
    term.expect("Key accepted (query-string");
    term.expect("Site user:");
    assert_eq!(term.finish(), 0, "{}", term.transcript);
    assert!(
        !term.transcript.contains(site_password) && !term.transcript.contains(&key.secret[3..]),
        "a secret was echoed:\n{}",
        term.transcript
    );
}

#[test]
fn a_store_at_another_address_is_offered_and_used() {
    let key = TestKey::new(Permission::Read);
    let real = store_with(&key);
    let mut typed = store_with(&key);
    typed.set_redirect_to(Some(real.url()));
    let woolink = woolink_for(&real, &["connect", "--no-save"]);
    let mut term = Terminal::start(&woolink, Look::NoColour);
    term.expect("Store URL: ");
    term.answer(&host_and_port(&typed));
    term.expect(&format!(
        "Found WooCommerce store \"Test Store\" at {}",
        real.url()
    ));
    term.expect(&format!("Use {} instead? [Y/n]", real.url()));
    term.answer("");
    // The "Add key" link points at the store found.
    term.expect(&format!("{}/wp-admin/admin.php", real.url()));
    term.expect("Consumer key (ck_...): ");
    term.answer(&key.key);
    term.expect("Consumer secret (cs_..., hidden): ");
    term.wait_for_echo_off();
    term.answer(&key.secret);
    term.expect("The key works with read access");
    assert_eq!(term.finish(), 0, "{}", term.transcript);
    // The key went only to the store the person agreed to.
    assert!(typed.requests().iter().all(|r| !r.carries_credentials()));
    typed.expect_no_requests();
}

/// A store that sends visitors to a look-alike host (`shоp.localhost`, a Cyrillic "о"): the
/// host is shown as punycode with a warning, and moving there is not the default answer.
#[test]
fn a_move_to_a_look_alike_host_is_shown_as_punycode_and_not_the_default() {
    let key = TestKey::new(Permission::Read);
    let plain = |redirect_to: Option<String>| {
        let mut config = StoreConfig::new(Tls::None);
        config.keys = vec![key.clone()];
        config.redirect_to = redirect_to;
        TestStore::start(config)
    };
    let look_alike = plain(None);
    let port = look_alike.origin().rsplit(':').next().unwrap().to_owned();
    // `shоp` with a Cyrillic о (U+043E), as the store's redirect names it.
    let punycode = format!("http://xn--shp-ted.localhost:{port}");
    let typed = plain(Some(punycode.clone()));
    let woolink = woolink_for(&typed, &["connect", "--no-save"]);
    let mut term = Terminal::start(&woolink, Look::NoColour);
    term.expect("Store URL: ");
    term.answer(&typed.url());
    term.expect(&format!(
        "warning: {punycode} is shown in its punycode form: its host mixes Latin and Cyrillic letters"
    ));
    term.expect(&format!(
        "sends visitors to {punycode}, another address, whose host mixes Latin and Cyrillic letters (it could pass for another's). Use {punycode} instead? [y/N]"
    ));
    // Enter alone is no.
    term.answer("");
    term.expect("error: ");
    assert_eq!(term.finish(), 3, "{}", term.transcript);
    assert!(
        !term.transcript.contains("sh\u{43e}p"),
        "the look-alike was shown in Unicode:\n{}",
        term.transcript
    );
    assert!(
        term.transcript
            .contains(&format!("sends visitors to {punycode}")),
        "{}",
        term.transcript
    );
    // It was looked up, and nothing secret went there.
    assert!(!look_alike.requests().is_empty());
    assert!(
        look_alike
            .requests()
            .iter()
            .all(|r| !r.carries_credentials())
    );
    assert!(typed.requests().iter().all(|r| !r.carries_credentials()));
    term.assert_hides(&[&key.secret]);
    woolink.assert_secret_not_on_disk(&key.secret);
}

#[test]
fn no_input_never_prompts_even_for_a_secret_on_a_terminal_stdin() {
    let key = TestKey::new(Permission::ReadWrite);
    let mut store = store_with(&key);
    store.expect_no_requests();
    let url = store.url();
    let woolink = woolink_for(
        &store,
        &[
            "connect",
            "--url",
            &url,
            "--consumer-key",
            &key.key,
            "--consumer-secret-stdin",
            "--no-input",
            "--no-save",
        ],
    );
    let mut term = Terminal::start(&woolink, Look::NoColour);
    term.expect("must be piped");
    assert_eq!(term.finish(), 2, "{}", term.transcript);
    assert!(!term.transcript.contains("hidden"), "{}", term.transcript);
    assert!(store.requests().is_empty());
}

#[test]
fn sigterm_or_sighup_at_the_hidden_prompt_restores_echo() {
    use rexpect::process::Signal;
    let key = TestKey::new(Permission::ReadWrite);
    let mut store = store_with(&key);
    store.expect_no_requests();
    let url = store.url();
    for (signal, code) in [(Signal::SIGTERM, 128 + 15), (Signal::SIGHUP, 128 + 1)] {
        let woolink = woolink_for(
            &store,
            &[
                "connect",
                "--url",
                &url,
                "--consumer-key",
                &key.key,
                "--no-save",
            ],
        );
        let mut term = Terminal::start(&woolink, Look::NoColour);
        term.expect("Consumer secret (cs_..., hidden): ");
        term.wait_for_echo_off();
        term.session
            .process_mut()
            .signal(signal)
            .expect("signal woolink");
        assert_eq!(term.finish(), code, "{signal:?}\n{}", term.transcript);
        assert!(term.echo_is_on(), "echo left off after {signal:?}");
    }
}

#[test]
fn api_at_a_terminal_says_when_a_list_has_more_pages_and_counts_pages_while_paginating() {
    let key = TestKey::new(Permission::Read);
    // Each page takes a moment, as on a real store, so the page counter is drawn.
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    config.latency = std::time::Duration::from_millis(250);
    let store = TestStore::start(config);
    let home = Woolink::new();
    crate::linking::link(&home, &store, &key, "shop");
    let config = home.config_dir().to_string_lossy().into_owned();

    let mut one_page = woolink_for(&store, &["api", "products?per_page=1"]);
    one_page.env("WOOLINK_CONFIG_DIR", config.clone());
    let mut term = Terminal::start(&one_page, Look::NoColour);
    term.expect("page 1 of 3, 3 items; use --paginate for all");
    assert_eq!(term.finish(), 0, "{}", term.transcript);

    let mut all = woolink_for(&store, &["api", "products?per_page=1", "--paginate"]);
    all.env("WOOLINK_CONFIG_DIR", config);
    let mut term = Terminal::start(&all, Look::NoColour);
    term.expect("Beanie");
    assert_eq!(term.finish(), 0, "{}", term.transcript);
    assert!(
        term.transcript.contains("page 2 of 3") || term.transcript.contains("page 3 of 3"),
        "{}",
        term.transcript
    );
    assert!(
        !term.transcript.contains(&key.secret[3..]),
        "{}",
        term.transcript
    );
}

/// How often `text` appears in what woolink printed so far.
fn count(term: &Terminal, text: &str) -> usize {
    term.transcript.matches(text).count()
}

#[test]
fn a_wrong_secret_is_asked_again_keeping_the_url_and_the_key() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(&key);
    let wrong = TestKey::new(Permission::Read).secret;
    let woolink = woolink_for(&store, &["connect", "--no-save"]);
    let mut term = Terminal::start(&woolink, Look::NoColour);
    term.expect("Store URL: ");
    term.answer(&host_and_port(&store));
    term.expect("Consumer key (ck_...): ");
    term.answer(&key.key);
    term.expect("Consumer secret (cs_..., hidden): ");
    term.wait_for_echo_off();
    term.answer(&wrong);
    term.expect("the consumer secret does not match it");
    term.expect("Try again (2 of 3 tries).");
    term.expect("Consumer secret (cs_..., hidden): ");
    term.wait_for_echo_off();
    term.answer(&key.secret);
    term.expect("The key works with read-write access");
    assert_eq!(term.finish(), 0, "{}", term.transcript);
    assert_eq!(count(&term, "Store URL: "), 1, "{}", term.transcript);
    assert_eq!(count(&term, "Consumer key (ck_...): "), 1);
    term.assert_hides(&[&key.secret, &wrong]);
}

#[test]
fn three_wrong_secrets_end_as_one_did_before() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(&key);
    let woolink = woolink_for(
        &store,
        &[
            "connect",
            "--store",
            "file",
            "--url",
            &store.url(),
            "--consumer-key",
            &key.key,
        ],
    );
    let mut term = Terminal::start(&woolink, Look::NoColour);
    let wrong: Vec<String> = (0..3)
        .map(|_| TestKey::new(Permission::Read).secret)
        .collect();
    for secret in &wrong {
        term.expect("Consumer secret (cs_..., hidden): ");
        term.wait_for_echo_off();
        term.answer(secret);
        term.expect("the consumer secret does not match it");
    }
    assert_eq!(term.finish(), 4, "{}", term.transcript);
    assert_eq!(count(&term, "Consumer secret (cs_..., hidden): "), 3);
    assert_eq!(count(&term, "Try again"), 2, "{}", term.transcript);
    for secret in &wrong {
        assert!(
            !term.transcript.contains(&secret[3..]),
            "{}",
            term.transcript
        );
    }
    woolink.assert_nothing_written();
}

#[test]
fn an_unknown_key_asks_for_the_key_and_the_secret_again() {
    let key = TestKey::new(Permission::Read);
    let unknown = TestKey::new(Permission::Read);
    let store = store_with(&key);
    let url = store.url();
    // The unknown key came from a flag; the person typing the secret is asked for both.
    let woolink = woolink_for(
        &store,
        &[
            "connect",
            "--no-save",
            "--url",
            &url,
            "--consumer-key",
            &unknown.key,
        ],
    );
    let mut term = Terminal::start(&woolink, Look::NoColour);
    term.expect("Consumer secret (cs_..., hidden): ");
    term.wait_for_echo_off();
    term.answer(&unknown.secret);
    term.expect("does not recognise the key");
    term.expect("Try again (2 of 3 tries).");
    term.expect("Consumer key (ck_...): ");
    term.answer(&key.key);
    term.expect("Consumer secret (cs_..., hidden): ");
    term.wait_for_echo_off();
    term.answer(&key.secret);
    term.expect("The key works with read access");
    assert_eq!(term.finish(), 0, "{}", term.transcript);
    term.assert_hides(&[&key.secret, &unknown.secret]);
}

#[test]
fn the_make_a_key_hint_is_only_for_a_person_about_to_type_a_key() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(&key);
    let hint = "Make a key for this store here";
    let url = store.url();
    // The key given as a flag, and from the environment: only the secret is typed.
    let flag = woolink_for(
        &store,
        &[
            "connect",
            "--no-save",
            "--url",
            &url,
            "--consumer-key",
            &key.key,
        ],
    );
    let mut environment = woolink_for(&store, &["connect", "--no-save", "--url", &url]);
    environment.env("WOOLINK_CONSUMER_KEY", key.key.clone());
    for woolink in [flag, environment] {
        let mut term = Terminal::start(&woolink, Look::NoColour);
        term.expect("Consumer secret (cs_..., hidden): ");
        term.wait_for_echo_off();
        term.answer(&key.secret);
        term.expect("The key works with read access");
        assert_eq!(term.finish(), 0, "{}", term.transcript);
        assert!(!term.transcript.contains(hint), "{}", term.transcript);
    }
    // About to type the key: the hint.
    let typed = woolink_for(&store, &["connect", "--no-save", "--url", &url]);
    let mut term = Terminal::start(&typed, Look::NoColour);
    term.expect(hint);
    term.expect("Consumer key (ck_...): ");
    term.session.send_control('c').expect("Ctrl-C");
    assert_eq!(term.finish(), 130, "{}", term.transcript);
}

/// Types the store, the key and the secret, up to the account name's prompt.
fn type_store_and_key(term: &mut Terminal, store: &TestStore, key: &TestKey) {
    term.expect("Store URL: ");
    term.answer(&host_and_port(store));
    term.expect("Consumer key (ck_...): ");
    term.answer(&key.key);
    term.expect("Consumer secret (cs_..., hidden): ");
    term.wait_for_echo_off();
    term.answer(&key.secret);
}

fn account_names(woolink: &Woolink, store: &TestStore) -> Vec<String> {
    let listed = crate::linking::again(woolink, store, &["accounts", "list", "--json"]);
    listed
        .assert_code(0)
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|account| account["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_default_name_is_offered_and_another_can_be_typed() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(&key);
    let default = format!("localhost-{}", store.url().rsplit(':').next().unwrap());

    let woolink = woolink_for(&store, &["connect", "--store", "file"]);
    let mut term = Terminal::start(&woolink, Look::NoColour);
    type_store_and_key(&mut term, &store, &key);
    term.expect(&format!("Account name [{default}]: "));
    term.answer("my shop");
    term.expect("\"my shop\" cannot be an account name");
    term.expect(&format!("Account name [{default}]: "));
    term.answer("client-a");
    term.expect("Linked \"client-a\"");
    assert_eq!(term.finish(), 0, "{}", term.transcript);
    assert_eq!(account_names(&woolink, &store), ["client-a"]);

    // Enter takes the name offered.
    let woolink = woolink_for(&store, &["connect", "--store", "file"]);
    let mut term = Terminal::start(&woolink, Look::NoColour);
    type_store_and_key(&mut term, &store, &key);
    term.expect(&format!("Account name [{default}]: "));
    term.answer("");
    term.expect(&format!("Linked \"{default}\""));
    assert_eq!(term.finish(), 0, "{}", term.transcript);
    assert_eq!(account_names(&woolink, &store), [default]);
    crate::linking::assert_secret_only_in_credentials_file(&woolink, &key.secret);
}

#[test]
fn a_name_clash_answered_no_asks_for_another_name_and_keeps_the_proven_key() {
    let key = TestKey::new(Permission::Read);
    let other = TestKey::new(Permission::ReadWrite);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone(), other.clone()];
    let store = TestStore::start(config);
    let woolink = woolink_for(&store, &["connect", "--store", "file"]);
    crate::linking::link(&woolink, &store, &other, "shop");

    let mut term = Terminal::start(&woolink, Look::NoColour);
    type_store_and_key(&mut term, &store, &key);
    term.expect("Account name [");
    term.answer("shop");
    term.expect("An account named \"shop\" already exists");
    term.expect("Replace it? [y/N]: ");
    term.answer("n");
    term.expect("Choose another name");
    term.expect("Account name: ");
    term.answer("shop-read");
    term.expect("Linked \"shop-read\"");
    assert_eq!(term.finish(), 0, "{}", term.transcript);
    let listed = crate::linking::again(&woolink, &store, &["accounts", "list", "--json"]).json();
    let suffix = |key: &TestKey| key.key[key.key.len() - 7..].to_owned();
    assert_eq!(listed[0]["name"], "shop");
    assert_eq!(listed[0]["key_suffix"], suffix(&other));
    assert_eq!(listed[1]["name"], "shop-read");
    assert_eq!(listed[1]["key_suffix"], suffix(&key));
}

#[test]
fn naming_a_linked_account_at_a_terminal_asks_only_for_the_new_key() {
    let key = TestKey::new(Permission::Read);
    let new_key = TestKey::new(Permission::ReadWrite);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone(), new_key.clone()];
    let store = TestStore::start(config);
    let woolink = woolink_for(&store, &["connect", "--store", "file", "--name", "shop"]);
    crate::linking::link(&woolink, &store, &key, "shop");

    let mut term = Terminal::start(&woolink, Look::NoColour);
    term.expect(&format!(
        "Linking \"shop\" again, at its store {}",
        store.url()
    ));
    term.expect("Make a key for this store here");
    term.expect("Consumer key (ck_...): ");
    term.answer(&new_key.key);
    term.expect("Consumer secret (cs_..., hidden): ");
    term.wait_for_echo_off();
    term.answer(&new_key.secret);
    term.expect("An account named \"shop\" already exists");
    term.expect("Replace it? [y/N]: ");
    term.answer("y");
    term.expect("Linked \"shop\" in place of the account of that name");
    assert_eq!(term.finish(), 0, "{}", term.transcript);
    assert!(
        !term.transcript.contains("Store URL:"),
        "{}",
        term.transcript
    );
    assert!(
        !term.transcript.contains("Account name"),
        "{}",
        term.transcript
    );
    let credentials = std::fs::read_to_string(woolink.config_dir().join("credentials.json"));
    let credentials = credentials.unwrap();
    assert!(credentials.contains(&new_key.secret) && !credentials.contains(&key.secret));

    // The same key again: already linked, nothing asked.
    let mut term = Terminal::start(&woolink, Look::NoColour);
    term.expect("Consumer key (ck_...): ");
    term.answer(&new_key.key);
    term.expect("Consumer secret (cs_..., hidden): ");
    term.wait_for_echo_off();
    term.answer(&new_key.secret);
    term.expect("\"shop\" was already linked; verified");
    assert_eq!(term.finish(), 0, "{}", term.transcript);
    assert!(
        !term.transcript.contains("Replace it?"),
        "{}",
        term.transcript
    );
}

#[test]
fn an_address_that_does_not_answer_is_asked_again() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(&key);
    // A port nothing listens on: the connection is refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let woolink = woolink_for(&store, &["connect", "--no-save"]);
    let mut term = Terminal::start(&woolink, Look::NoColour);
    term.expect("Store URL: ");
    term.answer(&format!("https://127.0.0.1:{closed}"));
    term.expect("Could not reach");
    term.expect("Try again (2 of 3 tries).");
    term.expect("Store URL: ");
    term.answer(&host_and_port(&store));
    term.expect("Consumer key (ck_...): ");
    term.answer(&key.key);
    term.expect("Consumer secret (cs_..., hidden): ");
    term.wait_for_echo_off();
    term.answer(&key.secret);
    term.expect("The key works with read-write access");
    assert_eq!(term.finish(), 0, "{}", term.transcript);
    assert_eq!(count(&term, "Store URL: "), 2, "{}", term.transcript);
    term.assert_hides(&[&key.secret]);
}
