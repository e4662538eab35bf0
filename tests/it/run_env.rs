//! `woolink run --env NAME=FIELD` and `--env-file`, with the accounts' secrets in a real Secret
//! Service (a private gnome-keyring), and `run` started the way MCP clients start servers: with
//! HOME, LOGNAME, PATH, SHELL, TERM and USER only, the session bus where desktops put it.

#![cfg(target_os = "linux")]

use std::path::Path;

use crate::harness::{Outcome, Woolink};
use crate::keychain::{KeychainHome as Home, PrivateKeychain};
use crate::linking::store_knowing;
use crate::store::{Permission, TestKey, TestStore};

impl Home {
    /// Links `key` at `store` as `name`, the secret in the keychain and the store's CA kept
    /// with the account.
    fn link_with_ca(&self, store: &TestStore, key: &TestKey, name: &str) {
        let mut woolink = self.woolink();
        woolink
            .connect_args(&store.url(), &key.key, &key.secret)
            .args(["--name", name, "--ca-cert"])
            .args([store.ca_cert_path().to_string_lossy().into_owned()]);
        woolink.run().assert_code(0).assert_no_secret(&key.secret);
    }

    fn run(&self, args: &[&str], prepare: impl FnOnce(&mut Woolink)) -> Outcome {
        let mut woolink = self.woolink();
        prepare(&mut woolink);
        woolink.args(["run"]).args(args.iter().copied()).run()
    }
}

