"""The two GPU calls of scripts/gpu_check.sh, run dry on this CPU: the test that the next GPU call is not wasted.

The dry run keeps everything that can break before a GPU computes anything: a Python path with only the GPU image's
packages (scripts/gpu/image_packages.txt) plus the wheels carried for the rest, genlib run from the checkout without
installing it, the data unpacked from an archive, every stage under a deadline, and the folder of results checked
against the limits on what comes back (at most 8 plain files of at most 16 MiB). It needs the package registry once, for the
wheels (scripts/gpu/prepare.sh --wheels-only).
"""
import json, os, subprocess, sys, tarfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/"scripts/gpu"))
from pack import out_problems  # noqa: E402

@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    d = tmp_path_factory.mktemp("wheels")
    subprocess.run(["bash", "scripts/gpu/prepare.sh", "--wheels-only"], cwd=ROOT, check=True, env={**os.environ, "GPU_WHEELS": str(d)})
    assert {w.name.split("-")[0] for w in d.glob("*.whl")} >= {"fastcore", "torch_fidelity"}
    return d

def dry_run(call, tmp_path, wheels, **env):
    out = tmp_path/"out"; out.mkdir(exist_ok=True)
    env = {**os.environ, "GPU_OUT": str(out), "GPU_WORK": str(tmp_path/"work"), "GPU_WHEELS": str(wheels), **env}
    env.pop("GENLIB_DATA", None)  # the dry run makes its own data
    p = subprocess.run(["bash", "scripts/gpu_check.sh", call, "--dry-run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return p, out

@pytest.mark.parametrize("call", ["bench", "results"])
def test_dry_run(call, tmp_path, wheels):
    p, out = dry_run(call, tmp_path, wheels)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert out_problems(out) == []
    status = json.loads((out/"status.json").read_text())
    assert status["dry_run"] and all(s["exit"] == 0 for s in status["stages"]), status
    assert (out/"preflight.txt").read_text().rstrip().splitlines()[-1].startswith("preflight: passed")
    log = (out/f"{call}.log").read_text()
    assert "== preflight" in log  # the output, teed as it came
    if call == "bench":
        assert [s["stage"] for s in status["stages"]] == ["preflight", "readbacks", "bench"]
        bench, log = json.loads((out/"bench.json").read_text()), (out/"bench.log").read_text()  # `genlib bench`, end to end
        assert bench["finished"] and set(bench["fast_paths"]) == {"ae", "vae"} and bench["fast_paths"]["vae"]["fused"]["ratio"] > 0
        assert bench["trainer_overhead"]["ae"]["ratio"] > 0 and bench["data_pipeline"]["ratio"] > 0 and bench["memory"]["vae"]["step_peak_mb"] > 0
        assert "trainer overhead  ae" in log and "data pipeline" in log and "| vae | fused | " in log and f"bench: {out/'bench.json'}" in log
        assert all(r["calls"] == {} for r in json.loads((out/"readbacks.json").read_text()).values())
    else:
        assert [s["stage"] for s in status["stages"]] == ["preflight", "share-check", "results"]
        share = json.loads((out/"share.json").read_text())  # scripts/share_check.py: alone, all at once, the slowdown, the decision
        for m in ("ae", "vae"):
            assert share["alone_steps_per_s"][m] > 0 and abs(share["slowdown"][m] - (share["alone_steps_per_s"][m]/share["shared_steps_per_s"][m] - 1)) < 1e-9
        assert share["decision"] in ("share", "alone") and f"training {'ae vae' if share['decision'] == 'share' else 'realnvp'} ({share['decision']})" in log
        names = tarfile.open(out/"results.tar.gz").getnames()
        assert any(n.endswith("metrics.json") for n in names) and any(n.endswith("eval_test.json") for n in names), names
        assert not any(n.endswith(".ckpt") for n in names)
        trained = ["ae", "vae"] if share["decision"] == "share" else ["realnvp"]  # the decision depends on how busy this machine is
        assert all(f"| {m} |" in (out/"report.md").read_text() for m in trained) and (out/"curves.png").stat().st_size > 0

def test_dry_run_fails_without_a_wheel_and_on_a_file_that_would_not_come_back(tmp_path):
    "No carried wheels: genlib's first import needs fastcore, which the GPU image lacks; a badly named file in OUT is named too."
    empty = tmp_path/"no-wheels"; empty.mkdir()
    (tmp_path/"out").mkdir(); (tmp_path/"out"/"bad name!.txt").write_text("x")
    p, out = dry_run("bench", tmp_path, empty)
    assert p.returncode != 0
    assert "FAIL  import every genlib module: ModuleNotFoundError: No module named 'fastcore'" in (out/"preflight.txt").read_text()
    assert "bad name!.txt: not a plain name" in p.stdout + p.stderr
    assert [s["stage"] for s in json.loads((out/"status.json").read_text())["stages"]] == ["preflight"]  # stopped there

def test_out_rules(tmp_path):
    good = tmp_path/"good"; (good/"a"/"b").mkdir(parents=True)
    (good/"a"/"b"/"x.json").write_text("{}"); (good/"run-1.log").write_text("ok")
    assert out_problems(good) == []
    many = tmp_path/"many"; many.mkdir()
    for i in range(9): (many/f"f{i}.txt").write_text("x")
    assert any("9 files, over 8" in p for p in out_problems(many))
    big = tmp_path/"big"; big.mkdir()
    with open(big/"big.bin", "wb") as f: f.truncate(17*2**20)  # sparse: 17 MiB of nothing
    assert out_problems(big) == ["big.bin: 17.0 MiB, over 16 MiB"]
    odd = tmp_path/"odd"; (odd/"a"/"b"/"c").mkdir(parents=True)
    (odd/"a"/"b"/"c"/"deep.txt").write_text("x"); (odd/"é.txt").write_text("x"); (odd/"link").symlink_to(odd/"é.txt")
    got = out_problems(odd)
    assert "a/b/c/deep.txt: deeper than OUT/a/b/file" in got and "é.txt: not a plain name (letters, digits, . _ - only)" in got
    assert "link: a link, not a plain file" in got
