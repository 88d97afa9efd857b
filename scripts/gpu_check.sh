#!/usr/bin/env bash
# The GPU measurements of the pipeline, in two calls, on a GPU machine that holds a copy of this checkout (genlib runs
# from it: PYTHONPATH and `python -m genlib.cli`, nothing installed). Not measured on a GPU yet: the times below are
# estimates.
#
#   OUT=DIR bash scripts/gpu_check.sh bench
#     preflight (versions, device, every genlib import, the models' entry points, 3 steps of the smallest model under
#     each compile mode timed below); read-backs of every model (genlib's counter, and torch.cuda.set_sync_debug_mode);
#     `genlib bench`: data pipeline, memory, and genlib against the plain loop on the fast paths default, fused,
#     channels_last and bf16 for every model, compile and all (fused + channels_last + bf16 + CUDA graphs) for
#     GPU_COMPILE_MODELS (fm). Estimated: preflight ~75 s (two compiles of the AE), read-backs ~30 s, bench ~4 s a side
#     per path and ~60 s a side per compiled path. bench.json is saved after every path: the quick paths of every model
#     come first, the compiled ones last, so a call stopped by its time limit keeps what was measured.
#   OUT=DIR bash scripts/gpu_check.sh results
#     preflight; scripts/share_check.py (does sharing the GPU slow each model's steps by under 10%?); scripts/results.sh:
#     every model at once if so, else one after another, RESULTS_MINUTES (4) each, then the test evaluation (5,000
#     samples, the classifier's features); `genlib report`.
#
#   bash scripts/gpu_check.sh bench|results [--dry-run]
#
# Limits, all off unless set: GPU_SECONDS, the call's time limit (every stage runs under what is left of it, and the
# results call trains for what is left after GPU_EVAL_SECONDS, 120, for the evaluation); GPU_MAX_FILES and
# GPU_MAX_FILE_MB, limits on the results folder, checked at the end (set them when the folder must pass through a
# system that limits what it returns).
#
# What comes back, in OUT (or GPU_OUT): CALL.log (all output, unbuffered), preflight.txt, status.json (each stage's exit
# status and seconds), and per call bench: readbacks.json, bench.json; results: share.json, results.tar.gz (every run's
# metrics.json, hparams.yaml, evaluation JSON and logs; no checkpoints), report.md, curves.png.
#
# A machine without internet: bash scripts/gpu/prepare.sh PACKAGES, here, puts wheels of what it lacks into .gpu/wheels
# (GPU_WHEELS), installed there into the work folder, and the data into .gpu/cifar10.tar.gz (GPU_DATA_ARCHIVE), unpacked
# there; with GENLIB_DATA set and no archive, that folder is used as it is.
#
# --dry-run: the same calls on this CPU, to find what would break before a GPU is spent on it: a small fake data set in
# the same layout and archive, seconds for minutes, and the quick models only (the AE for bench; the AE and the VAE,
# one tracking FID and one with bits/dim, for results). Any setting above can be given.
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
seconds=${GPU_SECONDS:-0}; deadline=$([ "$seconds" -gt 0 ] && echo $((start + seconds - 15)) || echo 0)  # 15 s kept for packing
work=${GPU_WORK:-$(mktemp -d /tmp/genlib-gpu.XXXXXX)}; mkdir -p "$work"; work=$(cd "$work" && pwd)
batch=${GPU_BATCH:-$(d 128 16)}
models=${GPU_MODELS:-$(d ae,vae,gan,realnvp,fm "$([ "$call" = bench ] && echo ae || echo ae,vae)")}  # the dry run: the quick ones only (24_bench times every model)
echo "gpu_check $call$([ "$dry" = 1 ] && echo ' (dry run on the CPU)'): $([ "$seconds" -gt 0 ] && echo "at most $seconds s" || echo "no time limit"), work in $work, results in $out"

stages="$work/stages.tsv"; : >"$stages"; failed=0
stage() {  # stage NAME CMD...: run CMD (under what is left of GPU_SECONDS, if set); record its exit status and seconds
  local name=$1; shift
  local t0 rc=0 limit=()
  if [ "$deadline" -gt 0 ]; then
    local left=$((deadline - $(date +%s)))
    if [ "$left" -lt 5 ]; then echo "== $name: skipped, no time left"; printf '%s\tskipped\t0\n' "$name" >>"$stages"; failed=1; return 1; fi
    limit=(timeout --kill-after=10 "$left"); echo "== $name (at most $left s)"
  else echo "== $name"; fi
  t0=$(date +%s)
  "${limit[@]}" "$@" || rc=$?
  printf '%s\t%s\t%s\n' "$name" "$rc" "$(($(date +%s) - t0))" >>"$stages"
  [ "$rc" = 124 ] && echo "== $name: stopped at the time limit; what it wrote so far is kept"
  [ "$rc" = 0 ] || { echo "== $name: FAILED (exit $rc)"; failed=1; return 1; }
}
finish() {  # on every exit: pack what exists, write status.json, check the limits of the results folder
  local code=$?
  trap - EXIT
  [ "$call" = results ] && [ -d "$work/runs" ] && {
    cp "$work/runs/report.md" "$work/runs/curves.png" "$out/" 2>/dev/null
    $PY scripts/gpu/pack.py runs "$work/runs" "$out/results.tar.gz" --max-mb "${GPU_MAX_FILE_MB:-0}"; }
  $PY - "$stages" "$out/status.json" "$call" "$dry" "$(($(date +%s) - start))" <<'PY'
import json, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines() if l]
json.dump({"call": sys.argv[3], "dry_run": sys.argv[4] == "1", "seconds": int(sys.argv[5]),
           "stages": [{"stage": n, "exit": int(rc) if rc.isdigit() else rc, "seconds": int(s)} for n, rc, s in rows]}, open(sys.argv[2], "w"), indent=1)
