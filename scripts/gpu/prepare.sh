#!/usr/bin/env bash
# For a GPU machine without internet that runs genlib from a copy of this checkout (scripts/gpu_check.sh): put what it
# lacks into .gpu/ (ignored by git; copy it along with the checkout), on a machine that reaches the package index.
#
#   bash scripts/gpu/prepare.sh PACKAGES [--wheels-only]
#
# PACKAGES: what the GPU machine has installed, one name per line (there: python3 -m pip list --format=freeze > packages.txt).
#   .gpu/wheels/               wheels of genlib's runtime needs that PACKAGES lacks (scripts/gpu/envfarm.py missing), at the
#                              versions installed here, for GPU_PYTHON (default 3.12) on x86-64 Linux
#   .gpu/cifar10.tar.gz        the data: GPU_DATA_ARCHIVE (a .tar.gz of train/ and test/ image folders, or of the python
#                              release), else the folder GENLIB_DATA packed
# Uses .venv (bash scripts/setup.sh) and prints what it wrote.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f "${1:-}" ] || { echo "usage: bash scripts/gpu/prepare.sh PACKAGES [--wheels-only]  (PACKAGES: pip list --format=freeze of the GPU machine)" >&2; exit 2; }
PY=${GENLIB_VENV:-.venv}/bin/python
wheels=${GPU_WHEELS:-.gpu/wheels}
mkdir -p "$wheels"
missing=$($PY scripts/gpu/envfarm.py missing "$1")
echo "prepare: genlib needs beyond $1: $(echo $missing)"
rm -f "$wheels"/*.whl
if [ -n "$missing" ]; then
  # shellcheck disable=SC2086
  $PY -m pip download -q --no-deps --only-binary=:all: --python-version "${GPU_PYTHON:-3.12}" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$wheels" $missing
fi
[ "${2:-}" = --wheels-only ] && { ls "$wheels"; exit 0; }
if [ -n "${GPU_DATA_ARCHIVE:-}" ]; then install -m 644 "$GPU_DATA_ARCHIVE" .gpu/cifar10.tar.gz
elif [ -n "${GENLIB_DATA:-}" ] && [ -d "$GENLIB_DATA" ]; then tar czf .gpu/cifar10.tar.gz --exclude=./.genlib-cache -C "$GENLIB_DATA" .
else echo "prepare: no data: set GPU_DATA_ARCHIVE to a .tar.gz of CIFAR-10, or GENLIB_DATA to its folder" >&2; exit 1; fi
ls -l "$wheels" .gpu/cifar10.tar.gz; du -sh .gpu
