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
}

/// `$WOOLINK_CONFIG_DIR` if set and non-empty (a relative path is taken from the current
/// folder, so that messages name where woolink really looked), else the platform config folder
/// + `woolink` (`~/.config/woolink` on Linux). Creates nothing.
pub fn config_dir() -> Result<PathBuf, ConfigError> {
    let dir = resolve(std::env::var_os(CONFIG_DIR_ENV), dirs::config_dir())?;
    Ok(std::path::absolute(&dir).unwrap_or(dir))
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