PY
  $PY scripts/gpu/pack.py check "$out" --max-files "${GPU_MAX_FILES:-0}" --max-file-mb "${GPU_MAX_FILE_MB:-0}" || code=1
  [ "$failed" = 0 ] || [ "$code" != 0 ] || code=1
  echo "gpu_check $call: $([ "$code" = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - start)) s"
  exec >&- 2>&-; wait "$tee_pid" 2>/dev/null  # the log is complete before the call returns
  exit "$code"
}

# Python: the machine's own (PYTHON, default python3; the dry run: .venv's), with genlib from this checkout
if [ "$dry" = 1 ]; then PY=${PYTHON:-$(cd "${GENLIB_VENV:-.venv}/bin" && pwd)/python}; accelerator=cpu; export CUDA_VISIBLE_DEVICES=""
else PY=${PYTHON:-python3}; accelerator=gpu; fi
trap finish EXIT
wheels=${GPU_WHEELS:-.gpu/wheels}
if compgen -G "$wheels/*.whl" >/dev/null; then  # a machine without internet: what it lacks, carried as wheels
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$work/site" "$wheels"/*.whl || exit 1
fi
$PY scripts/gpu/envfarm.py metadata "$work/site" >/dev/null || exit 1  # genlib's entry points, without installing it
export PYTHONPATH=$PWD:$work/site${PYTHONPATH:+:$PYTHONPATH}
GENLIB="$PY -m genlib.cli"

# Data: an archive unpacked into the work folder, or GENLIB_DATA as it is; the dry run makes a small fake one
archive=${GPU_DATA_ARCHIVE:-.gpu/cifar10.tar.gz}
if [ "$dry" = 1 ] && [ -z "${GPU_DATA_ARCHIVE:-}" ]; then
  archive=$work/fake-cifar10.tar.gz
  # 130 images a class: the validation fifth (260) and the tracked FID's samples (FID_SAMPLES, 260) outnumber the classifier's 256 features
  $PY -c "from genlib.data import write_fake_cifar10 as w; w('$work/fake', 'folder', n_train=130, n_test=30, ext='jpg')" &&
    tar czf "$archive" -C "$work/fake" train test || exit 1
fi
if [ -f "$archive" ]; then mkdir -p "$work/data" && tar xzf "$archive" -C "$work/data" || exit 1; export GENLIB_DATA=$work/data
elif [ -z "${GENLIB_DATA:-}" ] || [ -n "${GPU_DATA_ARCHIVE:-}" ]; then
  echo "gpu_check: no data: no archive at $archive (bash scripts/gpu/prepare.sh makes one) and GENLIB_DATA is not set"; exit 1
fi

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
  models=$(echo "$models" | tr , ' ')
  minutes=${RESULTS_MINUTES:-$(d 4 0.1)}
  if [ "$deadline" -gt 0 ]; then  # fewer minutes where the time left after the evaluation cannot hold them
    n=$([ "$share" = share ] && echo 1 || echo "$models" | wc -w)
    left=$((deadline - $(date +%s) - ${GPU_EVAL_SECONDS:-$(d 120 60)}))
    minutes=$($PY -c "print(round(max(0.05, min($minutes, $left/60/$n - $(d 0.5 0.1))), 2))")
  fi
  echo "gpu_check: training $models ($share) for $minutes min each"
  stage results env RESULTS_SHARE="$share" MODELS="$models" RESULTS_MINUTES="$minutes" RESULTS_OUT="$work/runs" \
    EXTRACTOR="${EXTRACTOR:-cifar}" VAL_EVERY_MINUTES="${VAL_EVERY_MINUTES:-$(d 0.5 0.03)}" FID_SAMPLES="${FID_SAMPLES:-$(d 2000 260)}" \
    EVAL_ARGS="${EVAL_ARGS:-$(d "--n-samples 5000" "--n-samples 300 --limit-batches 1")}" GENLIB="$GENLIB" \
    bash scripts/results.sh --accelerator $accelerator --batch-size "$batch" $(d "" "--limit-val-batches 1")
fi
