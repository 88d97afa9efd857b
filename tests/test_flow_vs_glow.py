"scripts/flow_vs_glow.py end to end on fake data: both flows train side by side, every budget is scored for both, and the table prints the ratio."
import json, os, subprocess, sys
from pathlib import Path
from conftest import clean_env

SCRIPT = Path(__file__).parent.parent/"scripts/flow_vs_glow.py"

def test_flow_vs_glow_runs_both_and_prints_ratios(fake_data, tmp_path):
    cores = "0,1" if len(os.sched_getaffinity(0)) > 1 else "0,0"
    r = subprocess.run([sys.executable, str(SCRIPT), "--data-dir", str(fake_data), "--out", str(tmp_path), "--minutes", "0.03,0.06",
                        "--test-images", "40", "--glow-levels", "2", "--glow-steps", "1", "--glow-hidden", "8", "--cores", cores,
                        "--genlib-config", "architecture=glow num_scales=2 glow_steps=1 features=8 optimizer=adamax batch_size=16 limit_val_batches=1"],
                       capture_output=True, text=True, timeout=600, env=clean_env())
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path/"flow_vs_glow.json").read_text())
    for w in ("genlib", "glow"):
        rows = res[w]["rows"]
        assert [row["minutes"] for row in rows] == [0.03, 0.06] and all(row["steps"] > 0 and 0 < row["test_bpd"] < 16 for row in rows), rows
        assert rows[1]["steps"] > rows[0]["steps"]
    a, b = res["genlib"]["rows"][1], res["glow"]["rows"][1]
    assert f"| 0.06 | {a['steps']:,} | {a['test_bpd']:.3f}" in r.stdout and f"| {a['test_bpd']/b['test_bpd']:.3f} |" in r.stdout, r.stdout
