"""FID of real images in the standard Inception features, against the 10,000 test images: the floor (validation images,
which no network here has seen) at 2,500, 5,000 and 10,000 images; what one more JPEG pass at quality 75 does to it; and
three degraded sets of 2,500 images beside genlib's CIFAR-10 classifier and the random CNN (23_feature_spaces shows them).

    GENLIB_DATA=DIR python scripts/inception_real_images.py [--out results/inception/real_images.json] [--cache runs/inception_features]

FID needs more images than features (2,049 in Inception's 2,048), so the smallest count is 2,500. Features are cached per
set under --cache, so a run that was stopped continues. About 32,500 Inception passes (with the test images'): an hour on one CPU core."""
import argparse, json, os, platform, sys, time
from pathlib import Path
import torch
from genlib.data import data_description
from genlib.datamodule import CIFAR10DataModule
from genlib.fid import FIDInceptionV3, RandomCNN, describe_extractor
from genlib.classifier import CIFAR10Features
from genlib.fid_scores import reference_stats, image_features
from genlib.metrics import FeatureStats, frechet_distance
from genlib.feature_spaces import noisy, blurred, jpeg

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("--out", default="results/inception/real_images.json"); p.add_argument("--cache", default="runs/inception_features")
p.add_argument("--data-dir", default=None); p.add_argument("--inception-weights", default=None)
args = p.parse_args()
t0, cache = time.time(), Path(args.cache); cache.mkdir(parents=True, exist_ok=True)
dm = CIFAR10DataModule(args.data_dir, progress=False); dm.prepare_data(); dm.setup()
val, val_y = dm.tensors["val"]; test = dm.tensors["test"][0]
SMALL = 2500
SETS = {"validation images (the floor)": lambda: val,
        "validation images, one more JPEG pass at quality 75": lambda: jpeg(val[:5000], 75),
        "noise, sigma 0.05": lambda: noisy(val[:SMALL], 0.05),
        "blur, sigma 1.0 px": lambda: blurred(val[:SMALL], 1.0),
        "5 classes kept": lambda: val[val_y < 5][:SMALL]}
EXTRACTORS = {"Inception": FIDInceptionV3(args.inception_weights), "CIFAR-10 classifier": CIFAR10Features(), "random CNN": RandomCNN(seed=0)}

def features(name, fx, key, images):
    f = cache/f"{name.replace(' ', '_')}--{key.split(' (')[0].replace(' ', '_').replace(',', '')}.pt"
    if f.exists(): return torch.load(f)
    out = image_features(fx, images(), 250, desc=f"{name}: {key}")[0]
    torch.save(out, f); return out

res = {"what": "FID against the 10,000 test images; the first N images of each set (the splits mix the classes)",
       "data": data_description(args.data_dir), "hardware": f"CPU ({platform.machine()}, {os.cpu_count()} cores), {torch.get_num_threads()} threads",
       "command": " ".join(["python", *sys.argv]), "extractors": {}, "fid": {}}
for name, fx in EXTRACTORS.items():
    res["extractors"][name] = describe_extractor(fx)
    ref = reference_stats("test", fx, args.data_dir, progress=True)
    out = res["fid"][name] = {}
    for key, images in SETS.items():
        if name != "Inception" and key.startswith("validation images, one more"): continue
        f = features(name, fx, key, images)
        for n in (SMALL, 5000, 10000):
            if n <= len(f) and (n == SMALL or key.startswith("validation")):
                out.setdefault(key, {})[str(n)] = frechet_distance(ref, FeatureStats.from_features(f[:n]))
    print(name, json.dumps(out, indent=1), flush=True)
res["minutes"] = round((time.time() - t0)/60, 1)
Path(args.out).parent.mkdir(parents=True, exist_ok=True)
Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
print(f"wrote {args.out} ({res['minutes']} min)")
