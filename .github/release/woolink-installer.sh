#!/bin/sh
# Installs woolink from its GitHub release: picks the archive for this system, checks it against
# the release's SHA-256 before unpacking anything, and puts the binary, its man page and shell
# completions in place.
#   curl --proto '=https' --tlsv1.2 -LsSf https://github.com/woolink/woolink/releases/latest/download/woolink-installer.sh | sh
# Settings (environment): WOOLINK_VERSION=v1.2.3 (default: the latest release),
# WOOLINK_INSTALL_DIR (default: ~/.local/bin; the man page goes to ../share/man/man1 beside it).
set -eu

repo_url=https://github.com/woolink/woolink
version=${WOOLINK_VERSION:-latest}
install_dir=${WOOLINK_INSTALL_DIR:-$HOME/.local/bin}

fail() { echo "woolink-installer: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "needs '$1', which is not installed"; }

case "$(uname -s)-$(uname -m)" in
Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-gnu ;;
Darwin-x86_64) target=x86_64-apple-darwin ;;
Darwin-arm64) target=aarch64-apple-darwin ;;
*) fail "no release build for $(uname -s) $(uname -m); build it with: cargo install --locked woolink" ;;
esac

need curl
need tar
if command -v sha256sum >/dev/null 2>&1; then
    sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
    sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
    fail "needs sha256sum or shasum to check the download"
fi

if [ "$version" = latest ]; then
    base=$repo_url/releases/latest/download
else
    base=$repo_url/releases/download/$version
fi
archive=woolink-$target.tar.xz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "Downloading $archive ($version)"
curl --proto '=https' --tlsv1.2 -fsSL "$base/$archive" -o "$tmp/$archive" || fail "could not download $base/$archive"
curl --proto '=https' --tlsv1.2 -fsSL "$base/$archive.sha256" -o "$tmp/$archive.sha256" || fail "could not download $base/$archive.sha256"
expected=$(cut -d' ' -f1 <"$tmp/$archive.sha256")
actual=$(sha256 "$tmp/$archive")
[ -n "$expected" ] && [ "$expected" = "$actual" ] || fail "checksum mismatch for $archive (expected $expected, got $actual): nothing was installed"

tar -C "$tmp" -xJf "$tmp/$archive"
unpacked=$tmp/woolink-$target
mkdir -p "$install_dir"
cp "$unpacked/woolink" "$install_dir/woolink.new" && chmod 755 "$install_dir/woolink.new"
mv -f "$install_dir/woolink.new" "$install_dir/woolink"
man_dir=$(dirname "$install_dir")/share/man/man1
mkdir -p "$man_dir" && cp "$unpacked/woolink.1" "$man_dir/"
completions=$(dirname "$install_dir")/share/woolink/completions
mkdir -p "$completions" && cp "$unpacked"/completions/* "$completions/"

echo "Installed woolink to $install_dir/woolink (man page in $man_dir, completions in $completions)"
case ":$PATH:" in
*":$install_dir:"*) ;;
*) echo "Add $install_dir to your PATH to run it as 'woolink'." ;;
esac
