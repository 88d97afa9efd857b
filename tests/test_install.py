"""`pip install .` without extras, in a fresh environment, then `genlib models` and a one-batch `genlib train` of every model.

A fresh virtual environment sees only genlib's runtime dependencies: the distributions `pip install genlib` brings
(its requirements and theirs, no extras), linked from this environment into one folder (scripts/gpu/envfarm.py farm
--requires genlib) and put on the fresh environment's path by a .pth file, so that torch's 4 GB are not installed a
second time. pip installs genlib itself from a copy of the source, offline (--no-index): anything missing from the
runtime dependencies fails the install or the import. Anything the dev extras bring (nbdev, pytest, torchcfm) is absent.
"""
import os, shutil, subprocess, sys, venv
from pathlib import Path
import pytest
from conftest import SMALL

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fresh")
    subprocess.run([sys.executable, "scripts/gpu/envfarm.py", "farm", "--requires", "genlib", str(tmp/"deps")], cwd=ROOT, check=True)
    venv.EnvBuilder(with_pip=True).create(tmp/"env")
    py = tmp/"env"/"bin"/"python"
    site = Path(subprocess.check_output([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    (site/"genlib-deps.pth").write_text(str(tmp/"deps") + "\n")
    # ensurepip's own setuptools (Python 3.11) would shadow the dependencies' one; genlib's license string needs >= 77
    subprocess.run([py, "-m", "pip", "uninstall", "-q", "-y", "setuptools"], check=True)
    src = tmp/"src"; src.mkdir()
    for name in ("pyproject.toml", "README.md", "genlib"): (shutil.copytree if (ROOT/name).is_dir() else shutil.copy)(ROOT/name, src/name)
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation", str(src)], check=True)
    return tmp

def run(fresh, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([fresh/"env"/"bin"/"genlib", *args], cwd=fresh, env=env, capture_output=True, text=True, timeout=600)

def test_without_extras(fresh):
    py = fresh/"env"/"bin"/"python"
    for dev_only in ("nbdev", "pytest", "torchcfm"):  # the environment really is without the extras
        assert subprocess.run([py, "-c", f"import {dev_only}"], capture_output=True).returncode != 0, dev_only
    p = run(fresh, "models")
    assert p.returncode == 0, p.stderr[-2000:]
    names = [l.split(":")[0] for l in p.stdout.splitlines() if ":" in l]
    assert names == ["ae", "fm", "gan", "realnvp", "vae"], p.stdout
    from genlib.data import write_fake_cifar10
    data = write_fake_cifar10(fresh/"data", "python", n_train=4, n_test=2)
    for m in names:
        p = run(fresh, "train", m, "--data-dir", str(data), "--epochs", "1", "--limit-batches", "1", "--batch-size", "8",
                "--fid-every", "0", "--no-test", "--no-progress", "--accelerator", "cpu", "--out", str(fresh/"runs"), *map(str, SMALL.get(m, [])))
        assert p.returncode == 0, f"{m}: {p.stderr[-2000:]}"
        assert (fresh/"runs"/m/"version_0"/"checkpoints"/"last.ckpt").exists(), m
