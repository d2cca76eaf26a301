#!/usr/bin/env bash
# RingScope's products on the BLAS's sgemm (RINGSCOPE_GEMM=blas) against oneDNN's (the default),
# in one run: for ViT and RingFormer, training and inference at the bench configuration, the
# two alternate three times; prints each side's median and the ratio.
#
#   tools/bench-gemm-backends.sh build/release/app/ringscope-cli
set -euo pipefail
cli=${1:?usage: bench-gemm-backends.sh RINGSCOPE_CLI}
for mode in train inference; do
  for f in vit ringformer; do
    blas=() dnnl=()
    for r in 1 2 3; do
      extra=(); [ $mode = train ] && extra=(--train)
      blas+=($(RINGSCOPE_GEMM=blas $cli bench --family $f --image-size 28 --patch 4 --hidden 192 --heads 4 --mlp 768 --depth 6 --rank 12 --batch 64 --steps 8 "${extra[@]}" | python3 -c "import json,sys; print(json.loads(sys.stdin.readlines()[-1])['ms_per_step'])"))
      dnnl+=($($cli bench --family $f --image-size 28 --patch 4 --hidden 192 --heads 4 --mlp 768 --depth 6 --rank 12 --batch 64 --steps 8 "${extra[@]}" | python3 -c "import json,sys; print(json.loads(sys.stdin.readlines()[-1])['ms_per_step'])"))
    done
    python3 -c "import statistics as s,sys; a=list(map(float,sys.argv[3].split())); b=list(map(float,sys.argv[4].split())); print(f'{sys.argv[1]:10s} {sys.argv[2]:9s} blas {s.median(a):7.1f} ms  oneDNN {s.median(b):7.1f} ms  {s.median(a)/s.median(b):.2f}x')" $f $mode "${blas[*]}" "${dnnl[*]}"
  done
done
