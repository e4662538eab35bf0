//! The command line as clap sees it. Parsing only: nothing here touches the network, the
//! keychain or the disk.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::domain::account::{Access, SecretStorage};

const EXAMPLES: &str = "\
Examples:
  woolink connect                       # link a store; asks for what it needs
  woolink accounts list                 # the linked stores
  woolink accounts list --json | jq -r '.[].name'
  woolink completions bash > ~/.local/share/bash-completion/completions/woolink
  woolink man | man -l -

Every command that prints data takes --json (one JSON document on standard output) and
--quiet (no status lines on standard error; data, warnings and errors still appear).
woolink never prompts when standard input is not a terminal, or with --no-input.";

#[derive(Debug, Parser)]
#[command(
    name = "woolink",
    version,
    about = "Link WooCommerce stores: prove a REST API key against the live store and keep it in the OS keychain",
    after_help = crate::domain::exit::help(),
    after_long_help = format!("{EXAMPLES}\n\n{}", crate::domain::exit::help()),
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// No status lines on standard error (data, warnings and errors still appear)
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Debug lines on standard error for every request, with credentials redacted (also
    /// WOOLINK_DEBUG=1 or RUST_LOG=woolink=debug)
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Link a store: check a REST API key against the live store, then keep it
    #[command(after_help = CONNECT_EXAMPLES)]
    Connect(ConnectArgs),
    /// List, show, verify, rename and remove linked stores
    #[command(subcommand, after_help = ACCOUNTS_EXAMPLES)]
    Accounts(AccountsCommand),
    /// Send one authenticated request to a linked store's WooCommerce REST API
    #[command(after_help = API_EXAMPLES)]
    Api(ApiArgs),
    /// Run a command with a linked store's URL, key and secret in its environment
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// Print a shell completion script
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on standard output
    #[command(after_help = "Example:\n  woolink man | man -l -")]
    Man,
}

const ACCOUNTS_EXAMPLES: &str = "\
Examples:
  woolink accounts list
  woolink accounts show shop.example.com --json
  woolink accounts rename shop.example.com client-shop
  woolink accounts remove shop.example.com --yes";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  woolink completions bash > ~/.local/share/bash-completion/completions/woolink
  woolink completions zsh > \"${fpath[1]}/_woolink\"
  woolink completions fish > ~/.config/fish/completions/woolink.fish
  woolink completions powershell >> $PROFILE
  woolink completions elvish >> ~/.config/elvish/rc.elv

These complete commands and options. To complete account names too, have the shell ask woolink
as you type instead (see the README on `woolink completions`), e.g. in ~/.bashrc:
  source <(COMPLETE=bash woolink)";

const API_EXAMPLES: &str = "\
Examples:
  woolink api products                              # GET {api root}/wc/v3/products
  woolink api products -F per_page=100 -F status=draft   # still a GET: fields go to the query
  woolink api 'orders?status=processing' --paginate > orders.json
  woolink api --account shop -X PUT products/123 -F regular_price=19.99
  woolink api -X POST products --input product.json
  echo '{\"name\": \"Beanie\"}' | woolink api products --input -
  woolink api /wc/store/v1/products                 # a route from the API root
  woolink api -i /wc-analytics/reports/revenue/stats
  woolink api products --jq '.[] | select(.stock_status == \"outofstock\") | .name'

The store is the account --account names; else, when WOOLINK_STORE_URL, WOOLINK_CONSUMER_KEY and
WOOLINK_CONSUMER_SECRET are all set, those (nothing is read from the index or the keychain, and
nothing is written); else the default account. --verbose says which.

The method is GET unless -X says otherwise, or POST when --input sends a body; fields never
change it. Fields go into the JSON body for POST, PUT and PATCH, and into the query string
otherwise (and always with --input). PATH is a wc/v3 route, or, starting with `/`, a route from
the API root in any WooCommerce namespace (/wc/..., /wc-...); credentials go nowhere else.

