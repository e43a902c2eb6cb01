#!/usr/bin/env bash
# Runs a command inside a private desktop session, as a user's session has one: its own D-Bus
# session bus, an unlocked Secret Service keyring (gnome-keyring) and a virtual X display.
# The keyring's files live in a scratch folder, removed at the end; nothing of the caller's
# session or keyrings is touched.
#
# Usage: scripts/desktop-session.sh COMMAND [ARGS...]
# Needs (Debian): dbus, gnome-keyring, libsecret-tools, xvfb, xdotool, imagemagick.
set -euo pipefail

if [[ -z "${AUDIENCE_DESK_SESSION_BUS:-}" ]]; then
    export AUDIENCE_DESK_SESSION_BUS=1
    # No display yet: keyring prompts must fail at once rather than wait on the screen.
    exec env -u DISPLAY -u WAYLAND_DISPLAY dbus-run-session -- "$0" "$@"
fi

scratch="$(mktemp -d)"
xvfb=""
cleanup() {
    kill "$xvfb" 2>/dev/null || true
    if [[ -n "${GNOME_KEYRING_PID:-}" ]]; then kill "$GNOME_KEYRING_PID" 2>/dev/null || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT

export XDG_DATA_HOME="$scratch/data"
export XDG_RUNTIME_DIR="$scratch/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# A new login keyring, created unlocked with this password.
eval "$(printf 'desktop-tests\n' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL GNOME_KEYRING_PID

# A display no other server holds (a killed one can leave its lock and socket behind), and a
# server that is up and stays up: another number when it is not.
for _ in $(seq 10); do
    number=$((200 + RANDOM % 600))
    [[ -e "/tmp/.X${number}-lock" || -e "/tmp/.X11-unix/X${number}" ]] && continue
    Xvfb ":$number" -screen 0 1280x860x24 -nolisten tcp >"$scratch/xvfb.log" 2>&1 &
    xvfb=$!
    for _ in $(seq 50); do
        [[ -e "/tmp/.X11-unix/X${number}" ]] && break
        kill -0 "$xvfb" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$xvfb" 2>/dev/null && [[ -e "/tmp/.X11-unix/X${number}" ]]; then
        display=":$number"
        break
    fi
    kill "$xvfb" 2>/dev/null || true
    xvfb=""
done
if [[ -z "$xvfb" ]]; then
    echo "error: no virtual display would start:" >&2
    cat "$scratch/xvfb.log" >&2
    exit 1
fi
export DISPLAY="$display"
export AUDIENCE_DESK_DESKTOP=1
"$@"
