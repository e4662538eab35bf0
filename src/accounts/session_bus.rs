//! Finding the D-Bus session bus when `DBUS_SESSION_BUS_ADDRESS` is unset, as it is for
//! programs started with a minimal environment (MCP clients start servers with HOME, LOGNAME,
//! PATH, SHELL, TERM and USER only). Desktops put the bus at `$XDG_RUNTIME_DIR/bus`, which is
//! `/run/user/<uid>/bus` under systemd: the first of these that is a socket belonging to this
//! user is used, as `unix:path=…`.
//!
//! libdbus reads the address from the environment only, and woolink changes its own
//! environment nowhere (no unsafe code): so woolink starts itself again, once, with the
//! address set, before doing anything else. `woolink run` hands the address on to CMD.

// Only Linux has a Secret Service to find; elsewhere this is compiled for its tests alone.
#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub const ADDRESS_VAR: &str = "DBUS_SESSION_BUS_ADDRESS";

/// Where the session bus of user `uid` is, when the environment (`var`) does not say: the
/// socket at `$XDG_RUNTIME_DIR/bus`, else at `run_user/<uid>/bus` (`run_user` is `/run/user`),
/// if it is a socket owned by `uid`. `None` when the address is set, or no such socket is found.
pub fn find(var: impl Fn(&str) -> Option<OsString>, uid: u32, run_user: &Path) -> Option<PathBuf> {
    if var(ADDRESS_VAR).is_some_and(|address| !address.is_empty()) {
        return None;
    }
    let runtime_dir = var("XDG_RUNTIME_DIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from);
    runtime_dir
        .into_iter()
        .chain([run_user.join(uid.to_string())])
        .map(|dir| dir.join("bus"))
        .find(|socket| is_users_socket(socket, uid))
}

#[cfg(unix)]
fn is_users_socket(path: &Path, uid: u32) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    // Not followed: a link to someone else's socket is not this user's bus.
    std::fs::symlink_metadata(path)
        .is_ok_and(|meta| meta.file_type().is_socket() && meta.uid() == uid)
}

#[cfg(not(unix))]
fn is_users_socket(_path: &Path, _uid: u32) -> bool {
    false
}

/// The D-Bus address of the socket at `path`: `unix:path=` and the path, escaped as D-Bus
/// addresses are (bytes other than `[-0-9A-Za-z_/.\*]` as `%XX`).
pub fn address(path: &Path) -> String {
    let mut address = String::from("unix:path=");
    for byte in path.as_os_str().as_encoded_bytes() {
        match byte {
            b'-' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' | b'_' | b'/' | b'.' | b'\\' | b'*' => {
                address.push(char::from(*byte));
            }
            _ => address.push_str(&format!("%{byte:02x}")),
        }
    }
    address
}

/// On Linux, with no session bus address in the environment but the user's bus found where
/// desktops put it: starts this same program again with the address set, and does not return
/// unless that fails (then woolink goes on without it, as before).
pub fn restart_with_found_bus() {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let uid = rustix::process::getuid().as_raw();
        let Some(socket) = find(|name| std::env::var_os(name), uid, Path::new("/run/user")) else {
            return;
        };
        let Ok(program) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let mut command = std::process::Command::new(program);
        if let Some(arg0) = args.next() {
            command.arg0(arg0);
        }
        command.args(args).env(ADDRESS_VAR, address(&socket));
        // Only returns when the program could not be started again.
        let _ = command.exec();
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;

    fn uid() -> u32 {
        rustix::process::getuid().as_raw()
    }

    #[test]
    fn a_set_address_is_used_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let _listener = std::os::unix::net::UnixListener::bind(dir.path().join("bus")).unwrap();
        let var = |name: &str| match name {
            ADDRESS_VAR => Some(OsString::from("unix:path=/elsewhere")),
            "XDG_RUNTIME_DIR" => Some(dir.path().as_os_str().to_owned()),
            _ => None,
        };
        assert_eq!(find(var, uid(), Path::new("/nonexistent")), None);
    }

    #[test]
    fn the_runtime_dir_then_run_user_uid_and_only_a_socket() {
        let runtime = tempfile::tempdir().unwrap();
        let run_user = tempfile::tempdir().unwrap();
        let users = run_user.path().join(uid().to_string());
        std::fs::create_dir(&users).unwrap();
        let var_with = |dir: Option<PathBuf>| {
            move |name: &str| match name {
                "XDG_RUNTIME_DIR" => dir.clone().map(PathBuf::into_os_string),
                _ => None,
            }
        };
        // Nothing anywhere; a plain file is not a bus.
        std::fs::write(runtime.path().join("bus"), "").unwrap();
        assert_eq!(
            find(
                var_with(Some(runtime.path().into())),
                uid(),
                run_user.path()
            ),
            None
        );
        let _at_run_user = std::os::unix::net::UnixListener::bind(users.join("bus")).unwrap();
        assert_eq!(
            find(
                var_with(Some(runtime.path().into())),
                uid(),
                run_user.path()
            ),
            Some(users.join("bus"))
        );
        assert_eq!(
            find(var_with(None), uid(), run_user.path()),
            Some(users.join("bus"))
        );
        std::fs::remove_file(runtime.path().join("bus")).unwrap();
        let _in_runtime =
            std::os::unix::net::UnixListener::bind(runtime.path().join("bus")).unwrap();
        assert_eq!(
            find(
                var_with(Some(runtime.path().into())),
                uid(),
                run_user.path()
            ),
            Some(runtime.path().join("bus"))
        );
        // Another user's folder is not looked in.
        assert_eq!(find(var_with(None), uid() + 1, run_user.path()), None);
    }

    #[test]
    fn addresses_are_escaped() {
        assert_eq!(
            address(Path::new("/run/user/1000/bus")),
            "unix:path=/run/user/1000/bus"
        );
        assert_eq!(
            address(Path::new("/tmp/a b;c=d")),
            "unix:path=/tmp/a%20b%3bc%3dd"
        );
    }
}