An answer may be up to 64 MiB once decompressed (gzip, brotli and zstd are accepted). To a pipe
or file a GET answer is written as it arrives, the key and secret taken out, and checked as it
goes: an answer that is not one whole JSON document (cut short, text after the JSON, not UTF-8)
is not printed past the fault, and the exit is 3. At a terminal it is pretty-printed.
--paginate prints one array as the pages come, each page checked first; a `next` link back to a
page already fetched stops it (exit 3). A failed request prints nothing on standard output: the
store's own error document goes to standard error with the error. --jq EXPR filters the answer
in-process (jq's language, by jaq): each result on a line, a string as its text; with
--paginate, each page in turn. An invalid EXPR is exit 2 before anything is sent.

A store that answers 429, or 503 to a read, with Retry-After of at most 60 s (and no more than
--timeout) is asked again up to 3 times; a 429 without Retry-After after 1 s, then 2 s. A 503 to
a write is never resent, since the store may have carried it out; `_method` (in PATH or a
field), which would make WordPress carry out another method, is refused, as is `rest_route`.

Exit codes:
  0  the store answered 2xx (the JSON answer is on standard output)
  2  invalid input (an invalid --jq EXPR too, or one that fails on the answer), unknown or
     ambiguous account, or the store refused the request (other 4xx)
  3  store unreachable, a redirect, a 5xx or 429, an answer that is not (one whole) JSON
     document, or pages that loop
  4  the store rejected the key, or the key lacks access (401, 403)
  5  the store answered 2xx, so the request was carried out, but its answer could not be read
     whole (larger than 64 MiB, cut off, too slow): check before sending a write again";

pub(crate) const RUN_HELP: &str = "\
CMD runs with these variables added to woolink's own environment (FIELD is the name --env and
woolink:// references use):
  FIELD          VARIABLE                     VALUE
  url            WOOCOMMERCE_URL              the store's address, e.g. https://shop.example.com
  api_root       WOOCOMMERCE_API_ROOT         the REST API root, e.g. https://shop.example.com/wp-json/
  api_url        WOOCOMMERCE_API_URL          the wc/v3 API, e.g. https://shop.example.com/wp-json/wc/v3/
  key            WOOCOMMERCE_CONSUMER_KEY     the consumer key
  secret         WOOCOMMERCE_CONSUMER_SECRET  the consumer secret
  auth_method    WOOCOMMERCE_AUTH_METHOD      basic, query-string or oauth1 (how the store takes the key)
  account        WOOLINK_ACCOUNT              the account's name (unset with credentials from the environment)
  ca_cert        WOOCOMMERCE_CA_CERT          the CA certificate file to trust for the store (only if it has one)
  site_user      WOOCOMMERCE_SITE_USER        the web server's own login in front of the site (only if
  site_password  WOOCOMMERCE_SITE_PASSWORD      it has one)

--env NAME=FIELD exports FIELD under NAME too, e.g. --env STORE_URL=url --env WC_KEY=key. With
--env-file FILE, every variable the dotenv file sets is exported: a value woolink://ACCOUNT/FIELD
is that linked account's FIELD, read from the keychain (each account once); any other value as
written. Such a file holds no secret. The command line wins over the file, and both over the
list above; a FIELD the account does not have leaves NAME unset. An unknown FIELD, an invalid
NAME, or a reference to an account that is not linked exits 2 and CMD is not started.

The store is the account --account names; else, when WOOLINK_STORE_URL, WOOLINK_CONSUMER_KEY and
WOOLINK_CONSUMER_SECRET are all set, those (nothing is read from the index or the keychain, and
nothing is written); else the default account.

