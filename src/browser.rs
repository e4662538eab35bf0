//! Opening a page in the person's web browser, for `connect --open`. `$BROWSER` wins when
//! set; otherwise the platform's opener. Failing to open is never an error of the command.

use std::process::{Command, Stdio};

/// Starts the browser on `url` without waiting for it. Returns what was run, or why it could
/// not be started.
pub fn open(url: &str) -> Result<String, String> {
    let (program, args) = opener(url);
    Command::new(&program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_child| program.clone())
        .map_err(|err| format!("could not run {program}: {err}"))
}

fn opener(url: &str) -> (String, Vec<String>) {
    if let Some(browser) = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty())
    {
        return (browser, vec![url.to_owned()]);
    }
    if cfg!(target_os = "macos") {
        ("open".to_owned(), vec![url.to_owned()])
    } else if cfg!(windows) {
        // Not `cmd /c start`: cmd would treat the `&` in the URL as a command separator.
        (
            "rundll32".to_owned(),
            vec!["url.dll,FileProtocolHandler".to_owned(), url.to_owned()],
        )
    } else {
        ("xdg-open".to_owned(), vec![url.to_owned()])
    }
}
