"""Benchmark: genlib FID and SSIM against torchmetrics, measured side by side in one run on the same inputs.

    python scripts/bench_metrics.py [--features 2048] [--n 5000] [--images 2000] [--repeats 3] [--device cpu|cuda]

Prints the median time of each and the ratio genlib/torchmetrics (< 1: genlib is faster): FID end to end (streaming
updates of both feature sets, then compute), the Fréchet distance alone (the matrix square root), and SSIM. Not a test: timings on a
shared machine are noisy, which is why both run interleaved in one process on identical inputs.
"""
import argparse, statistics, time, warnings
import torch
from torch import nn
from torchmetrics.image import StructuralSimilarityIndexMeasure
from torchmetrics.image.fid import FrechetInceptionDistance, _compute_fid
from genlib.metrics import FID, FeatureStats, frechet_distance, ssim

warnings.filterwarnings("ignore", ".*compute.*before the .update.*")

class Features(nn.Module):
    "Stand-in extractor: the 'images' are already feature vectors (so only FID's own work is timed)."
    def __init__(self, d): super().__init__(); self.num_features = d
    def forward(self, x): return x

def timed(fn, device):
    if device.type == "cuda": torch.cuda.synchronize()
    t = time.perf_counter(); out = fn()
    if device.type == "cuda": torch.cuda.synchronize()
    return time.perf_counter() - t, out

def fid_run(cls, real, fake, d, device, chunk=500):
    m = (FID(Features(d)) if cls == "genlib" else FrechetInceptionDistance(feature=Features(d))).to(device)
    for i in range(0, len(real), chunk): m.update(real[i:i + chunk], real=True); m.update(fake[i:i + chunk], real=False)
    return float(m.compute())

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=int, default=2048); ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--images", type=int, default=2000); ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = ap.parse_args()
    dev = torch.device(a.device)
    g = torch.Generator().manual_seed(0)
    # Inception-like features: non-negative, correlated
    mix = torch.randn(a.features, a.features, generator=g)/a.features**0.5
    real = (torch.randn(a.n, a.features, generator=g) @ mix).relu().to(dev)
    fake = (torch.randn(a.n, a.features, generator=g) @ mix*1.1 + 0.05).relu().to(dev)
    x = torch.rand(a.images, 3, 32, 32, generator=g).to(dev)
    y = (x + 0.1*torch.randn(x.shape, generator=g).to(dev)).clamp(0, 1)
    tm_ssim = StructuralSimilarityIndexMeasure(gaussian_kernel=True, sigma=1.5, kernel_size=11, data_range=1.0).to(dev)

    sr, sf = FeatureStats.from_features(real), FeatureStats.from_features(fake)
    def fid_distance_genlib():  # a fresh copy: no cached square root
        return frechet_distance(FeatureStats(sr.mean, sr.cov, sr.n), sf)
    times = {k: [] for k in ("fid genlib", "fid torchmetrics", "distance genlib", "distance torchmetrics", "ssim genlib", "ssim torchmetrics")}
    vals = {}
    for _ in range(a.repeats):  # interleaved, so drifting machine load hits both alike
        for k, fn in (("fid genlib", lambda: fid_run("genlib", real, fake, a.features, dev)),
                      ("fid torchmetrics", lambda: fid_run("tm", real, fake, a.features, dev)),
                      ("distance genlib", fid_distance_genlib),
                      ("distance torchmetrics", lambda: float(_compute_fid(sr.mean, sr.cov, sf.mean, sf.cov))),
                      ("ssim genlib", lambda: float(ssim(x, y, border="reflect"))),
                      ("ssim torchmetrics", lambda: (tm_ssim.reset(), float(tm_ssim(x, y)))[1])):
            t, vals[k] = timed(fn, dev); times[k].append(t)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"device {dev}; FID: {a.n} + {a.n} feature vectors of size {a.features}; SSIM: {a.images} pairs of 32x32 RGB images; "
          f"median of {a.repeats}")
    for m in ("fid", "distance", "ssim"):
        g_, t_ = med[f"{m} genlib"], med[f"{m} torchmetrics"]
        print(f"{m.upper():8s} genlib {g_*1e3:9.1f} ms   torchmetrics {t_*1e3:9.1f} ms   ratio genlib/torchmetrics {g_/t_:.2f}   "
              f"(values {vals[f'{m} genlib']:.6g} vs {vals[f'{m} torchmetrics']:.6g})")

if __name__ == "__main__": main()
