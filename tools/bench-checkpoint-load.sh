#!/usr/bin/env bash
# bench-checkpoint-load.sh [BUILD_DIR] — a benchmark, not a test: time and peak resident memory
# of `ringscope-cli info` and of opening into the app (ringscope --benchmark-open, offscreen)
# for files whose size says little about their content (tools/make-stress-checkpoints.py) and
# for a ViT-S training container (d 384, 12 layers, 6 heads, MLP 1536, Adam state; about
# 250 MB), made once with `ringscope-cli train` on 64 Fashion-MNIST images (skipped without it).
# Prints one line per file and tool; target: peak <= 2 x file + 200 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
CLI=$BUILD/app/ringscope-cli
APP=$BUILD/app/ringscope
WORK=${WORK:-/tmp/ringscope-bench-load}
mkdir -p "$WORK"
python3 tools/make-stress-checkpoints.py "$WORK"
files=("$WORK/shared-storage.pt" "$WORK/overlap.safetensors")
if [ ! -f "$WORK/vit-s.pt" ] && [ -d /usr/share/datasets/fashion-mnist ]; then
    "$CLI" train --family vit --image-size 28 --patch 4 --hidden 384 --heads 6 --mlp 1536 --depth 12 \
        --data fashion-mnist:train --limit 80 --holdout 16 --epochs 1 --batch 64 --out "$WORK/vit-s.pt" --last "$WORK/vit-s.last.pt" >/dev/null 2>&1 || true
    rm -f "$WORK/vit-s.last.pt"
fi
[ -f "$WORK/vit-s.pt" ] && files+=("$WORK/vit-s.pt")

printf '%-22s %9s  %-6s %9s %10s  %s\n' file "size MiB" tool seconds "peak MiB" result
for f in "${files[@]}"; do
    size=$(du -m "$f" | cut -f1)
    /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$CLI" info "$f" >/dev/null 2>"$WORK/err.txt" && rc=0 || rc=$?
    read -r secs kb < <(tail -1 "$WORK/time.txt")
    printf '%-22s %9s  %-6s %9s %10.0f  %s\n' "$(basename "$f")" "$size" info "$secs" "$((kb / 1024))" \
        "$([ $rc = 0 ] && echo ok || head -c 90 "$WORK/err.txt")"
    json=$(QT_QPA_PLATFORM=offscreen /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$APP" --benchmark-open "$f" 2>/dev/null | tail -1)
    read -r secs kb < <(tail -1 "$WORK/time.txt")
    printf '%-22s %9s  %-6s %9s %10.0f  %s\n' "$(basename "$f")" "$size" app "$secs" "$((kb / 1024))" "$json"
done
