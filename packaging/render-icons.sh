#!/usr/bin/env bash
# Renders resources/icons/ringscope.svg into the PNG sizes of the freedesktop hicolor theme,
# the Windows .ico and the macOS .icns. The outputs are checked in; run this after editing the
# SVG. Needs librsvg2-bin, icoutils and icnsutils (Debian).
set -euo pipefail
cd "$(dirname "$0")/../resources/icons"
for size in 16 24 32 48 64 128 256 512; do
    rsvg-convert -w "$size" -h "$size" ringscope.svg -o "ringscope-$size.png"
done
icotool -c -o ringscope.ico ringscope-16.png ringscope-24.png ringscope-32.png ringscope-48.png \
    ringscope-64.png ringscope-128.png -r ringscope-256.png
png2icns ringscope.icns ringscope-16.png ringscope-32.png ringscope-48.png ringscope-128.png \
    ringscope-256.png ringscope-512.png >/dev/null
ls -l ringscope*
