#!/usr/bin/env bash
# The GPU measurements of the pipeline: two calls on a remote GPU machine that together fit 15 minutes of GPU time with
# two machine start-ups (a minute or so each): 270 + 420 s of budget, 11.5 minutes. Before them, on your own machine:
# bash scripts/gpu/prepare.sh (wheels and data into .gpu/).
#
#   OUT=DIR bash scripts/gpu_check.sh bench       (copy .gpu/ along; at most 300 s)      budget GPU_CALL_SECONDS=270
#     preflight (versions, device, every genlib import, the models' entry points, 3 steps of the smallest model under
#     each compile mode timed below); read-backs of every model (genlib's counter, and torch.cuda.set_sync_debug_mode);
#     `genlib bench`: data pipeline, memory, and genlib against the plain loop on the fast paths default, fused,
#     channels_last and bf16 for every model, compile and all (fused + channels_last + bf16 + CUDA graphs) for
#     GPU_COMPILE_MODELS (fm). Estimated, not measured: preflight ~75 s (two compiles of the AE), read-backs ~30 s,
#     bench ~4 s a side per path (a Trainer's start) and ~60 s a side per compiled path: more than 270 s in all, so the
#     deadline may end the bench inside the budget. bench.json is saved after every path and keeps what was measured;
#     the quick paths of every model come first, the compiled ones last.
#   OUT=DIR bash scripts/gpu_check.sh results     (copy .gpu/ along; at most 450 s)      budget GPU_CALL_SECONDS=420
#     preflight; scripts/share_check.py (does sharing the GPU slow each model's steps by under 10%?); scripts/results.sh:
#     every model at once if so, else RealNVP alone, for RESULTS_MINUTES (4) or what the budget leaves after keeping
#     GPU_EVAL_SECONDS (120) for the test evaluation (5,000 samples, the classifier's features); `genlib report`.
#
# Last real run: none; not measured on a GPU yet (the script was written 2026-12-06), so the times above are
# estimates and the budgets limits that the deadline enforces. The CPU dry run (tests/test_gpu_check.py) took 44 s
# (bench) and 94 s (results) on the 2-core development machine.
#
#   bash scripts/gpu_check.sh bench|results [--dry-run]
#
# What comes back (in $OUT, or GPU_OUT): CALL.log (all output, unbuffered), preflight.txt, status.json
# (each stage's exit status and seconds), and per call bench: readbacks.json, bench.json; results: share.json,
# results.tar.gz (every run's metrics.json, hparams.yaml, evaluation JSON and logs; no checkpoints), report.md,
# curves.png. Every stage writes its files as it goes and runs under what is left of the budget; GPU_PACK_SECONDS (60)
# are kept for packing, and the folder is checked against the limits on what a remote machine sends back
# (scripts/gpu/pack.py check).
#
# genlib runs from this checkout (PYTHONPATH, `python -m genlib.cli`; no wheel is built there). The packages the GPU
# image lacks come as wheels from .gpu/wheels, installed into a folder of the work directory; the data from
# .gpu/cifar10-jpeg.tar.gz (GPU_DATA_ARCHIVE), unpacked there.
#
# --dry-run: the same calls on this CPU, to find what would break before a GPU is spent on it: the Python path holds
# only the GPU image's packages (scripts/gpu/image_packages.txt; envfarm.py) plus the carried wheels, the data is a
# small fake set in the same layout and archive, and the seconds and sizes shrink. Any setting below can be given.
set -uo pipefail
cd "$(dirname "$0")/.."
call=${1:-}; dry=0; [ "${2:-}" = --dry-run ] && dry=1
case "$call" in bench|results) ;; *) echo "usage: bash scripts/gpu_check.sh bench|results [--dry-run]"; exit 2 ;; esac
out=${GPU_OUT:-${OUT:-}}; [ -n "$out" ] || { echo "gpu_check: set OUT or GPU_OUT to the folder for the results"; exit 2; }
mkdir -p "$out"; out=$(cd "$out" && pwd)
export PYTHONUNBUFFERED=1
exec > >(tee -a "$out/$call.log") 2>&1; tee_pid=$!
start=$(date +%s)
d() { if [ "$dry" = 1 ]; then echo "$2"; else echo "$1"; fi; }  # d GPU_DEFAULT DRY_RUN_DEFAULT
if [ "$call" = bench ]; then budget=${GPU_CALL_SECONDS:-$(d 270 240)}; else budget=${GPU_CALL_SECONDS:-$(d 420 420)}; fi  # the dry run: room for a CPU shared with other tests
deadline=$((start + budget - ${GPU_PACK_SECONDS:-$(d 60 15)}))
work=${GPU_WORK:-$(mktemp -d /tmp/genlib-gpu.XXXXXX)}; mkdir -p "$work"; work=$(cd "$work" && pwd)
batch=${GPU_BATCH:-$(d 128 16)}
models=${GPU_MODELS:-$(d ae,vae,gan,realnvp,fm ae,vae)}  # the dry run's CPU has minutes for the two quick ones only
echo "gpu_check $call$([ "$dry" = 1 ] && echo ' (dry run on the CPU)'): budget ${budget} s, work in $work, results in $out"

