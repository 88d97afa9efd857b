#!/usr/bin/env bash
# The GPU measurements of the pipeline, as two calls that fit one GPU lease of 15 minutes (start-up included):
#
#   bash scripts/gpu_check.sh bench     # ~4 min: the read-back count of every model with torch.cuda.set_sync_debug_mode,
#                                       # then `genlib bench` (overhead, data, memory, every fast path of every model)
#   bash scripts/gpu_check.sh results   # <= 9 min: does sharing the GPU slow each model by less than 10%
#                                       # (scripts/share_check.py)? then scripts/results.sh: all models at once for
#                                       # RESULTS_MINUTES (default 8) if so, else RealNVP alone for them; `genlib report`
#
# Everything lands in ${GPU_OUT:-$OUT} (the device tool's folder of files that come back): bench.json, bench.log,
# readbacks.json, share.json, report.md, curves.png, results.log. Data: GENLIB_DATA, or the shared JPEG copy carried
# as .cache/cifar10-jpeg.tar.gz (cp ../shared/data/cifar10-jpeg.tar.gz .cache/, then carry that path; unpacked here).
# Without a `genlib` command, genlib is installed into the machine's python3 without dependencies (a GPU image that has
# torch and lightning but no internet).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${GPU_OUT:-${OUT:?set GPU_OUT or OUT}}; mkdir -p "$out"
PY=${PYTHON:-python3}
if [ -z "${GENLIB:-}" ] && ! command -v genlib >/dev/null; then $PY -m pip install -q --no-deps --no-build-isolation -e .; fi
GENLIB=${GENLIB:-genlib}
if [ -z "${GENLIB_DATA:-}" ]; then
  [ -d .cache/cifar10-jpeg/test ] || { mkdir -p .cache/cifar10-jpeg && tar xzf .cache/cifar10-jpeg.tar.gz -C .cache/cifar10-jpeg; }
  export GENLIB_DATA="$PWD/.cache/cifar10-jpeg"
fi
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || echo "no nvidia-smi"; } | tee "$out/gpu.txt"
case "${1:-}" in
  bench)
    $PY - "$out/readbacks.json" <<'PY' 2>&1 | tee "$out/readbacks.log"
import json, os, sys, tempfile
from genlib.bench import count_readbacks
from genlib.model import model_names
res = {}
for name in model_names():  # the quiet steps of every model, with PyTorch's own report of every synchronisation
    c = count_readbacks(name, os.environ["GENLIB_DATA"], steps=30, batch_size=128)
    res[name] = {"calls": dict(c.calls), "quiet_steps": c.quiet_steps, "other_steps": c.other_steps}
    print(f"read-backs  {name:8s} {sum(c.calls.values())} in {c.quiet_steps} quiet steps", dict(c.calls), flush=True)
json.dump(res, open(sys.argv[1], "w"), indent=1)
PY
    $GENLIB bench --models all --memory-models all --seconds 2 --repeats 2 --out "$out/bench.json" 2>&1 | tee "$out/bench.log" ;;
  results)
    decision=$($PY scripts/share_check.py --seconds 15 --out "$out/share.json" | tee "$out/share.log" | tail -1)
    if [ "$decision" = share ]; then models="ae vae gan realnvp fm"; else models=realnvp; fi
    RESULTS_SHARE=$decision MODELS=$models RESULTS_MINUTES=${RESULTS_MINUTES:-8} RESULTS_OUT=runs/gpu EXTRACTOR=cifar \
      EVAL_ARGS="--n-samples 5000" GENLIB=$GENLIB bash scripts/results.sh --accelerator gpu 2>&1 | tee "$out/results.log"
    cp runs/gpu/report.md runs/gpu/curves.png "$out/" ;;
  *) echo "usage: bash scripts/gpu_check.sh bench|results"; exit 2 ;;
esac
