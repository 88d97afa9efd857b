"The FID Inception weights: the real file when this machine has it, and the clear error when it has not."
import os
from pathlib import Path
import pytest, torch
from genlib.fid import FIDInceptionV3, INCEPTION_FILE, INCEPTION_SHA256_PREFIX, file_sha256
from conftest import genlib

@pytest.mark.skipif(not os.environ.get("GENLIB_INCEPTION_WEIGHTS"),
                    reason="GENLIB_INCEPTION_WEIGHTS is not set: the 91 MB Inception weights are not on this machine (`genlib weights` fetches them)")
def test_real_inception_weights():
    inc = FIDInceptionV3()  # found through GENLIB_INCEPTION_WEIGHTS
    assert inc.meta["weights_sha256"] == file_sha256(os.environ["GENLIB_INCEPTION_WEIGHTS"])
    assert inc.meta["weights_sha256"].startswith(INCEPTION_SHA256_PREFIX)
    torch.manual_seed(0)
    f, logits = inc.features_and_logits(torch.rand(8, 3, 32, 32))
    assert f.shape == (8, 2048) and logits.shape == (8, 1008)
    assert (f >= 0).all() and f.mean() > 0.01  # pool3 is an average of ReLUs; random weights would not be this
    # trained weights classify: predictions are confident, unlike a random network's
    assert logits.softmax(1).max(1).values.mean() > 0.05

@pytest.fixture
def ae_checkpoint(fake_data, tmp_path):
    genlib("train", "ae", "--data-dir", fake_data, "--epochs", 1, "--limit-batches", 2, "--batch-size", 32,
           "--out", tmp_path/"runs", "--no-progress", "--no-test")
    return tmp_path/"runs/ae/version_0/checkpoints/best.ckpt"

def test_offline_error_names_the_file(ae_checkpoint, fake_data, tmp_path):
    env = {"TORCH_HOME": str(tmp_path/"empty-torch-home"), "GENLIB_INCEPTION_WEIGHTS": "", "GENLIB_OFFLINE": "1"}
    r = genlib("evaluate", ae_checkpoint, "--data-dir", fake_data, "--metrics", "fid", "--extractor", "inception", check=False, env=env)
    assert r.returncode == 2, r.stderr
    err = r.stderr.strip().splitlines()[-1]
    assert err.startswith("genlib: error: FID needs the InceptionV3 weights file " + INCEPTION_FILE)
    assert str(tmp_path/"empty-torch-home") in err and "--inception-weights" in err and "GENLIB_INCEPTION_WEIGHTS" in err
    # the same with downloads allowed: offline (as in CI) the failed download gives the same clear error
    env.pop("GENLIB_OFFLINE")
    r = genlib("evaluate", ae_checkpoint, "--data-dir", fake_data, "--metrics", "fid", "--extractor", "inception", check=False, env=env, timeout=600)
    assert r.returncode == 2, r.stderr  # online the weights arrive, and 400 fake reference images are too few for 2048 features
    assert (INCEPTION_FILE in r.stderr and "could not be downloaded" in r.stderr) or "FID needs at least 2049" in r.stderr, r.stderr

def test_custom_extractor_offline(ae_checkpoint, fake_data, tmp_path):
    r = genlib("evaluate", ae_checkpoint, "--data-dir", fake_data, "--split", "train", "--metrics", "fid,fid_recon,is,ssim",
               "--n-samples", 200, "--extractor", "random-cnn", "--reference", "val", env={"GENLIB_OFFLINE": "1"})
    import json
    res = json.loads(r.stdout)
    assert res["metrics"]["fid"] > 0 and 0 < res["metrics"]["ssim"] < 1
    w = res["measured_with"]["fid"]
    assert w["extractor"]["name"] == "random-cnn" and w["reference"] == {"dataset": "CIFAR-10", "split": "val", "n": 80}
    assert w["n_samples"] == 200 and w["source"] == "samples"  # the AE samples through its latent density
    assert res["metrics"]["fid_recon"] > 0 and res["measured_with"]["fid_recon"]["source"] == "reconstructions"
