//! The command line as clap sees it. Parsing only: nothing here touches the network, the
//! keychain or the disk.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0    success
  1    unexpected failure (file system, keychain)
  2    usage or invalid input (nothing was sent or written)
  3    store unreachable or not a usable WooCommerce store
  4    credentials rejected or not enough access
  130  cancelled at a prompt"
    };
}

const EXIT_CODES: &str = exit_codes!();

const TOP_HELP: &str = concat!(
    "\
Examples:
  woolink connect                       # link a store; asks for what it needs
  woolink accounts list                 # the linked stores
  woolink accounts list --json | jq -r '.[].name'
  woolink completions bash > ~/.local/share/bash-completion/completions/woolink
  woolink man | man -l -

Every command that prints data takes --json (one JSON document on standard output) and
--quiet (no status lines on standard error; data, warnings and errors still appear).
woolink never prompts when standard input is not a terminal, or with --no-input.

",
    exit_codes!()
);

#[derive(Debug, Parser)]
#[command(
    name = "woolink",
    version,
    about = "Link WooCommerce stores: prove a REST API key against the live store and keep it in the OS keychain",
    after_help = EXIT_CODES,
    after_long_help = TOP_HELP,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// No status lines on standard error (data, warnings and errors still appear)
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Link a store: check a REST API key against the live store, then keep it
    #[command(after_help = CONNECT_EXAMPLES)]
    Connect(ConnectArgs),
    /// List, show and remove linked stores
    #[command(subcommand, after_help = ACCOUNTS_EXAMPLES)]
    Accounts(AccountsCommand),
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
  woolink accounts remove shop.example.com --yes";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  woolink completions bash > ~/.local/share/bash-completion/completions/woolink
  woolink completions zsh > \"${fpath[1]}/_woolink\"
  woolink completions fish > ~/.config/fish/completions/woolink.fish
  woolink completions powershell >> $PROFILE
  woolink completions elvish >> ~/.config/elvish/rc.elv";

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

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The store's address, e.g. https://shop.example.com (a pasted API or admin URL is fine)
    #[arg(long, env = "WOOLINK_STORE_URL", value_name = "URL")]
    pub url: Option<String>,

    /// The consumer key (ck_ and 40 hex digits)
    #[arg(long, env = "WOOLINK_CONSUMER_KEY", value_name = "KEY")]
    pub consumer_key: Option<String>,

    /// Read the consumer secret from standard input
    #[arg(long, conflicts_with = "consumer_secret_file")]
    pub consumer_secret_stdin: bool,

    /// Read the consumer secret from a file
    #[arg(long, value_name = "PATH")]
    pub consumer_secret_file: Option<PathBuf>,

    /// Refused: a secret given as a flag value shows in `ps` and shell history
    #[arg(long, hide = true, value_name = "SECRET")]
    pub consumer_secret: Option<String>,

    /// The account's name (default: derived from the store's host)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Fail unless the key has at least this access
    #[arg(long, value_enum, default_value_t = Require::Read, value_name = "ACCESS")]
    pub require: Require,

    /// Only check the key; keep nothing
    #[arg(long)]
    pub no_save: bool,

    /// Replace an account of the same name without asking
    #[arg(long)]
    pub force: bool,

    /// Where to keep the secret
    #[arg(long, value_enum, env = "WOOLINK_STORE", default_value_t = StoreArg::Keychain, value_name = "STORE")]
    pub store: StoreArg,

    /// Allow plain http to a host that is not this computer (requests are signed with
    /// OAuth 1.0a, so the secret is never sent, but nothing else is encrypted)
    #[arg(long)]
    pub allow_http: bool,

    /// Also trust the CA certificate(s) in this PEM file, for stores with private certificates
    #[arg(long, env = "WOOLINK_CA_CERT", value_name = "PATH")]
    pub ca_cert: Option<PathBuf>,

    /// Open the store's "Add key" page in a web browser once the store's address is known
    #[arg(long)]
    pub open: bool,

    /// Give up on the store after this many seconds
    #[arg(long, env = "WOOLINK_TIMEOUT", default_value_t = 30, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,

    #[command(flatten)]
    pub output: OutputArgs,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Require {
    Read,
    ReadWrite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreArg {
    /// The operating system's keychain
    Keychain,
    /// A plaintext file in woolink's config folder (0600); only when no keychain can be had
    File,
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// List linked stores (reads the index only; never unlocks the keychain)
    #[command(after_help = "Example:\n  woolink accounts list --json")]
    List {
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Show one linked store
    #[command(after_help = "Example:\n  woolink accounts show shop.example.com")]
    Show {
        name: String,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Forget a linked store: its keychain entry and its index entry
    #[command(after_help = "Example:\n  woolink accounts remove shop.example.com --yes")]
    Remove {
        name: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
}
