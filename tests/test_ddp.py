"Multi-process training through Lightning's DDP strategy on CPU (gloo): it must finish, not hang, also with FID tracking."
import os, signal, subprocess, json
import pytest
from conftest import GENLIB, clean_env, SMALL

def train_ddp(model, data, out, *args, timeout=240):
    "Run `genlib train MODEL` on 2 CPU processes; fail with its output if it fails or hangs."
    p = subprocess.Popen([GENLIB, "train", model, "--data-dir", str(data), "--accelerator", "cpu", "--devices", "2",
                          "--strategy", "ddp", "--epochs", "2", "--batch-size", "8", "--limit-batches", "5",
                          "--out", str(out), "--no-progress", *map(str, args)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=clean_env(), start_new_session=True)
    try: out_text, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL); out_text, _ = p.communicate()
        raise AssertionError(f"DDP training of {model} hung (a collective call on one rank only?):\n" + out_text[-3000:])
    assert p.returncode == 0, out_text[-3000:]

def test_ddp_two_processes_on_cpu(fake_data, tmp_path):
    # each process reconstructs its 40 validation images; the FID metric adds both processes' features
    train_ddp("ae", fake_data, tmp_path, "--fid-every", 1, "--fid-samples", 80, "--extractor", "random-cnn")
    run = tmp_path/"ae"/"version_0"
    assert not (tmp_path/"ae"/"version_1").exists(), "both processes must write into one run folder"
    m = json.loads((run/"metrics.json").read_text())
    assert m["world_size"] == 2 and m["global_step"] == 10 and m["val"]["mse"] > 0 and m["test"]["mse"] > 0
    assert m["monitor"] == "val/fid" and m["val"]["fid"] > 0 and m["best_score"] <= m["val"]["fid"] + 1e-9
    assert (run/"checkpoints/best.ckpt").exists() and (run/"images/reconstructions_epoch001.png").exists()

def test_gan_ddp_two_processes_on_cpu(fake_data, tmp_path):
    "Manual optimisation under DDP: the D step leaves G's parameters without gradients, which plain DDP rejects."
    train_ddp("gan", fake_data, tmp_path, "--fid-every", 1, "--fid-samples", 80, "--extractor", "random-cnn",
              "--g-channels", "32,16,16,8", "--d-channels", "8,16,16,32", "--ema", 0.9)
    m = json.loads((tmp_path/"gan"/"version_0"/"metrics.json").read_text())
    # two optimiser steps per batch, 5 batches per epoch on each process
    assert m["world_size"] == 2 and m["global_step"] == 20 and m["val"]["fid"] > 0 and "d_loss" in m["test"]

@pytest.mark.parametrize("model, args", [
    ("vae", ["--channels", "8,16,32", "--latent-dim", 8, "--conditional"]),  # the latent density is fitted to codes gathered from both processes; labels on
    ("realnvp", ["--blocks", 1, "--features", 8]),          # batch norm in the s,t networks, weight-normalised convolutions
    ("realnvp", ["--architecture", "glow", "--num-scales", 2, "--glow-steps", 1, "--features", 8]),  # actnorm starts from statistics all-reduced over both processes
    ("fm", [*SMALL["fm"], "--conditional"]),  # the weight average moves on every process alike; each process drops its own labels
])
def test_vae_and_flows_ddp_two_processes_on_cpu(model, args, fake_data, tmp_path):
    train_ddp(model, fake_data, tmp_path, *args)
    run = tmp_path/model/"version_0"
    m = json.loads((run/"metrics.json").read_text())
    assert m["world_size"] == 2 and m["global_step"] == 10 and m["val"]["loss"] > 0 and m["test"]["loss"] > 0
    assert (run/"checkpoints/best.ckpt").exists() and (run/"images/samples_epoch001.png").exists()