stages="$work/stages.tsv"; : >"$stages"; failed=0
stage() {  # stage NAME CMD...: run CMD with what is left of the budget; record its exit status and seconds
  local name=$1; shift
  local left=$((deadline - $(date +%s))) t0 rc=0
  if [ "$left" -lt 5 ]; then echo "== $name: skipped, no time left"; printf '%s\tskipped\t0\n' "$name" >>"$stages"; failed=1; return 1; fi
  echo "== $name (at most $left s)"; t0=$(date +%s)
  timeout --kill-after=10 "$left" "$@" || rc=$?
  printf '%s\t%s\t%s\n' "$name" "$rc" "$(($(date +%s) - t0))" >>"$stages"
  [ "$rc" = 124 ] && echo "== $name: stopped at the deadline; what it wrote so far is kept"
  [ "$rc" = 0 ] || { echo "== $name: FAILED (exit $rc)"; failed=1; return 1; }
}
finish() {  # on every exit: pack what exists, write status.json, check the rules of what comes back
  local code=$?
  trap - EXIT
  [ "$call" = results ] && [ -d "$work/runs" ] && {
    cp "$work/runs/report.md" "$work/runs/curves.png" "$out/" 2>/dev/null
    $PY scripts/gpu/pack.py runs "$work/runs" "$out/results.tar.gz"; }
  $PY - "$stages" "$out/status.json" "$call" "$dry" "$(($(date +%s) - start))" <<'PY'
import json, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines() if l]
json.dump({"call": sys.argv[3], "dry_run": sys.argv[4] == "1", "seconds": int(sys.argv[5]),
           "stages": [{"stage": n, "exit": int(rc) if rc.isdigit() else rc, "seconds": int(s)} for n, rc, s in rows]}, open(sys.argv[2], "w"), indent=1)
PY
  $PY scripts/gpu/pack.py check "$out" || code=1
  [ "$failed" = 0 ] || [ "$code" != 0 ] || code=1
  echo "gpu_check $call: $([ "$code" = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - start)) s"
  exec >&- 2>&-; wait "$tee_pid" 2>/dev/null  # the log is complete before the call returns and OUT is collected
  exit "$code"
}

# Python: the machine's own (the GPU image's python3), with the carried wheels and genlib from this checkout
if [ "$dry" = 1 ]; then
  host=$(cd "${GENLIB_VENV:-.venv}/bin" && pwd)/python
  "$host" scripts/gpu/envfarm.py farm --image scripts/gpu/image_packages.txt "$work/image" || exit 1
  printf '#!/bin/sh\nexec "%s" -S "$@"\n' "$host" >"$work/python3"; chmod +x "$work/python3"  # -S: no site-packages but the farm's
  PY=$work/python3; export PYTHONNOUSERSITE=1 PYTHONPATH=$work/image CUDA_VISIBLE_DEVICES=""
  accelerator=cpu
else
  PY=${PYTHON:-python3}; accelerator=gpu
fi
trap finish EXIT
wheels=${GPU_WHEELS:-.gpu/wheels}
if compgen -G "$wheels/*.whl" >/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$work/site" "$wheels"/*.whl || exit 1
else echo "gpu_check: no wheels in $wheels (bash scripts/gpu/prepare.sh makes them)"; fi
$PY scripts/gpu/envfarm.py metadata "$work/site" >/dev/null || exit 1  # genlib's entry points, without installing it
export PYTHONPATH=$PWD:$work/site${PYTHONPATH:+:$PYTHONPATH}
GENLIB="$PY -m genlib.cli"

