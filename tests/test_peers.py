"scripts/peers.py end to end on fake data: genlib and its peer train side by side, every budget of both is scored in the same way, and the table prints the ratio."
import pytest
import json, os, subprocess, sys
from pathlib import Path
from conftest import clean_env

SCRIPT = Path(__file__).parent.parent/"scripts/peers.py"

def test_flow_matching_against_torchcfm_runs_both_and_prints_ratios(fake_data, tmp_path):
    cores = "0,1" if len(os.sched_getaffinity(0)) > 1 else "0,0"
    r = subprocess.run([sys.executable, str(SCRIPT), "fm", "--data-dir", str(fake_data), "--out", str(tmp_path), "--minutes", "0.03,0.06",
                        "--samples", "70", "--sampler-steps", "2", "--extractors", "random-cnn,nope", "--reference", "full-train", "--batch-size", "16", "--cores", cores,
                        "--unet", "channels=32 channel_mults=1,1 blocks=1 attention=16 heads=1 dropout=0"],  # torchcfm's group norm needs 32 channels
                       capture_output=True, text=True, timeout=600, env=clean_env())
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path/"peers_fm.json").read_text())
    assert res["genlib"]["parameters"]["genlib"] == res["peer"]["parameters"]["torchcfm"] > 0  # the same U-Net on both sides
    for side, names in (("genlib", {"genlib", "genlib live"}), ("peer", {"torchcfm", "torchcfm EMA"})):
        rows = res[side]["rows"]
        assert {row["side"] for row in rows} == names and {row["space"] for row in rows} == {"random-cnn"}, rows
        assert sorted({row["minutes"] for row in rows}) == [0.03, 0.06] and all(row["steps"] > 0 and row["fid"] > 0 for row in rows), rows
        assert all({"kid", "precision", "recall"} <= row.keys() for row in rows)
    g = next(row for row in res["genlib"]["rows"] if row["side"] == "genlib" and row["minutes"] == 0.06)
    best = min(row["fid"] for row in res["peer"]["rows"] if row["minutes"] == g["minutes"])
    assert f"| random-cnn | FID | 0.06 | {g['steps']:,} |" in r.stdout and f"| {g['fid']:.2f} |" in r.stdout and f"| {g['fid']/best:.3f} |" in r.stdout, r.stdout
    assert "no nope feature space here" in r.stdout  # a feature space this machine lacks is named and left out

@pytest.mark.parametrize("pair, extra, peer_sides", [("vae", [], {"pythae", "pythae GMM"}), ("gan", [], {"plain loop"}),
                                                    ("gan", ["--against", "lr=1e-3"], {"genlib (lr=1e-3)"})])  # an ablation: genlib in the peer's place
def test_the_other_pairs_run_both_sides(pair, extra, peer_sides, fake_data, tmp_path):
    cores = "0,1" if len(os.sched_getaffinity(0)) > 1 else "0,0"
    r = subprocess.run([sys.executable, str(SCRIPT), pair, "--data-dir", str(fake_data), "--out", str(tmp_path), "--minutes", "0.03",
                        "--samples", "70", "--extractors", "random-cnn", "--reference", "full-train", "--batch-size", "16", "--cores", cores, *extra],
                       capture_output=True, text=True, timeout=600, env=clean_env())
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path/f"peers_{pair}.json").read_text())
    if extra:
        assert res["config"]["peer"] == "genlib with lr=1e-3"
        lrs = [next((tmp_path/d).glob("**/hparams.yaml")).read_text().count("lr: 0.001\n") for d in ("genlib_run", "against/genlib_run")]
        assert lrs == [0, 1], lrs  # the change reached the second run only
    assert {row["side"] for row in res["peer"]["rows"]} == peer_sides and {row["side"] for row in res["genlib"]["rows"]} == {"genlib"}
    sizes = [*res["genlib"]["parameters"].values(), *res["peer"]["parameters"].values()]
    assert max(sizes) - min(sizes) <= 3, sizes  # networks of one size (genlib's VAE also learns a pixel sigma per channel)
    assert all(row["steps"] > 0 and row["fid"] > 0 for side in ("genlib", "peer") for row in res[side]["rows"])
    if pair == "gan":  # steps are batches: Lightning's global_step counts both of the GAN's optimiser steps
        ran = json.loads(next((tmp_path/"genlib_run").glob("gan/version_*/metrics.json")).read_text())["global_step"]
        assert ran == 2*res["genlib"]["rows"][-1]["steps"], (ran, res["genlib"]["rows"])
