//! woolink: link WooCommerce stores. The binary is a thin shell around [`run`].

pub mod account;
pub mod api;
mod bom;
mod browser;
pub mod ca_copy;
pub mod cli;
mod cmd;
pub mod config;
pub mod credstore;
mod env_creds;
pub mod env_file;
pub mod error;
pub mod http;
pub mod index;
pub mod input;
mod interrupt;
pub mod keys;
pub mod linked;
pub mod oauth;
pub mod output;
mod private_file;
pub mod probe;
pub mod safe_url;
pub mod store_json;
pub mod store_url;
pub mod term;
pub mod vault;

use std::ffi::OsString;

use clap::{CommandFactory, Parser};

use cli::{AccountsCommand, Cli, Command};
pub use error::{Error, Outcome};

/// Runs one woolink command line and returns the process exit code. Errors are printed here
/// and nowhere else: the human message on stderr and, with `--json`, a JSON document on stdout.
pub async fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let args: Vec<OsString> = args.into_iter().collect();
    // A shell asking for completions (COMPLETE=SHELL, README on `woolink completions`) gets
    // them, and nothing else happens.
    let completing = clap_complete::CompleteEnv::with_factory(Cli::command)
        .try_complete(&args, std::env::current_dir().ok().as_deref());
    match completing {
        Ok(false) => {}
        Ok(true) => return 0,
        Err(err) => {
            let _ = err.print();
            return u8::try_from(err.exit_code()).unwrap_or(2);
        }
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help and version on stdout and exits 0, usage errors on stderr with 2.
            let _ = err.print();
            let code = u8::try_from(err.exit_code()).unwrap_or(2);
            // A script that asked for JSON gets its one document even when the command line
            // itself is wrong.
            if code == 2 && args.iter().any(|arg| arg == "--json") {
                let message = usage_message(&err);
                let _ =
                    output::json_error(&Error::Usage(format!("{message}; see `woolink --help`")));
            }
            return code;
        }
    };
    let json = match &cli.command {
        Command::Connect(args) => args.output.json,
        Command::Accounts(
            AccountsCommand::List { output, .. }
            | AccountsCommand::Show { output, .. }
            | AccountsCommand::Remove { output, .. }
            | AccountsCommand::Rename { output, .. }
            | AccountsCommand::Default { output, .. }
            | AccountsCommand::Verify(cli::VerifyArgs { output, .. }),
        ) => output.json,
        Command::Completions { .. } | Command::Man => false,
        Command::Api(_) | Command::Run(_) => false,
    };
    output::set_quiet(cli.quiet);
    http::set_verbose(cli.verbose);
    let result: Result<Outcome, Error> = match cli.command {
        Command::Connect(args) => cmd::connect::run(args).await.map(Outcome::from),
        Command::Accounts(command) => cmd::accounts::run(command).await,
        Command::Completions { shell } => cmd::docs::completions(shell),
        Command::Man => cmd::docs::man(),
        Command::Api(args) => cmd::api::run(args).await.map(Outcome::from),
        Command::Run(args) => cmd::run::run(args).await,
    };
    match result {
        Ok(outcome) => {
            if let Some(message) = outcome.failure() {
                print_error(&message);
            }
            outcome.exit_code()
        }
        Err(err) => {
            // Errors may quote what a store or the index said: shown, never obeyed.
            print_error(&err.to_string());
            if json {
                let _ = output::json_error(&err);
            }
            err.exit_code()
        }
    }
}

/// What clap says of a wrong command line, as one line for JSON: its rendered message without
/// the `error:` prefix, the "For more information" tail or styling (its possible values kept).
fn usage_message(err: &clap::Error) -> String {
    // `StyledStr`'s `Display` is the plain text.
    let rendered = err.render().to_string();
    let message = rendered.split("\n\n").next().unwrap_or_default();
    let message = message.trim().trim_start_matches("error:");
    let words: Vec<&str> = message.split_whitespace().collect();
    if words.is_empty() {
        "invalid command line".to_owned()
    } else {
        words.join(" ")
    }
}

/// The one `error:` line of a failed command, on stderr.
fn print_error(message: &str) {
    let paint = term::Paint::stderr();
    output::stderr_line(&format!(
        "{} {}",
        paint.red(&paint.bold("error:")),
        output::visible(message)
    ));
}
