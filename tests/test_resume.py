"Kill a training run mid-epoch and resume it: nothing is lost, and it ends where an uninterrupted run ends."
import os, time, signal, subprocess, torch
from pathlib import Path
from conftest import genlib, GENLIB, clean_env
from genlib.trainer import read_checkpoint

ARGS = ["--epochs", 3, "--batch-size", 8, "--ckpt-every", 5, "--seed", 1, "--deterministic", "--no-progress", "--no-test"]

def test_sigkill_then_resume_matches_uninterrupted(fake_data, tmp_path):
    killed, straight = tmp_path/"killed", tmp_path/"straight"
    p = subprocess.Popen([GENLIB, "train", "ae", "--data-dir", str(fake_data), "--out", str(killed), *map(str, ARGS)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=clean_env())
    last = killed/"ae/version_0/checkpoints/last.ckpt"
    t0 = time.time()
    while not last.exists():
        assert p.poll() is None, "training ended before it wrote a checkpoint"
        assert time.time() - t0 < 300, "no checkpoint after 300 s"
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL); p.wait()
    step_at_kill = read_checkpoint(last)["global_step"]  # the checkpoint left behind is complete and loadable
    steps_per_epoch = 320//8  # 400 fake training images, 80 of them held out for validation
    assert 0 < step_at_kill < 3*steps_per_epoch, step_at_kill
    assert step_at_kill % steps_per_epoch != 0, "killed on an epoch boundary: this test wants a mid-epoch kill"

    genlib("train", "ae", "--data-dir", fake_data, "--out", killed, "--resume", *ARGS)
    assert not (killed/"ae/version_1").exists(), "resume must continue the same run folder"
    genlib("train", "ae", "--data-dir", fake_data, "--out", straight, *ARGS)
    a = read_checkpoint(killed/"ae/version_0/checkpoints/last.ckpt")
    b = read_checkpoint(straight/"ae/version_0/checkpoints/last.ckpt")
    assert a["global_step"] == b["global_step"] == 3*steps_per_epoch
    for k in b["state_dict"]:
        torch.testing.assert_close(a["state_dict"][k], b["state_dict"][k], rtol=0, atol=1e-6, msg=f"weights differ: {k}")
