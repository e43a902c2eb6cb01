#!/usr/bin/env bash
# Runs the app in demo mode on a virtual display, brings it to a populated state from the
# keyboard as a user would, and writes screenshots to the folder given (default: screenshots/).
#
# Needs: Xvfb, xdotool, ImageMagick's `import` (Debian: apt-get install -y xvfb xdotool
# imagemagick). Nothing leaves the machine: demo mode talks to the built-in simulator.
set -euo pipefail

out="${1:-screenshots}"
mkdir -p "$out"
cd "$(dirname "$0")/.."
# AUDIENCE_DESK_BIN runs another build (a debug one) instead of building the release binary.
if [[ -n "${AUDIENCE_DESK_BIN:-}" ]]; then
    bin="$(realpath "$AUDIENCE_DESK_BIN")"
else
    cargo build --release --quiet
    bin="$PWD/target/release/audience-desk"
fi

# A display of our own, and a home of our own so the user's settings are not touched.
display=":$((90 + RANDOM % 9))"
scratch="$(mktemp -d)"
Xvfb "$display" -screen 0 1280x860x24 >/dev/null 2>&1 &
xvfb=$!
cleanup() {
    kill "${app:-}" 2>/dev/null || true
    kill "$xvfb" 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT
export DISPLAY="$display"
sleep 1

HOME="$scratch" XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config" \
    AUDIENCE_DESK_HOME="$scratch/audience-desk" "$bin" --demo >"$scratch/app.log" 2>&1 &
app=$!

shot() {
    import -window root -crop 1200x800+0+0 +repage "$out/$1.png"
    echo "wrote $out/$1.png"
}

# Without a window manager nothing gives the window the keyboard: give it by hand, and hold
# the modifier a moment, so the app has seen Ctrl go down before the key comes.
focus() {
    xdotool windowfocus --sync "$(xdotool search --name 'Audience Desk' | head -1)"
    sleep 0.5
}
key() {
    focus
    xdotool keydown ctrl
    sleep 0.2
    xdotool key "$1"
    xdotool keyup ctrl
}

# Demo mode logs in to the simulator and opens a 50,000-row sample on its own.
sleep 8
focus
shot preview
key Return
sleep 4
shot upload-running
sleep 12
shot upload-done
key 3
sleep 3
shot syncs
# Demo audiences stay INITIALIZING for 20 seconds, as Pinterest's take a while.
sleep 15
key 4
sleep 3
shot audiences
kill "$app"
wait "$app" 2>/dev/null || true
