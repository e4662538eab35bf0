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
    if let Some(command) = std::env::var("BROWSER")
        .ok()
        .and_then(|browser| from_browser_var(&browser, url))
    {
        return command;
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

/// `$BROWSER` as a command line: a program and its arguments separated by whitespace (e.g.
/// `firefox --new-window`), the URL appended, or put where `%s` stands when an argument has
/// one (`%%` is a literal `%`). `None` when it names no program.
fn from_browser_var(browser: &str, url: &str) -> Option<(String, Vec<String>)> {
    let mut words = browser.split_whitespace();
    let program = words.next()?.to_owned();
    let mut placed = false;
    let mut args: Vec<String> = words
        .map(|word| {
            placed |= word.replace("%%", "").contains("%s");
            fill(word, url)
        })
        .collect();
    if !placed {
        args.push(url.to_owned());
    }
    Some((program, args))
}

/// `word` with `%s` replaced by `url` and `%%` by `%`, in one pass (a `%s` inside the URL
/// stays as it is).
fn fill(word: &str, url: &str) -> String {
    let mut filled = String::new();
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            filled.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => filled.push_str(url),
            Some('%') => filled.push('%'),
            Some(other) => {
                filled.push('%');
                filled.push(other);
            }
            None => filled.push('%'),
        }
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `$BROWSER`, and the program and arguments it should run (`None`: it names none).
    type Case<'a> = (&'a str, Option<(&'a str, &'a [&'a str])>);

    #[test]
    fn browser_var_with_arguments_is_split_and_takes_the_url() {
        let url = "https://s.example/wp-admin/?a=1&b=%41";
        let cases: &[Case] = &[
            ("firefox", Some(("firefox", &[url]))),
            ("  firefox  ", Some(("firefox", &[url]))),
            (
                "firefox --new-window",
                Some(("firefox", &["--new-window", url])),
            ),
            (
                "chromium --app=%s",
                Some(("chromium", &["--app=https://s.example/wp-admin/?a=1&b=%41"])),
            ),
            ("w3m %s -dump", Some(("w3m", &[url, "-dump"]))),
            ("echo 100%%", Some(("echo", &["100%", url]))),
            ("echo %%s", Some(("echo", &["%s", url]))),
            ("", None),
            ("   ", None),
        ];
        for (browser, expected) in cases {
            let expected = expected.map(|(program, args)| {
                (
                    program.to_owned(),
                    args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>(),
                )
            });
            assert_eq!(from_browser_var(browser, url), expected, "{browser:?}");
        }
    }
}
