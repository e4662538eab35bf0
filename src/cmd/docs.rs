//! `woolink completions SHELL` and `woolink man`: documents generated from the clap
//! definitions, printed on stdout so that they can be piped or redirected anywhere.

use clap::CommandFactory;
use roff::{Roff, bold, roman};

use crate::cmd::error::{Error, Outcome};
use crate::face::cli::Cli;
use crate::face::output;

pub fn completions(shell: clap_complete::Shell) -> Result<Outcome, Error> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "woolink", &mut script);
    Ok(output::document(&String::from_utf8_lossy(&script)).map(Outcome::from)?)
}

/// One manual page: the top-level command, then a section per subcommand with its synopsis,
/// description and options, so `man woolink` documents everything in one place (there are no
/// `woolink-connect(1)` pages to point at), then the environment, files and exit status.
pub fn man() -> Result<Outcome, Error> {
    let mut command = Cli::command();
    command.build();
    let top = clap_mangen::Man::new(command.clone());
    let mut page = Vec::new();
    top.render_title(&mut page)
        .and_then(|()| top.render_name_section(&mut page))
        .and_then(|()| top.render_synopsis_section(&mut page))
        .and_then(|()| top.render_description_section(&mut page))
        .and_then(|()| top.render_options_section(&mut page))
        .expect("rendering into memory cannot fail");
    for (path, sub) in leaf_commands(&command, "woolink") {
        page.extend_from_slice(format!(".SH \"{}\"\n", path.to_uppercase()).as_bytes());
        let man = clap_mangen::Man::new(sub.bin_name(path));
        let mut section = Vec::new();
        man.render_synopsis_section(&mut section)
            .and_then(|()| man.render_description_section(&mut section))
            .and_then(|()| man.render_options_section(&mut section))
            .and_then(|()| man.render_extra_section(&mut section))
            .expect("rendering into memory cannot fail");
        // Inside the subcommand's section, its own headings become subheadings.
        let section =
            format!("\n{}", String::from_utf8_lossy(&section)).replace("\n.SH ", "\n.SS ");
        page.extend_from_slice(&section.as_bytes()[1..]);
    }
    let mut closing = Roff::new();
    section(&mut closing, "ENVIRONMENT", ENVIRONMENT.iter().copied());
    section(&mut closing, "FILES", FILES.iter().copied());
    let exit_status = crate::domain::exit::man();
    let exit_status = exit_status
        .iter()
        .map(|(code, text)| (*code, text.as_str()));
    section(&mut closing, "EXIT STATUS", exit_status);
    page.extend_from_slice(closing.to_roff().as_bytes());
    Ok(output::document(&String::from_utf8_lossy(&page)).map(Outcome::from)?)
}

/// A section of terms, each with its paragraph.
fn section<'a>(roff: &mut Roff, heading: &str, items: impl Iterator<Item = (&'a str, &'a str)>) {
    roff.control("SH", [heading]);
    for (term, text) in items {
        roff.control("TP", [])
            .text([bold(term)])
            .text([roman(text)]);
    }
}

