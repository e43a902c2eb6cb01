#!/usr/bin/env bash
# Builds the installed app and packages it: target/package/audience-desk_VERSION_ARCH.deb, with
# the binary (the `dist` profile: stripped, thin LTO), the desktop entry, the icons, the
# AppStream metainfo, the man pages and the bash, zsh and fish completions (both generated from
# the command-line definition). Installs its tools when missing: cargo-deb (pinned) from
# crates.io, and on Debian dpkg-dev (for the library dependencies cargo-deb reads).
# Arguments go to `cargo build` (e.g. --locked).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DEB_VERSION=3.8.0

if ! command -v dpkg-shlibdeps >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then
        apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null
    else
        echo "error: dpkg-shlibdeps is missing; install dpkg-dev" >&2
        exit 1
    fi
fi
if [[ "$(cargo deb --version 2>/dev/null)" != *"$CARGO_DEB_VERSION"* ]]; then
    cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked
fi

started=$(date +%s)
cargo build --profile dist "$@"
echo "built target/dist/audience-desk in $(($(date +%s) - started)) s," \
    "$(du -h target/dist/audience-desk | cut -f1)"

generated=target/package/generated
rm -rf "$generated"
mkdir -p "$generated/man"
target/dist/audience-desk generate man "$generated/man"
gzip -9n "$generated"/man/*.1
target/dist/audience-desk generate completions bash >"$generated/audience-desk.bash"
target/dist/audience-desk generate completions zsh >"$generated/_audience-desk"
target/dist/audience-desk generate completions fish >"$generated/audience-desk.fish"

cargo deb --no-build --no-strip --output target/package/
deb=$(ls -t target/package/*.deb | head -1)
echo "packaged $deb ($(du -h "$deb" | cut -f1))"
