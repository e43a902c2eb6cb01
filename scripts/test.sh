#!/usr/bin/env bash
# The whole test suite: `cargo test`, inside a private desktop session (scripts/desktop-session.sh)
# so that the tests of the keyring, the desktop notifications and the window run too.
# Arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in dbus-run-session gnome-keyring-daemon Xvfb xdotool import; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]} == 0)); then
    exec scripts/desktop-session.sh cargo test "$@"
fi
if [[ "${CI:-}" == "true" ]]; then
    echo "error: the desktop tests need ${missing[*]}; .ci/run installs them" >&2
    exit 1
fi
echo "note: the desktop tests (keyring, notifications, window) are skipped: ${missing[*]} not" \
    "found. Install them (Debian: apt-get install dbus gnome-keyring libsecret-tools xvfb" \
    "xdotool imagemagick) to run them." >&2
exec cargo test "$@"
