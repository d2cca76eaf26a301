#!/usr/bin/env bash
# Screenshots of every view of the desktop app, taken under Xvfb from the real app on the
# bundled demo models (RingFormer in A, ViT in B) and images: docs/screenshots/VIEW.png.
set -euo pipefail
cd "$(dirname "$0")/.."
APP=${APP:-build/release/app/ringscope}
OUT=docs/screenshots
mkdir -p "$OUT"
shot() { # view, delay ms, extra options...
    local view=$1 delay=$2
    shift 2
    xvfb-run -a -s "-screen 0 1400x900x24" "$APP" --view "$view" --screenshot "$OUT/$view.png" --delay "$delay" "$@"
    echo "wrote $OUT/$view.png"
}
shot attention 4000 --image 8 --application 4
shot levels 2000 --image 8 --application 3
shot cka 2000
shot mad 2000
shot classify 5000 --image 7
shot inspector 3000
shot train 1000
