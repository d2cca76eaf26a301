#!/usr/bin/env bash
# RingScope against the published code, in one run on one machine: for each family,
# ringscope-cli bench and tools/published_style.py bench alternate ROUNDS times on the same
# configuration and thread count; prints each side's median of the rounds' medians and the
# ratio. With PUBLISHED_SRC set to the src_vision folder of a clone of the published repository
# the Python side runs the published code's own model classes, else published_style.py's
# stand-in for them. Needs PyTorch for Python (Debian: python3-torch).
#
#   tools/bench-vs-published.sh build/release/app/ringscope-cli [--train] [bench options...]
#   ROUNDS=3 FAMILIES="vit ringformer" tools/bench-vs-published.sh CLI --train
#   PUBLISHED_SRC=~/ringformer/src_vision tools/bench-vs-published.sh CLI --train
set -euo pipefail
cli=${1:?usage: bench-vs-published.sh RINGSCOPE_CLI [--train] [options]}
shift
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
rounds=${ROUNDS:-2}
families=${FAMILIES:-vit owf uit ringformer}
defaults=(--image-size 28 --patch 4 --hidden 192 --heads 4 --mlp 768 --depth 6 --rank 12
          --batch 64 --steps 8)
"$python" -c "import torch" 2>/dev/null || { echo "no PyTorch for $python: skipped" >&2; exit 77; }
published=()
if [[ -n ${PUBLISHED_SRC:-} ]]; then
    published=(--published-src "$PUBLISHED_SRC")
    echo "published: the model classes of $PUBLISHED_SRC"
else
    echo "published: the stand-in tools/published_style.py (set PUBLISHED_SRC for the real code)"
fi
field() { "$python" -c "import json,sys; print(json.loads(sys.stdin.readlines()[-1])['$1'])"; }
median() { "$python" -c "import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))" "$@"; }
printf '%-11s %12s %12s %7s\n' family ringscope_ms published_ms speedup
for f in $families; do
    ours=() theirs=()
    for ((i = 0; i < rounds; ++i)); do
        ours+=("$("$cli" bench --family "$f" "${defaults[@]}" "$@" | field ms_per_step)")
        theirs+=("$("$python" "$here/published_style.py" "${published[@]}" bench --family "$f" "${defaults[@]}" "$@" | field ms_per_step)")
    done
    a=$(median "${ours[@]}") b=$(median "${theirs[@]}")
    printf '%-11s %12.1f %12.1f %6.2fx\n' "$f" "$a" "$b" "$("$python" -c "print($b / $a)")"
done
