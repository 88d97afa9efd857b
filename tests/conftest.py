"Shared fixtures: the `genlib` console script and small generated CIFAR-10 look-alikes."
import os, sys, subprocess
from pathlib import Path
import pytest
from genlib.data import write_fake_cifar10, detect_layout

GENLIB = str(Path(sys.executable).parent/"genlib")

# hyperparameters that make the slow models quick on a CPU without changing a code path (the GPU presets take minutes a step there)
SMALL = {"fm": ["--channels", 8, "--channel-mults", "1,2", "--blocks", 1, "--attention", 16, "--dropout", 0,
                "--grid-images", 4],  # a grid of 64 ODE samples would take most of a quick run
         "realnvp": ["--features", 16, "--blocks", 2]}

def clean_env() -> dict:
    "This process's environment without the run-folder variable a DDP parent hands its children."
    return {k: v for k, v in os.environ.items() if k != "GENLIB_RUN_VERSION"}

def genlib(*args, check=True, timeout=600, env:dict|None=None, **kw):
    "Run the `genlib` console script (with `env` added to the environment); returns the CompletedProcess."
    r = subprocess.run([GENLIB, *map(str, args)], capture_output=True, text=True, timeout=timeout, env={**clean_env(), **(env or {})}, **kw)
    if check and r.returncode != 0: raise AssertionError(f"genlib {args} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return r

@pytest.fixture(scope="session")
def fake_data(tmp_path_factory):
    return write_fake_cifar10(tmp_path_factory.mktemp("data")/"cifar10", "python", n_train=40, n_test=5)

@pytest.fixture(scope="session")
def real_data():
    d = os.environ.get("GENLIB_DATA")
    if not d or detect_layout(Path(d)) is None:
        pytest.skip("real CIFAR-10 not available: set GENLIB_DATA (scripts/test.sh does when ../shared/data is present)")
    return d

# The longest tests start first, so that none of them finishes alone at the end of a parallel run (pytest-xdist)
LONGEST_FIRST = ("tests/test_inception.py::test_same_numbers", "tests/test_gpu_check.py::test_dry_run[", "tests/test_cli.py::test_flow_matching")

def pytest_collection_modifyitems(items):
    rank = lambda item: next((i for i, p in enumerate(LONGEST_FIRST) if item.nodeid.startswith(p)), len(LONGEST_FIRST))
    items.sort(key=rank)  # stable: the rest keep their order