CMD inherits the rest of woolink's environment, WOOLINK_CONFIG_DIR, WOOLINK_CA_CERT,
WOOLINK_STORE, WOOLINK_TIMEOUT and WOOLINK_DEBUG included (a woolink inside CMD uses the same
accounts). It never inherits WOOLINK_STORE_URL, WOOLINK_CONSUMER_KEY, WOOLINK_CONSUMER_SECRET,
WOOLINK_API_ROOT, WOOLINK_SITE_USER, WOOLINK_SITE_PASSWORD, or woolink's own WOOCOMMERCE_SITE_*
and WOOCOMMERCE_CA_CERT; WOOLINK_ACCOUNT is the account's name. When DBUS_SESSION_BUS_ADDRESS is
unset (MCP clients start servers with little more than HOME, PATH and USER), woolink looks for
the session bus at $XDG_RUNTIME_DIR/bus, then /run/user/UID/bus, and CMD inherits the address.

Standard input, output and error are CMD's own: woolink writes nothing on standard output, so
stdio protocols (MCP servers) work. On Unix woolink replaces itself with CMD, so its exit status
is CMD's, including death by a signal (shells report 128+N). If CMD cannot be started woolink
exits with 127 (not found) or 126 (not executable); account problems exit 1 or 2.

Examples:
  woolink run -- ./sync-inventory.sh
  woolink run --account staging -- python import.py --dry-run
  woolink run --account shop --env STORE_URL=url --env WOOCOMMERCE_KEY=key \\
      --env WOOCOMMERCE_SECRET=secret -- npx -y woocommerce-mcp-server
  woolink run --env-file .env.woolink -- node sync.js   # .env.woolink: WC_CONSUMER_KEY=woolink://shop/key";

const CONNECT_EXAMPLES: &str = "\
Examples:
  woolink connect                                   # asks for everything
  woolink connect --url shop.example.com --consumer-key ck_... --consumer-secret-file secret.txt
  printf %s \"$SECRET\" | woolink connect --url https://shop.example.com \\
      --consumer-key ck_... --consumer-secret-stdin --json
  WOOLINK_STORE_URL=... WOOLINK_CONSUMER_KEY=... WOOLINK_CONSUMER_SECRET=... woolink connect --no-input

The key is made in WordPress admin: WooCommerce > Settings > Advanced > REST API > Add key.
Run in a terminal, woolink asks for what was not given and prints (with --open, opens) the
store's \"Add key\" page once it knows the store's address.";

/// Where a consumer key and its secret come from, for `connect` and `accounts rotate` alike
/// (besides their variables, an `--env-file` and a prompt).
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The consumer key (ck_ and 40 hex digits)
    #[arg(
        long,
        env = "WOOLINK_CONSUMER_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub consumer_key: Option<String>,

    /// Read the consumer secret from standard input
    #[arg(long, conflicts_with = "consumer_secret_file")]
    pub consumer_secret_stdin: bool,

    /// Read the consumer secret from a file
    #[arg(long, value_name = "PATH")]
    pub consumer_secret_file: Option<PathBuf>,

    /// Refused: a secret given as a flag value shows in `ps` and shell history
    #[arg(long, hide = true, value_name = "SECRET", value_parser = refused)]
    pub consumer_secret: Option<()>,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The store's address, e.g. https://shop.example.com (a pasted API or admin URL is fine)
    #[arg(long, env = "WOOLINK_STORE_URL", value_name = "URL")]
    pub url: Option<String>,

    #[command(flatten)]
    pub key: KeyArgs,

    /// Read the store URL, key and secret from a dotenv file (WOOLINK_*, WOOCOMMERCE_* or WC_*
    /// names); flags and their variables win over it. The file is never changed
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    /// The user name of the web server's own password in front of the site (a staging
    /// site's HTTP Basic login); its password comes from WOOLINK_SITE_PASSWORD or a prompt
    #[arg(long, env = "WOOLINK_SITE_USER", value_name = "NAME")]
    pub site_user: Option<String>,

    /// Refused: a password given as a flag value shows in `ps` and shell history
    #[arg(long, hide = true, value_name = "PASSWORD", value_parser = refused)]
    pub site_password: Option<()>,

    /// The account's name (default: derived from the store's host)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Fail unless the key has at least this access
    #[arg(long, value_enum, default_value_t = Access::Read, value_name = "ACCESS")]
    pub require: Access,

    /// Only check the key; keep nothing
    #[arg(long)]
    pub no_save: bool,

    /// Replace an account of the same name without asking
    #[arg(long)]
    pub force: bool,

    /// Where to keep the secret (default: the keychain; an account linked again stays where its
    /// secret is kept)
    #[arg(long, value_enum, env = "WOOLINK_STORE", value_name = "STORE")]
    pub store: Option<SecretStorage>,

    /// Allow plain http to a host that is not this computer (requests are signed with
    /// OAuth 1.0a, so the secret is never sent, but nothing else is encrypted)
    #[arg(long)]
    pub allow_http: bool,

    /// Open the store's "Add key" page in a web browser once the store's address is known
    #[arg(long)]
    pub open: bool,

    #[command(flatten)]
    pub net: NetArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// The parser of a flag that exists only to be refused (`--consumer-secret`,