/// A CMD that would leave a file behind if it ran.
fn marker_cmd(marker: &Path) -> Vec<String> {
    vec!["touch".into(), marker.to_string_lossy().into_owned()]
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn env_exports_fields_under_the_names_a_tool_reads_besides_the_usual_set() {
    let home = Home::new();
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_knowing(&[&key]);
    home.link_with_ca(&store, &key, "shop");
    // The child compares the secret itself, so it never reaches any output.
    let script = r#"
        printf 'store=%s\nwkey=%s\nroot=%s\napi=%s\nauth=%s\nname=%s\nca=%s\nusual=%s\n' \
            "$STORE_URL" "$WOOCOMMERCE_KEY" "$ROOT" "$API" "$AUTH" "$NAME" "$CA" "$WOOCOMMERCE_CONSUMER_KEY"
        [ "$WOOCOMMERCE_SECRET" = "$EXPECTED_SECRET" ] && echo secret=match
        [ "$WOOCOMMERCE_CONSUMER_SECRET" = "$EXPECTED_SECRET" ] && echo usual_secret=match
        [ -z "${STALE+set}" ] && echo stale=unset
    "#;
    let outcome = home.run(
        &[
            "--env",
            "STORE_URL=url",
            "--env",
            "WOOCOMMERCE_KEY=key",
            "--env",
            "WOOCOMMERCE_SECRET=secret",
            "--env",
            "ROOT=api_root",
            "--env",
            "API=api_url",
            "--env",
            "AUTH=auth_method",
            "--env",
            "NAME=account",
            "--env",
            "CA=ca_cert",
            // No site login: the variable is unset, not left as woolink inherited it.
            "--env",
            "STALE=site_password",
            "--",
            "sh",
            "-c",
            script,
        ],
        |w| {
            w.env("EXPECTED_SECRET", &key.secret)
                .env("STALE", "inherited");
        },
    );
    outcome
        .assert_code(0)
        .assert_stdout_contains(&format!("store={}\n", store.url()))
        .assert_stdout_contains(&format!("wkey={}\n", key.key))
        .assert_stdout_contains(&format!("root={}/wp-json/\n", store.url()))
        .assert_stdout_contains(&format!("api={}/wp-json/wc/v3/\n", store.url()))
        .assert_stdout_contains("auth=basic\n")
        .assert_stdout_contains("name=shop\n")
        .assert_stdout_contains(&format!("usual={}\n", key.key))
        .assert_stdout_contains("secret=match\n")
        .assert_stdout_contains("usual_secret=match\n")
        .assert_stdout_contains("stale=unset\n")
        .assert_no_secret(&key.secret);
    let ca = outcome
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("ca="))
        .unwrap();
    assert!(
        ca.starts_with(
            &home
                .first
                .config_dir()
                .join("ca")
                .to_string_lossy()
                .into_owned()
        ),
        "{ca}"
    );
    assert_eq!(outcome.stderr, "", "run keeps quiet");
    home.first.assert_secret_not_on_disk(&key.secret);
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn an_unknown_field_or_an_invalid_name_is_a_usage_error_and_cmd_does_not_start() {
    let home = Home::new();
    let key = TestKey::new(Permission::Read);
    let store = store_knowing(&[&key]);
    home.link_with_ca(&store, &key, "shop");
    let marker = home.first.config_dir().join("child-ran");
    for (mapping, named) in [
        ("WOO_PASS=password", "\"password\" is not a field"),
        ("1ST=url", "\"1ST\" is not a valid variable name"),
        ("WOO-URL=url", "\"WOO-URL\" is not a valid variable name"),
        ("=url", "\"\" is not a valid variable name"),
        ("STORE_URL", "expected NAME=FIELD"),
    ] {
        let mut args = vec!["--env", "GOOD=key", "--env", mapping, "--"];
        let cmd = marker_cmd(&marker);
        args.extend(cmd.iter().map(String::as_str));
        let outcome = home.run(&args, |_| {});
        outcome
            .assert_code(2)
            .assert_stderr_contains(named)
            .assert_no_secret(&key.secret);
        assert!(outcome.stdout.is_empty(), "{mapping}: {}", outcome.stdout);
        assert!(!marker.exists(), "CMD ran with --env {mapping}");
    }
    // The message lists the fields there are.
    home.run(&["--env", "X=pass", "--", "true"], |_| {})
        .assert_code(2)
        .assert_stderr_contains("url, api_root, api_url, key, secret, auth_method, account, ca_cert, site_user, site_password");
    home.first.assert_secret_not_on_disk(&key.secret);
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn an_env_file_of_references_gets_each_accounts_fields_and_other_lines_as_written() {
    let home = Home::new();
    let key = TestKey::new(Permission::ReadWrite);
    let staging_key = TestKey::new(Permission::Read);
    let store = store_knowing(&[&key]);
    let staging = store_knowing(&[&staging_key]);
    home.link_with_ca(&store, &key, "shop");
    home.link_with_ca(&staging, &staging_key, "staging");
    let file = home.first.config_dir().join("tool.env");
    std::fs::write(
        &file,
        "# no secret in here: it can be committed\n\
         NEXT_PUBLIC_WORDPRESS_SITE_URL=woolink://shop/url\n\
         WC_CONSUMER_KEY=\"woolink://shop/key\"\n\
         export WC_CONSUMER_SECRET='woolink://shop/secret'\n\
         STAGING_KEY=woolink://staging/key\n\
         STAGING_SECRET=woolink://staging/secret\n\
         GREETING=\"hello world\"\n\
         \n\
         PLAIN=woolink-is-not-a-reference\n",
    )
    .unwrap();
    let script = r#"
        printf 'site=%s\nkey=%s\nstaging_key=%s\ngreeting=%s\nplain=%s\nusual=%s\naccount=%s\n' \
            "$NEXT_PUBLIC_WORDPRESS_SITE_URL" "$WC_CONSUMER_KEY" "$STAGING_KEY" "$GREETING" "$PLAIN" \
            "$WOOCOMMERCE_URL" "$WOOLINK_ACCOUNT"
        [ "$WC_CONSUMER_SECRET" = "$EXPECTED_SECRET" ] && echo secret=match
        [ "$STAGING_SECRET" = "$EXPECTED_STAGING_SECRET" ] && echo staging_secret=match
        [ "$OVERRIDE" = "$WOOCOMMERCE_API_ROOT" ] && echo command_line=wins
    "#;
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"OVERRIDE=woolink://shop/url\n"))
        .unwrap();
    let outcome = home.run(
        &[
            "--account",
            "staging",
            "--env-file",
            &file.to_string_lossy(),
            "--env",
            "OVERRIDE=api_root",
            "--",
            "sh",
            "-c",
            script,
        ],
        |w| {
            w.env("EXPECTED_SECRET", &key.secret)
                .env("EXPECTED_STAGING_SECRET", &staging_key.secret);
        },
    );
    outcome
        .assert_code(0)
        .assert_stdout_contains(&format!("site={}\n", store.url()))
        .assert_stdout_contains(&format!("key={}\n", key.key))
        .assert_stdout_contains(&format!("staging_key={}\n", staging_key.key))
        .assert_stdout_contains("greeting=hello world\n")
        .assert_stdout_contains("plain=woolink-is-not-a-reference\n")
        // The usual set is the account --account chose.
        .assert_stdout_contains(&format!("usual={}\n", staging.url()))
        .assert_stdout_contains("account=staging\n")
        .assert_stdout_contains("secret=match\n")
        .assert_stdout_contains("staging_secret=match\n")
        .assert_stdout_contains("command_line=wins\n")
        .assert_no_secret(&key.secret)
        .assert_no_secret(&staging_key.secret);
    home.first.assert_secret_not_on_disk(&key.secret);
    home.first.assert_secret_not_on_disk(&staging_key.secret);
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn a_bad_reference_is_named_by_its_line_and_cmd_does_not_start() {
    let home = Home::new();
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_knowing(&[&key]);
    home.link_with_ca(&store, &key, "shop");
    let marker = home.first.config_dir().join("child-ran");
    let file = home.first.config_dir().join("tool.env");
    for (line3, named) in [
        ("WC_SECRET=woolink://client-b/secret", "line 3 of"),
        (
            "WC_SECRET=woolink://shop/password",
            "\"password\" is not a field",
        ),
        ("WC_SECRET=woolink://shop", "woolink://ACCOUNT/FIELD"),
        (
            "WC_SECRET=woolink:///secret",
            "the account's name is missing",
        ),
    ] {
        std::fs::write(
            &file,
            format!("# refs\nWC_KEY=woolink://shop/key\n{line3}\nLATER=woolink://nobody/key\n"),
        )
        .unwrap();
        let mut args = vec!["--env-file", file.to_str().unwrap(), "--"];
        let cmd = marker_cmd(&marker);
        args.extend(cmd.iter().map(String::as_str));
        let outcome = home.run(&args, |_| {});
        outcome
            .assert_code(2)
            .assert_stderr_contains(&format!("line 3 of {} (WC_SECRET)", file.display()))
            .assert_stderr_contains(named)
            .assert_stderr_contains("was not started")
            .assert_no_secret(&key.secret);
        assert!(outcome.stdout.is_empty(), "{}", outcome.stdout);
        assert!(!marker.exists(), "CMD ran with {line3}");
    }
    // An account that is not linked is named, with those that are.
    std::fs::write(&file, "A=1\nWC_KEY=woolink://client-b/key\n").unwrap();
    home.run(
        &["--env-file", file.to_str().unwrap(), "--", "true"],
        |_| {},
    )
    .assert_code(2)
    .assert_stderr_contains("line 2 of")
    .assert_stderr_contains("no account named \"client-b\"; linked accounts: shop");
    // A file that cannot be read is a usage error too.
    home.run(
        &["--env-file", "/nonexistent/woolink.env", "--", "true"],
        |_| {},
    )
    .assert_code(2)
    .assert_stderr_contains("/nonexistent/woolink.env");
    home.first.assert_secret_not_on_disk(&key.secret);
}

/// What MCP clients give the servers they start, and nothing else.
const MINIMAL_ENV: [&str; 6] = ["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"];

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn from_an_mcp_clients_minimal_environment_the_bus_is_found_and_the_child_gets_working_credentials()
{
    let keychain = PrivateKeychain::start();
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_knowing(&[&key]);
    // The user's home: the config folder where woolink looks by default.
    let user_home = keychain.path("user-home");
    let config = user_home.join(".config").join("woolink");
    std::fs::create_dir_all(&user_home).unwrap();
    let mut linking = Woolink::new();
    linking
        .env("DBUS_SESSION_BUS_ADDRESS", keychain.bus_address())
        .env("WOOLINK_CONFIG_DIR", config.to_string_lossy())
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--name", "shop", "--ca-cert"])
        .args([store.ca_cert_path().to_string_lossy().into_owned()]);
    linking.run().assert_code(0).assert_no_secret(&key.secret);
    // The private bus listens at <dir>/bus, as a desktop's does at $XDG_RUNTIME_DIR/bus.
    let runtime_dir = keychain.path("");
    assert!(runtime_dir.join("bus").exists());

    // The child proves the credentials work: it asks the store with them, through woolink's
    // environment credentials, and prints a digest of the secret, never the secret.
    let woolink = env!("CARGO_BIN_EXE_woolink");
    let script = format!(
        r#"
        printf 'url=%s\nkey=%s\nbus=%s\n' "$STORE_URL" "$WOOCOMMERCE_KEY" "$DBUS_SESSION_BUS_ADDRESS"
        printf %s "$WOOCOMMERCE_SECRET" | sha256sum | cut -c1-64 | sed 's/^/digest=/'
        WOOLINK_STORE_URL="$STORE_URL" WOOLINK_CONSUMER_KEY="$WOOCOMMERCE_KEY" \
            WOOLINK_CONSUMER_SECRET="$WOOCOMMERCE_SECRET" WOOLINK_CA_CERT="$WOOCOMMERCE_CA_CERT" \
            '{woolink}' api products >/dev/null && echo store=accepted
        "#
    );
    let mut command = std::process::Command::new(woolink);
    command.env_clear();
    for name in MINIMAL_ENV {
        let value = match name {
            "HOME" => user_home.to_string_lossy().into_owned(),
            "PATH" => std::env::var("PATH").unwrap_or_default(),
            "SHELL" => "/bin/sh".to_owned(),
            "TERM" => "dumb".to_owned(),
            _ => "woolink-test".to_owned(),
        };
        command.env(name, value);
    }
    // Where the desktop put the bus; DBUS_SESSION_BUS_ADDRESS is not set.
    command.env("XDG_RUNTIME_DIR", &runtime_dir);
    command.args([
        "run",
        "--env",
        "STORE_URL=url",
        "--env",
        "WOOCOMMERCE_KEY=key",
        "--env",
        "WOOCOMMERCE_SECRET=secret",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    command.stdin(std::process::Stdio::null());
    let output = command.output().unwrap();
    let outcome = Outcome {
        code: output.status.code().unwrap_or(-1),
        signal: None,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let digest = {
        use sha2::Digest;
        let bytes = sha2::Sha256::digest(key.secret.as_bytes());
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let bus = format!("unix:path={}", runtime_dir.join("bus").display());
    // Standard output is the child's alone: exactly what it printed.
    let expected = format!(
        "url={}\nkey={}\nbus={bus}\ndigest={digest}\nstore=accepted\n",
        store.url(),
        key.key
    );
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(outcome.stdout, expected, "stderr: {}", outcome.stderr);
    for (path, content) in walk(&user_home) {
        assert!(
            !String::from_utf8_lossy(&content).contains(&key.secret),
            "the secret was written to {}",
            path.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(content) = std::fs::read(&path) {
                files.push((path, content));
            }
        }
    }
    files
}
