#!/usr/bin/env bash
# Installs the Debian package as a user would (apt pulls its dependencies), runs what it
# installed (the binary, a command, the window until it shows with its icon), validates the
# desktop entry and the AppStream metainfo, then removes it and checks that nothing is left.
# Needs root, apt, Xvfb, xdotool, xprop (x11-utils), desktop-file-validate (desktop-file-utils)
# and appstreamcli (appstream). Usage: scripts/check-package.sh target/package/audience-desk_*.deb
set -euo pipefail
deb=$(realpath "$1")
app_id=io.github.audiencedesk.AudienceDesk
fail() { echo "check-package: $*" >&2; exit 1; }

apt-get install -y -qq "$deb" >/dev/null
installed=$(dpkg -L audience-desk)
[[ $(command -v audience-desk) == /usr/bin/audience-desk ]] || fail "audience-desk is not /usr/bin/audience-desk"
size=$(stat -c %s /usr/bin/audience-desk)
echo "installed: $(audience-desk --version), /usr/bin/audience-desk $((size / 1048576)) MiB," \
    "package $(dpkg-query -W -f='${Installed-Size}' audience-desk) KiB installed"
# A guard against bloat (debug info left in, a dependency pulled in twice), not a target: the
# stripped binary was 40.4 MiB once it carried the PostgreSQL client (tokio-postgres).
((size <= 46 * 1048576)) || fail "the binary is over 46 MiB"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'Email,Name\nAnn@Example.com,Ann\nnot-an-email,Bob\n' >"$work/customers.csv"
AUDIENCE_DESK_HOME="$work/home" audience-desk inspect "$work/customers.csv" >"$work/inspect.txt"
grep -q "not an email" "$work/inspect.txt" || fail "inspect did not read the file: $(cat "$work/inspect.txt")"

desktop-file-validate "/usr/share/applications/$app_id.desktop"
appstreamcli validate --no-net "/usr/share/metainfo/$app_id.metainfo.xml"
for f in /usr/share/man/man1/audience-desk.1.gz \
    /usr/share/bash-completion/completions/audience-desk \
    /usr/share/zsh/vendor-completions/_audience-desk \
    /usr/share/fish/vendor_completions.d/audience-desk.fish \
    "/usr/share/icons/hicolor/256x256/apps/$app_id.png" \
    "/usr/share/icons/hicolor/scalable/apps/$app_id.svg"; do
    [[ -s $f ]] || fail "$f is missing"
done
man -l /usr/share/man/man1/audience-desk.1.gz 2>/dev/null | grep -q "audience-desk" || true

# The window, as the menu entry starts it, on a virtual display: it shows, with its icon.
display=":$((90 + RANDOM % 9))"
Xvfb "$display" -screen 0 1280x860x24 >/dev/null 2>&1 &
xvfb=$!
sleep 1
DISPLAY=$display AUDIENCE_DESK_HOME="$work/home" audience-desk --demo >"$work/window.log" 2>&1 &
app=$!
wid=$(DISPLAY=$display timeout 60 xdotool search --sync --onlyvisible --name "Audience Desk" | head -1) ||
    true
if [[ -z $wid ]]; then
    kill "$app" "$xvfb" 2>/dev/null || true
    fail "the installed window did not show within 60 s: $(cat "$work/window.log")"
fi
props=$(DISPLAY=$display xprop -id "$wid" WM_CLASS _NET_WM_ICON | head -c 300)
kill "$app" 2>/dev/null || true
wait "$app" 2>/dev/null || true
kill "$xvfb" 2>/dev/null || true
grep -q "WM_CLASS(STRING) = .*\"$app_id\"" <<<"$props" || fail "window class: $props"
grep -q "_NET_WM_ICON(CARDINAL) = " <<<"$props" || fail "the window has no icon: $props"
echo "the installed window showed, class $app_id, with its icon"

apt-get remove -y -qq audience-desk >/dev/null
left=()
while read -r path; do
    [[ -f $path || -L $path ]] && left+=("$path")
done <<<"$installed"
((${#left[@]} == 0)) || fail "left after removal: ${left[*]}"
echo "removed: nothing of the package is left"