# Data: the carried archive, unpacked into the work directory; the dry run makes a small fake one in the same layout
archive=${GPU_DATA_ARCHIVE:-.gpu/cifar10-jpeg.tar.gz}
if [ "$dry" = 1 ] && [ -z "${GPU_DATA_ARCHIVE:-}" ]; then
  archive=$work/fake-cifar10.tar.gz
  # 130 images a class: the validation fifth (260) and the tracked FID's samples (FID_SAMPLES, 260) outnumber the classifier's 256 features
  "$host" -c "from genlib.data import write_fake_cifar10 as w; w('$work/fake', 'folder', n_train=130, n_test=30, ext='jpg')" &&
    tar czf "$archive" -C "$work/fake" train test || exit 1
fi
[ -f "$archive" ] || { echo "gpu_check: no data archive at $archive (bash scripts/gpu/prepare.sh copies it)"; exit 1; }
mkdir -p "$work/data" && tar xzf "$archive" -C "$work/data" || exit 1
export GENLIB_DATA=$work/data

if [ "$call" = bench ]; then
  stage preflight $PY scripts/gpu/preflight.py --out "$out/preflight.txt" --accelerator $accelerator \
    --compile-modes "${GPU_COMPILE_MODES:-$(d none,default,reduce-overhead none)}" || exit 1  # the modes of compile and all
  stage readbacks $PY scripts/gpu/readbacks.py "$out/readbacks.json" --models "$models" --steps "${GPU_READBACK_STEPS:-$(d 30 12)}" --batch-size "$batch"
  stage bench $GENLIB bench --models "$models" --memory-models "$models" --batch-size "$batch" \
    --seconds "${GPU_BENCH_SECONDS:-$(d 1 0.01)}" --repeats "${GPU_BENCH_REPEATS:-1}" \
    --data-batches "$(d 200 5)" --workers "$(d 2 0)" --out "$out/bench.json" \
    --fast-paths "${GPU_FAST_PATHS:-$(d default,fused,channels_last,bf16,compile,all default,fused)}" \
    --compile-models "${GPU_COMPILE_MODELS:-$(d fm none)}"
else
  stage preflight $PY scripts/gpu/preflight.py --out "$out/preflight.txt" --accelerator $accelerator \
    --compile-modes "${GPU_COMPILE_MODES:-none}" || exit 1
  share=${GPU_SHARE:-}
  if [ -z "$share" ]; then
    stage share-check $PY scripts/share_check.py --seconds "${SHARE_SECONDS:-$(d 5 1)}" --batch-size "$batch" \
      --models "$models" --out "$out/share.json"
    share=$($PY -c "import json; print(json.load(open('$out/share.json'))['decision'])" 2>/dev/null || echo alone)
  fi
  if [ "$share" = share ]; then models=$(echo "$models" | tr , ' '); else models=realnvp; fi
  # training minutes: RESULTS_MINUTES, or less when the budget left after the evaluation's share cannot hold them
  left=$((deadline - $(date +%s) - ${GPU_EVAL_SECONDS:-$(d 120 60)}))
  minutes=$($PY -c "print(round(max(0.05, min(${RESULTS_MINUTES:-$(d 4 0.1)}, $left/60 - $(d 0.5 0.1))), 2))")
  echo "gpu_check: training $models ($share) for $minutes min each"
  stage results env RESULTS_SHARE="$share" MODELS="$models" RESULTS_MINUTES="$minutes" RESULTS_OUT="$work/runs" \
    EXTRACTOR="${EXTRACTOR:-cifar}" VAL_EVERY_MINUTES="${VAL_EVERY_MINUTES:-$(d 0.5 0.03)}" FID_SAMPLES="${FID_SAMPLES:-$(d 2000 260)}" \
    EVAL_ARGS="${EVAL_ARGS:-$(d "--n-samples 5000" "--n-samples 300 --limit-batches 1")}" GENLIB="$GENLIB" \
    bash scripts/results.sh --accelerator $accelerator --batch-size "$batch" $(d "" "--limit-val-batches 1")
fi
