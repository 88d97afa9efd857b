#!/usr/bin/env bash
# The main job: set up the environment, then train the default model on CIFAR-10.
# Writes runs/<model>/version_K/ (TensorBoard events, hparams.yaml, checkpoints/best.ckpt and last.ckpt,
# images/*.png, metrics.json) and prints where they are.
# Extra arguments go to `genlib train`, e.g. `bash scripts/train.sh --epochs 1 --data-dir ~/data/cifar10`.
# GENLIB_MODEL picks another model (default: ae).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec "${GENLIB_VENV:-.venv}/bin/genlib" train "${GENLIB_MODEL:-ae}" "$@"
