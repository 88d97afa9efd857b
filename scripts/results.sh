#!/usr/bin/env bash
# Make the README's results table: train every model for the same time budget on this machine, one after another
# (or all at once with RESULTS_SHARE=share), validating every VAL_EVERY_MINUTES so that each run's metrics.json holds
# its validation curve against wall-clock time; evaluate each best.ckpt on the test split; and write OUT/report.md
# (the runs, and their quality after 1, 2, 5 and 8 minutes) and OUT/curves.png with `genlib report`.
#
#   RESULTS_MINUTES   training minutes per model (default 60)
#   RESULTS_SHARE     alone (default): each model alone on the machine, one after another; share: all at once. Share a
#                     GPU only where a measurement showed that sharing slows each model's steps by less than 10%:
#                     python scripts/share_check.py prints that measurement and "share" or "alone"
#   VAL_EVERY_MINUTES validate this often, within epochs too (default 0.5): the points of the quality-per-minute curve
#   FID_SAMPLES       images per FID tracked at each validation by the models that have no bits/dim (default 2000)
#   RESULTS_OUT       root of the runs and the report (default runs/results)
#   EXTRACTOR         FID/IS network: auto (inception where its weights are here, else cifar: genlib's classifier), inception, cifar
#   MODELS            which models (default "ae vae gan realnvp fm")
#   GENLIB            the genlib command (default: set up .venv and use its genlib)
#   EVAL_ARGS         more arguments for every `genlib evaluate` (quick checks: "--n-samples 500 --limit-batches 2")
# Extra arguments go to every `genlib train` (the data: GENLIB_DATA, read by train and evaluate alike), e.g.
#   GENLIB_DATA=~/data/cifar10 RESULTS_MINUTES=120 bash scripts/results.sh --accelerator gpu
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${GENLIB:-}" ]; then bash scripts/setup.sh; GENLIB=.venv/bin/genlib; fi
minutes=${RESULTS_MINUTES:-60}; out=${RESULTS_OUT:-runs/results}; extractor=${EXTRACTOR:-auto}
models=${MODELS:-ae vae gan realnvp fm}
share=${RESULTS_SHARE:-alone}; val_every=${VAL_EVERY_MINUTES:-0.5}; fid_samples=${FID_SAMPLES:-2000}
[ "$share" = alone ] || [ "$share" = share ] || { echo "RESULTS_SHARE must be alone or share, got $share"; exit 2; }
mkdir -p "$out/logs"
wait_all() {  # wait for every process in pids; on a failure, show the end of each log of this stage and stop
  local failed=0; for p in "${pids[@]}"; do wait "$p" || failed=1; done
  [ "$failed" = 0 ] || { echo "$1 failed:"; tail -n 5 "$out"/logs/"$2"_*.log; exit 1; }
  pids=()
}

# What each model is scored on, beyond its losses: FID/IS of samples, bits/dim where the model has a likelihood
# (the VAE's is its ELBO bound), SSIM where it reconstructs.
declare -A metrics=([ae]=loss,mse,ssim,fid,fid_recon,is [vae]=loss,bpd,mse,ssim,fid,fid_recon,is
                    [gan]=fid,is [realnvp]=loss,bpd,fid,is [fm]=loss,fid,is)
# The curve of a model without bits/dim in its validation is its FID, tracked at every validation
declare -A track=([ae]="--fid-every 1 --fid-samples $fid_samples" [gan]="--fid-every 1 --fid-samples $fid_samples"
                  [fm]="--fid-every 1 --fid-samples $fid_samples")

pids=()
for m in $models; do
  # GANs pick best.ckpt by FID: with the same extractor as the evaluation
  # shellcheck disable=SC2086
  $GENLIB train "$m" --epochs 100000 --max-minutes "$minutes" --val-every-minutes "$val_every" ${track[$m]:-} --out "$out" \
    --extractor "$extractor" --no-progress "$@" >"$out/logs/train_$m.log" 2>&1 &
  pids+=($!); echo "training $m for $minutes min (log: $out/logs/train_$m.log)"
  [ "$share" = share ] || wait_all "a training" train  # alone: the next model starts when this one is done
done
wait_all "a training" train

for m in $models; do  # all at once too
  run="$out/$m/version_$(ls "$out/$m" | sed -n 's/^version_\([0-9]*\)$/\1/p' | sort -n | tail -1)"  # the newest
  ckpt="$run/checkpoints/best.ckpt"; [ -f "$ckpt" ] || ckpt="$run/checkpoints/last.ckpt"
  $GENLIB evaluate "$ckpt" --split test --metrics "${metrics[$m]:-loss}" --extractor "$extractor" \
    --out "$run/eval_test.json" ${EVAL_ARGS:-} >"$out/logs/eval_$m.log" 2>&1 &
  pids+=($!); echo "evaluating $ckpt (log: $out/logs/eval_$m.log)"
done
wait_all "an evaluation" eval
$GENLIB report "$out" --out "$out"
