//! Where woolink keeps its files: the config folder that holds the account index (and, only when
//! chosen explicitly, the plaintext credentials file). Finding it creates nothing.

use std::ffi::OsString;
use std::path::PathBuf;

/// Overrides the platform config folder (tests, CI, several independent setups).
pub const CONFIG_DIR_ENV: &str = "WOOLINK_CONFIG_DIR";

/// Why woolink cannot tell where its files live.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot find a configuration folder for woolink: this system reports none for the current user (is HOME set?); set {CONFIG_DIR_ENV} to the folder woolink should use"
    )]
    NoConfigDir,
    #[error(
        "woolink will not use the config folder {}: {why}. Anyone who can change it can change the accounts woolink reads and uses. {fix}",
        .path.display()
    )]
    Unsafe {
        path: PathBuf,
        why: String,
        fix: String,
    },
}

/// `$WOOLINK_CONFIG_DIR` if set and non-empty (a relative path is taken from the current
/// folder, so that messages name where woolink really looked), else the platform config folder
/// + `woolink` (`~/.config/woolink` on Linux). Creates nothing.
pub fn config_dir() -> Result<PathBuf, ConfigError> {
    let dir = resolve(std::env::var_os(CONFIG_DIR_ENV), dirs::config_dir())?;
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    check_private(&dir)?;
    Ok(dir)
}

/// As ssh does with its key files: a folder another user owns, or that other users may write
/// to, is refused (a folder not made yet is fine: woolink makes it 0700).
#[cfg(unix)]
fn check_private(dir: &std::path::Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(dir) else {
        return Ok(());
    };
    let me = rustix::process::geteuid().as_raw();
    let unsafe_dir = |why: String, fix: String| {
        Err(ConfigError::Unsafe {
            path: dir.to_owned(),
            why,
            fix,
        })
    };
    if meta.uid() != me && meta.uid() != 0 {
        return unsafe_dir(
            format!("it belongs to another user (uid {})", meta.uid()),
            format!("Use a folder of your own: set {CONFIG_DIR_ENV}, or unset it."),
        );
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o022 != 0 {
        return unsafe_dir(
            format!("other users may write to it (mode {mode:o})"),
            format!("Fix it with: chmod go-w '{}'", dir.display()),
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_dir: &std::path::Path) -> Result<(), ConfigError> {
    Ok(())
}

fn resolve(from_env: Option<OsString>, platform: Option<PathBuf>) -> Result<PathBuf, ConfigError> {
    match from_env {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => platform
            .map(|dir| dir.join("woolink"))
            .ok_or(ConfigError::NoConfigDir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_wins_when_set_and_not_empty() {
        let platform = Some(PathBuf::from("/home/u/.config"));
        assert_eq!(
            resolve(Some("/tmp/w".into()), platform.clone()),
            Ok(PathBuf::from("/tmp/w"))
        );
        assert_eq!(
            resolve(Some("".into()), platform.clone()),
            Ok(PathBuf::from("/home/u/.config/woolink"))
        );
        assert_eq!(
            resolve(None, platform),
            Ok(PathBuf::from("/home/u/.config/woolink"))
        );
        assert_eq!(resolve(None, None), Err(ConfigError::NoConfigDir));
        assert!(
            ConfigError::NoConfigDir
                .to_string()
                .contains(CONFIG_DIR_ENV)
        );
    }
}