/// `--site-password`): a secret typed where it shows in `ps`. Only that it was given is kept,
/// so the command can refuse it by name; the value itself is dropped as it is parsed, and
/// `Debug` (which the parsed command line derives) has nothing to show.
fn refused(_value: &str) -> Result<(), std::convert::Infallible> {
    Ok(())
}

#[derive(Debug, Args, Clone, Copy)]
pub struct OutputArgs {
    /// Print one JSON document on standard output
    #[arg(long)]
    pub json: bool,

    /// Never prompt (implied when standard input is not a terminal)
    #[arg(long)]
    pub no_input: bool,
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// List linked stores (reads the index only; never unlocks the keychain)
    #[command(after_help = LIST_HELP)]
    List {
        /// Every column, each value whole (however wide the terminal)
        #[arg(long)]
        wide: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Show one linked store
    #[command(after_help = "Example:\n  woolink accounts show shop.example.com")]
    Show {
        #[arg(add = crate::accounts::linked::complete_account_names())]
        name: String,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Check linked stores again: each key is proven against its store, all at once
    #[command(after_help = VERIFY_HELP)]
    Verify(VerifyArgs),
    /// Show or set the account used when a command is given no --account
    #[command(
        after_help = "Examples:\n  woolink accounts default shop.example.com\n  woolink accounts default          # shows it\n  woolink accounts default --clear"
    )]
    Default {
        /// The account to make the default (omit to show the current default)
        #[arg(conflicts_with = "clear", add = crate::accounts::linked::complete_account_names())]
        name: Option<String>,
        /// Forget the default
        #[arg(long)]
        clear: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Rename a linked store's account: its keychain entry and its index entry
    #[command(after_help = RENAME_HELP)]
    Rename {
        /// The account's name now
        #[arg(add = crate::accounts::linked::complete_account_names())]
        old: String,
        /// Its new name: 1 to 64 letters, digits, dots, dashes or underscores
        new: String,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Replace a linked store's key with a new one, proven first, and have the old one revoked
    #[command(after_help = ROTATE_HELP)]
    Rotate(RotateArgs),
    /// Forget a linked store: its keychain entry and its index entry
    #[command(after_help = "Example:\n  woolink accounts remove shop.example.com --yes")]
    Remove {
        #[arg(add = crate::accounts::linked::complete_account_names())]
        name: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
        /// Remove only the account's entry from the index, and leave its secret where it is
        /// kept (for a keychain that cannot be reached; delete the secret there yourself)
        #[arg(long)]
        index_only: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
}

const ROTATE_HELP: &str = "\
Make the new key on the store's keys page (woolink names it; --open opens it), then give it as
connect takes one: typed at a terminal, or --consumer-key (WOOLINK_CONSUMER_KEY) with
--consumer-secret-stdin, --consumer-secret-file or WOOLINK_CONSUMER_SECRET. The new key is
proven against the account's own store before anything changes; a key of another store is
refused. The account then holds the new key in one step: if anything fails, it keeps the old
one. A change of access (read -> read-write is a widening) is said plainly.

Last, woolink names the old key (ck_… and its last 7 characters, as WooCommerce's key list shows
it) and where to revoke it. At a terminal it offers to wait while you do, then checks that the
store refuses the old key; --json says old_key_revoked: true, false, or null (not checked).

Exit codes:
  0  the account uses the new key
  2  usage: unknown account, the same key again, or missing input
  3  the store could not be reached or used; nothing was changed
  4  the store refused the new key, or it is not a key of this store; nothing was changed

Examples:
  woolink accounts rotate shop --open
  printf %s \"$NEW_SECRET\" | woolink accounts rotate shop --consumer-key ck_... \\
      --consumer-secret-stdin --json";

const RENAME_HELP: &str = "\
Only the account index changes: the secret is kept under the account's id, not its name (an
account linked before account ids first has its secret moved to an entry of its own). The
default account stays the default under its new name. Nothing is sent to the store.

Example:
  woolink accounts rename shop.example.com client-shop";

const LIST_HELP: &str = "\
STORE is the store's title (its address until woolink has seen a title), URL its address. The
default account is marked (default). At a terminal the table fits its width: the least needed
columns are left out, then STORE is shortened; to a pipe or file nothing is left out or cut
(COLUMNS, when set, is the width either way). Times are relative (\"3 days ago\"); --wide shows
every column and exact times, --json everything.

Examples:
  woolink accounts list --wide
  woolink accounts list --json";

const VERIFY_HELP: &str = "\
With no NAME, every linked account is checked. Each account is probed again with its stored key and way of authenticating, up to 32 stores at a
time. A key that works updates the account's verified time, and its recorded access or
authentication method when the store's answer changed them.

Exit codes (the most severe problem wins, in this order):
  0  every account checked is healthy (an access upgrade or a new auth method is only noted)
  1  an account could not be checked: its secret is missing from the keychain, or the keychain
     or the account index could not be used
  4  a key was rejected (revoked, wrong secret) or lost access (read-write -> read, write-only)
  3  a store is unreachable, moved to another address, or no longer a usable WooCommerce store
  2  usage: an unknown account name, or an account that needs --allow-http

Examples:
  woolink accounts verify                       # every linked account
  woolink accounts verify shop staging --json";

/// Options for reaching stores, shared by the commands that talk to linked ones.
#[derive(Debug, Args, Clone)]
pub struct NetArgs {
    /// Also trust the certificate(s) in this PEM file: a private CA, or the store's own
    /// self-signed certificate. `connect` keeps a copy with the account, which later commands
    /// trust without this flag (given, it wins)
    // Not PATH: `api` takes a PATH too, and a usage line shows both when the variable is set.
    #[arg(long, env = "WOOLINK_CA_CERT", value_name = "PEM_FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Give up on a store after this many seconds
    #[arg(long, env = "WOOLINK_TIMEOUT", default_value_t = 30, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The accounts to check (default: every linked account)
    #[arg(value_name = "NAME", add = crate::accounts::linked::complete_account_names())]
    pub names: Vec<String>,

    /// Check every linked account (the same as giving no NAME; kept for scripts)
    #[arg(long, conflicts_with = "names")]
    pub all: bool,

    #[command(flatten)]
    pub net: NetArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The account whose key is replaced
    #[arg(add = crate::accounts::linked::complete_account_names())]
    pub name: String,

    #[command(flatten)]
    pub key: KeyArgs,

    /// Open the store's keys page in a web browser
    #[arg(long)]
    pub open: bool,

    #[command(flatten)]
    pub net: NetArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// A route under wc/v3, e.g. `products`, `orders/123` or `products?status=draft`; or,
    /// starting with `/`, one from the API root in a WooCommerce namespace, e.g.
    /// `/wc/store/v1/cart` or `/wc-analytics/reports`
    #[arg(value_name = "PATH")]
    pub path: String,

    /// The account to use (default: the default account, or the only one)
    #[arg(long, env = "WOOLINK_ACCOUNT", value_name = "NAME",
          add = crate::accounts::linked::complete_account_names())]
    pub account: Option<String>,

    /// The HTTP method (default: GET, or POST with --input; fields never change it)
    #[arg(short = 'X', long, value_name = "METHOD")]
    pub method: Option<String>,

    /// A field, in the query string (GET, DELETE) or the JSON body (POST, PUT, PATCH): numbers,
    /// true, false and null become JSON values, anything else a string
    #[arg(short = 'F', long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,

    /// A field whose value is always a string
    #[arg(short = 'f', long = "raw-field", value_name = "KEY=VALUE")]
    pub raw_fields: Vec<String>,

    /// Send this file as the JSON request body (`-` for standard input); fields then go to the query
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Follow `Link: rel="next"` and print all pages' items as one JSON array (progress on a
    /// terminal)
    #[arg(long)]
    pub paginate: bool,

    /// Print the answer's status line and headers before its body
    #[arg(short = 'i', long)]
    pub include: bool,

    /// Filter the answer with a jq expression, run in-process: each result on a line, as JSON,
    /// a string as its text; with --paginate, on each page in turn
    #[arg(long, value_name = "EXPR")]
    pub jq: Option<String>,

    #[command(flatten)]
    pub net: NetArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The account to use (default: the default account, or the only one)
    #[arg(long, env = "WOOLINK_ACCOUNT", value_name = "NAME",
          add = crate::accounts::linked::complete_account_names())]
    pub account: Option<String>,

    /// Also export the account's FIELD as NAME (repeatable): url, api_root, api_url, key,
    /// secret, auth_method, account, ca_cert, site_user or site_password
    #[arg(long = "env", value_name = "NAME=FIELD",
          value_parser = crate::domain::variables::parse_env_mapping)]
    pub env: Vec<crate::domain::variables::EnvMapping>,

    /// Export the variables of this dotenv file; values `woolink://ACCOUNT/FIELD` are that
    /// linked account's FIELD, read from the keychain; other values are exported as written
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,

    /// The command and its arguments
    #[arg(required = true, last = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,

    // Used only to find the store of credentials from the environment.
    #[command(flatten)]
    pub net: NetArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parsed command line derives `Debug`: a secret given to a flag that refuses it must
    /// not be in what it prints.
    #[test]
    fn debug_never_shows_a_refused_secret() {
        let secret = "cs_89abcdef0123456789abcdef0123456789abcdef";
        let password = "hunter2-site-password";
        let cli = Cli::try_parse_from([
            "woolink",
            "connect",
            "--consumer-secret",
            secret,
            "--site-password",
            password,
        ])
        .expect("the hidden flags parse, to be refused by connect");
        let Command::Connect(args) = &cli.command else {
            panic!("not connect: {cli:?}");
        };
        assert!(args.key.consumer_secret.is_some() && args.site_password.is_some());
        for shown in [format!("{cli:?}"), format!("{args:#?}")] {
            assert!(!shown.contains(secret), "{shown}");
            assert!(!shown.contains(&secret[3..]), "{shown}");
            assert!(!shown.contains(password), "{shown}");
        }
        let cli = Cli::try_parse_from([
            "woolink",
            "accounts",
            "rotate",
            "shop",
            "--consumer-secret",
            secret,
        ])
        .expect("rotate's hidden flag parses");
        let shown = format!("{cli:?}");
        assert!(!shown.contains(&secret[3..]), "{shown}");
    }
}
