//! Opening a page in the person's web browser, for `connect --open`: `$BROWSER` when set
//! (with `%s` for the address), otherwise the platform's opener (WSL and Flatpak included),
//! never waiting for the browser. Failing to open is never an error of the command.

/// Starts the browser on `url`; why it could not, otherwise.
pub fn open(url: &str) -> Result<(), String> {
    webbrowser::open(url).map_err(|err| err.to_string())
}
