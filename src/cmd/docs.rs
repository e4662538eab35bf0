//! `woolink completions SHELL` and `woolink man`: documents generated from the clap
//! definitions, printed on stdout so that they can be piped or redirected anywhere.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Error, Outcome};
use crate::output;

pub fn completions(shell: clap_complete::Shell) -> Result<Outcome, Error> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "woolink", &mut script);
    output::document(&String::from_utf8_lossy(&script)).map(Outcome::from)
}

/// One manual page: the top-level command, then a section per subcommand with its synopsis,
/// description and options, so `man woolink` documents everything in one place.
pub fn man() -> Result<Outcome, Error> {
    let mut command = Cli::command();
    command.build();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
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
    output::document(&String::from_utf8_lossy(&page)).map(Outcome::from)
}

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
