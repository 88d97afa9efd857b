"Kill a training run mid-epoch and resume it: nothing is lost, and it ends where an uninterrupted run ends. Kill checkpoint writers mid-write: the previous checkpoint stays loadable."
import os, time, signal, random, subprocess, multiprocessing as mp, torch, pytest
from pathlib import Path
from conftest import genlib, GENLIB, clean_env
from genlib.errors import GenlibError
from genlib.callbacks import AtomicCheckpointIO
from genlib.core import read_checkpoint
from genlib.compare import read_scalars

ARGS = ["--epochs", 3, "--batch-size", 8, "--ckpt-every", 5, "--seed", 1, "--deterministic", "--no-progress", "--no-test"]

# the VAE draws its posterior noise from the step generator (as the flows and the GAN do): its resume is bitwise too;
# it runs conditional, so the labels of the resumed batches must be the same ones too
@pytest.mark.parametrize("model,extra", [("ae", ["--latent-dim", 8, "--channels", "8,16,32"]), ("vae", ["--latent-dim", 8, "--channels", "8,16,32", "--conditional"])])
def test_sigkill_then_resume_matches_uninterrupted(fake_data, tmp_path, model, extra):
    killed, straight, args = tmp_path/"killed", tmp_path/"straight", [*ARGS, *extra]
    p = subprocess.Popen([GENLIB, "train", model, "--data-dir", str(fake_data), "--out", str(killed), *map(str, args)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=clean_env())
    last = killed/f"{model}/version_0/checkpoints/last.ckpt"
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

    stale = last.parent/".last.ckpt.killed.tmp"; stale.write_bytes(b"half")  # as a kill mid-write leaves it
    genlib("train", model, "--data-dir", fake_data, "--out", killed, "--resume", *args)
    assert not stale.exists(), "the resumed run removes temporary files of killed writes"
    assert not (killed/f"{model}/version_1").exists(), "resume must continue the same run folder"
    genlib("train", model, "--data-dir", fake_data, "--out", straight, *args)
    a = read_checkpoint(killed/f"{model}/version_0/checkpoints/last.ckpt")
    b = read_checkpoint(straight/f"{model}/version_0/checkpoints/last.ckpt")
    assert a["global_step"] == b["global_step"] == 3*steps_per_epoch
    for k in b["state_dict"]:
        torch.testing.assert_close(a["state_dict"][k], b["state_dict"][k], rtol=0, atol=1e-6, msg=f"weights differ: {k}")
    # the epoch means of the training loss continue across the kill: the epoch that was cut matches too
    (sa, va), (sb, vb) = (read_scalars(d/f"{model}/version_0")["train/loss_epoch"] for d in (killed, straight))
    assert sa == sb and len(sa) == 3, (sa, sb)
    torch.testing.assert_close(torch.tensor(va), torch.tensor(vb), rtol=1e-5, atol=0)

def _write_forever(path, payload, atomic, state):
    "Write checkpoints {'step': i, 'w': payload, 'check': i} in a loop; `state` = [checkpoints finished, 1 while writing]."
    io = AtomicCheckpointIO()
    while True:
        i = state[0] + 1; state[1] = 1
        ck = {"step": i, "w": payload, "check": torch.tensor(i)}
        io.save_checkpoint(ck, path) if atomic else torch.save(ck, path)
        state[1] = 0; state[0] = i

def kill_writers(path, atomic:bool, kills:int):
    "SIGKILL a checkpoint writer `kills` times at random moments; returns (kills that landed mid-write, kills that left `path` unreadable)."
    ctx = mp.get_context("fork")  # starts at once, torch already imported; the child runs no parallel kernels
    payload, state = torch.randn(4_000_000), ctx.Array("q", [0, 0], lock=False)  # a 16 MB checkpoint
    rng, mid, broken = random.Random(0), 0, 0
    for _ in range(kills):
        done = state[0]
        p = ctx.Process(target=_write_forever, args=(path, payload, atomic, state)); p.start()
        t0 = time.time()
        while state[0] < done + 1:  # one complete checkpoint first: there is a previous one to protect
            assert p.is_alive() and time.time() - t0 < 60, "the writer wrote nothing"
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.05)); p.kill(); p.join()
        mid += state[1]; state[1] = 0
        try:
            ck = read_checkpoint(path)
            assert torch.equal(ck["w"], payload) and int(ck["check"]) == ck["step"] > done, "a mixed checkpoint"
        except GenlibError as e:
            assert "is truncated or corrupt" in str(e), e  # a clear error, not an unpickling traceback
            broken += 1
    return mid, broken

def test_kill_during_checkpoint_write_keeps_previous(tmp_path):
    mid, broken = kill_writers(tmp_path/"last.ckpt", atomic=True, kills=8)
    assert mid >= 4, f"only {mid} of 8 kills landed during a write: the test did not test it"
    assert broken == 0, f"{broken} kills during atomic writes left an unreadable checkpoint"
    # the control: a plain torch.save into the target loses the checkpoint this way (so the check above can fail)
    mid, broken = kill_writers(tmp_path/"plain.ckpt", atomic=False, kills=8)
    assert broken >= 1, f"no plain write was left truncated in {mid} mid-write kills"
