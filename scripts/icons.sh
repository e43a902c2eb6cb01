#!/usr/bin/env bash
# Renders the icon's PNGs (16 to 512 px) and the Windows .ico from assets/icons/audience-desk.svg.
# Needs rsvg-convert (Debian: librsvg2-bin) and ImageMagick's convert. The results are committed;
# run this only after changing the drawing.
set -euo pipefail
cd "$(dirname "$0")/../assets/icons"
for size in 16 24 32 48 64 128 256 512; do
    rsvg-convert -w "$size" -h "$size" audience-desk.svg -o "audience-desk-$size.png"
done
convert audience-desk-16.png audience-desk-32.png audience-desk-48.png audience-desk-256.png \
    audience-desk.ico