/// The variables woolink reads, and those `woolink run` gives its command.
pub(crate) const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "WOOLINK_CONFIG_DIR",
        "The folder of the account index, the kept CA certificates and, with --store file, the plaintext credentials file. Default: the platform's config folder, e.g. ~/.config/woolink.",
    ),
    (
        "WOOLINK_ACCOUNT",
        "The account api and run use when no --account is given (before environment credentials and the default account).",
    ),
    (
        "WOOLINK_STORE_URL, WOOLINK_CONSUMER_KEY, WOOLINK_CONSUMER_SECRET",
        "For connect: the store and key, as --url, --consumer-key and the secret. For api and run, all three together: use these credentials without any index or keychain.",
    ),
    (
        "WOOLINK_API_ROOT",
        "With environment credentials: the store's API root, so api and run need not look it up.",
    ),
    (
        "WOOLINK_SITE_USER, WOOLINK_SITE_PASSWORD",
        "The web server's own login, for a site behind HTTP authentication (a staging site).",
    ),
    (
        "WOOLINK_CA_CERT",
        "A PEM file of the certificate authority (or self-signed certificate) to trust for the store, as --ca-cert.",
    ),
    (
        "WOOLINK_STORE",
        "Where connect keeps the secret, as --store (keychain or file).",
    ),
    (
        "WOOLINK_TIMEOUT",
        "Seconds a command waits for the store, as --timeout.",
    ),
    (
        "HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY",
        "Proxies, as curl reads them (the lowercase forms too).",
    ),
    (
        "NO_COLOR, CLICOLOR, CLICOLOR_FORCE, TERM",
        "Colour: never with NO_COLOR, CLICOLOR=0 or TERM=dumb; forced with CLICOLOR_FORCE.",
    ),
    (
        "BROWSER",
        "The browser connect --open starts (%s stands for the address).",
    ),
    (
        "DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR",
        "Linux: the D-Bus session bus of the Secret Service keychain. When DBUS_SESSION_BUS_ADDRESS is unset (as for servers an MCP client starts), woolink uses the socket at $XDG_RUNTIME_DIR/bus, else /run/user/UID/bus, if it is a socket of the user's; run hands that address on to its command.",
    ),
    (
        "WOOCOMMERCE_URL, WOOCOMMERCE_API_ROOT, WOOCOMMERCE_API_URL, WOOCOMMERCE_CONSUMER_KEY, WOOCOMMERCE_CONSUMER_SECRET, WOOCOMMERCE_AUTH_METHOD, WOOLINK_ACCOUNT, WOOCOMMERCE_CA_CERT, WOOCOMMERCE_SITE_USER, WOOCOMMERCE_SITE_PASSWORD",
        "Set by woolink run for its command only: the account's store, API root, wc/v3 API, key and secret, how to send them, the account's name, the CA certificate to trust for the store if it has one, and the site login if any (the fields url, api_root, api_url, key, secret, auth_method, account, ca_cert, site_user and site_password of --env NAME=FIELD and woolink://ACCOUNT/FIELD). The command inherits the rest of woolink's environment, WOOLINK_CONFIG_DIR, WOOLINK_CA_CERT, WOOLINK_STORE, WOOLINK_TIMEOUT and WOOLINK_DEBUG included, but never WOOLINK_STORE_URL, WOOLINK_CONSUMER_KEY, WOOLINK_CONSUMER_SECRET, WOOLINK_API_ROOT, WOOLINK_SITE_USER or WOOLINK_SITE_PASSWORD.",
    ),
];

const FILES: &[(&str, &str)] = &[
    (
        "accounts.json",
        "The account index in the config folder: names, stores, key suffixes, access, times. Never a secret.",
    ),
    ("accounts.lock", "Held while the index is rewritten."),
    (
        "ca/<sha256>.pem",
        "Copies of the CA certificates given to connect --ca-cert, named by their content; each is trusted only for the accounts that name it.",
    ),
    (
        "credentials.json",
        "Only with --store file: the secrets in plain text (mode 0600). Otherwise secrets live in the OS keychain, one entry per account with service woolink and the account id (kept in accounts.json) as user.",
    ),
];

/// Every command without subcommands, with its full name ("woolink accounts list").
fn leaf_commands(command: &clap::Command, path: &str) -> Vec<(String, clap::Command)> {
    let mut leaves = Vec::new();
    for sub in command
        .get_subcommands()
        .filter(|sub| sub.get_name() != "help")
    {
        let sub_path = format!("{path} {}", sub.get_name());
        if sub.has_subcommands() {
            leaves.extend(leaf_commands(sub, &sub_path));
        } else {
            leaves.push((sub_path, sub.clone()));
        }
    }
    leaves
}
