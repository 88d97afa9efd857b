#!/usr/bin/env bash
# Before a GPU call, here (a machine with the package registries): put what the GPU machine lacks into .gpu/, the ignored
# folder every call carries (copied along with the checkout to the GPU machine).
#   .gpu/wheels/               wheels of genlib's runtime needs that the GPU image lacks (scripts/gpu/envfarm.py missing:
#                              fastcore, torch-fidelity, tzdata at the versions installed here), for Python 3.12 x86-64
#   .gpu/cifar10-jpeg.tar.gz   the data: GPU_DATA_ARCHIVE, else the shared JPEG copy beside the checkout (19 MB)
# Uses .venv (bash scripts/setup.sh). Prints what it put there and its size (a call carries at most 64 MiB in all).
# --wheels-only: just the wheels, into GPU_WHEELS (default .gpu/wheels): what the CPU dry run needs (tests/test_gpu_check.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${GENLIB_VENV:-.venv}/bin/python
wheels=${GPU_WHEELS:-.gpu/wheels}
mkdir -p "$wheels"
missing=$($PY scripts/gpu/envfarm.py missing)
echo "prepare: genlib needs beyond the GPU image: $(echo $missing)"
rm -f "$wheels"/*.whl
# shellcheck disable=SC2086
$PY -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$wheels" $missing
[ "${1:-}" = --wheels-only ] && { ls "$wheels"; exit 0; }
archive=${GPU_DATA_ARCHIVE:-../shared/data/cifar10-jpeg.tar.gz}
[ -f "$archive" ] || { echo "prepare: no data archive at $archive (set GPU_DATA_ARCHIVE)" >&2; exit 1; }
install -m 644 "$archive" .gpu/cifar10-jpeg.tar.gz
ls -l .gpu/wheels .gpu/cifar10-jpeg.tar.gz; du -sh .gpu
