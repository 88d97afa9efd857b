"""The two GPU calls of scripts/gpu_check.sh, run dry on this CPU, so that a GPU call does not fail on what a CPU finds:
genlib run from the checkout without installing it, the data unpacked from an archive, every stage recorded, the
results packed and the folder checked against the limits given. The results call runs scripts/results.sh end to end
(training, evaluation, `genlib report`): this is that script's test."""
import json, os, subprocess, sys, tarfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/"scripts/gpu"))
from pack import out_problems  # noqa: E402

def dry_run(call, tmp_path, **env):
    out = tmp_path/"out"; out.mkdir(exist_ok=True)
    env = {**os.environ, "GPU_OUT": str(out), "GPU_WORK": str(tmp_path/"work"), "GPU_WHEELS": str(tmp_path/"no-wheels"), **env}
    env.pop("GENLIB_DATA", None)  # the dry run makes its own data
    p = subprocess.run(["bash", "scripts/gpu_check.sh", call, "--dry-run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return p, out

@pytest.mark.parametrize("call", ["bench", "results"])
def test_dry_run(call, tmp_path):
    p, out = dry_run(call, tmp_path)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    status = json.loads((out/"status.json").read_text())
    assert status["dry_run"] and all(s["exit"] == 0 for s in status["stages"]), status
    assert (out/"preflight.txt").read_text().rstrip().splitlines()[-1].startswith("preflight: passed")
    log = (out/f"{call}.log").read_text()
    assert "== preflight" in log  # the output, teed as it came
    if call == "bench":
        assert [s["stage"] for s in status["stages"]] == ["preflight", "readbacks", "bench"]
        bench, log = json.loads((out/"bench.json").read_text()), (out/"bench.log").read_text()  # `genlib bench`, end to end
        assert bench["finished"] and set(bench["fast_paths"]) == {"ae"} and bench["fast_paths"]["ae"]["fused"]["ratio"] > 0
        assert bench["trainer_overhead"]["ae"]["ratio"] > 0 and bench["data_pipeline"]["ratio"] > 0 and bench["memory"]["ae"]["step_peak_mb"] > 0
        assert "trainer overhead  ae" in log and "data pipeline" in log and "| ae | fused | " in log and f"bench: {out/'bench.json'}" in log
        assert all(r["calls"] == {} for r in json.loads((out/"readbacks.json").read_text()).values())
        return
    assert [s["stage"] for s in status["stages"]] == ["preflight", "share-check", "results"]
    share = json.loads((out/"share.json").read_text())  # scripts/share_check.py: alone, all at once, the slowdown, the decision
    for m in ("ae", "vae"):
        assert share["alone_steps_per_s"][m] > 0 and abs(share["slowdown"][m] - (share["alone_steps_per_s"][m]/share["shared_steps_per_s"][m] - 1)) < 1e-9
    assert share["decision"] in ("share", "alone") and f"training ae vae ({share['decision']})" in log
    names = tarfile.open(out/"results.tar.gz").getnames()
    assert not any(n.endswith(".ckpt") for n in names)
    text = (out/"report.md").read_text()  # scripts/results.sh: each model trained, its best.ckpt evaluated, one report
    for m in ("ae", "vae"):
        assert any(n.endswith(f"{m}/version_0/metrics.json") for n in names) and any(n.endswith(f"{m}/version_0/eval_test.json") for n in names), names
        ev = json.loads(tarfile.open(out/"results.tar.gz").extractfile(next(n for n in names if n.endswith(f"{m}/version_0/eval_test.json"))).read())
        assert ev["split"] == "test" and ev["metrics"]["fid"] > 0 and ev["command"].startswith(f"genlib evaluate {tmp_path/'work/runs'/m}/version_0/checkpoints/")
        assert f"`genlib train {m} --epochs 100000 --max-minutes 0.1 " in text and f"   then `{ev['command']}`" in text, text
    assert "(cifar10-classifier)" in text and (out/"curves.png").stat().st_size > 0
    per_minute = text.split("## Quality per minute")[1]  # the curves recorded with --val-every-minutes
    assert "| [1] ae/version_0 | ae | val FID (cifar" in per_minute and "| [2] vae/version_0 | vae | val bits/dim (bound) |" in per_minute, per_minute

def test_dry_run_fails_without_data_and_over_a_limit(tmp_path):
    "A data archive that is not there stops the call before any stage; a results folder over a limit given fails the call, naming it."
    p, out = dry_run("bench", tmp_path, GPU_DATA_ARCHIVE=str(tmp_path/"none.tar.gz"), GPU_MAX_FILES="1")
    assert p.returncode == 1 and "gpu_check: no data: no archive at" in p.stdout, p.stdout[-2000:]
    assert "files, over 1: bench.log, status.json" in p.stdout + p.stderr
    assert json.loads((out/"status.json").read_text())["stages"] == []

def test_out_limits(tmp_path):
    (tmp_path/"a"/"b").mkdir(parents=True); (tmp_path/"a"/"b"/"x.json").write_text("{}"); (tmp_path/"run.log").write_text("ok")
    assert out_problems(tmp_path) == [] and out_problems(tmp_path, max_files=2, max_file_mb=1) == []
    assert out_problems(tmp_path, max_files=1) == ["2 files, over 1: a/b/x.json, run.log"]
    with open(tmp_path/"big.bin", "wb") as f: f.truncate(17*2**20)  # sparse: 17 MiB of nothing
    assert out_problems(tmp_path, max_file_mb=16) == ["big.bin: 17.0 MiB, over 16 MiB"]
