"""FID, KID and sampling time of one checkpoint at several sampler settings, in one process (`32_flow_matching_experiments`).

    python scripts/fid_vs_steps.py CKPT OUT.json euler:2 heun:5 ... [--n 1000] [--extractor cifar]

`n` samples against the 10,000 test images in the feature space of genlib's CIFAR-10 classifier (`--extractor cifar`,
the default; its reference is the test split, see nbs/11_fid_scores.ipynb), through `genlib.scores.model_scores`, the function
`genlib evaluate --metrics fid,kid` uses; KID against the first `n` test images. The seconds are those of
`model_scores` (sampling, and the extractor's features, a small part of it). Results are written after each setting."""
import argparse, json, time
import torch
from genlib.core import atomic_write_json
from genlib.evaluation import load_module
from genlib.fid import get_extractor, default_reference, describe_extractor
from genlib.fid_scores import reference_stats, reference_features
from genlib.scores import ScoringSetup, model_scores

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("ckpt"); p.add_argument("out"); p.add_argument("settings", nargs="+", help="SOLVER:STEPS")
    p.add_argument("--n", type=int, default=1000, help="samples per setting")
    p.add_argument("--extractor", default="cifar", help="feature space: cifar, inception, random-cnn (see genlib evaluate)")
    a = p.parse_args(argv)
    m, fx = load_module(a.ckpt), get_extractor(a.extractor)
    split = default_reference(fx)
    ref, real_f = reference_stats(split, fx, progress=False), reference_features(split, fx, a.n, progress=False)
    rows = []
    for s in a.settings:
        solver, steps = s.split(":")
        opts = {"solver": solver, "steps": int(steps)}
        t0 = time.perf_counter()
        sc = model_scores(m, ["fid", "kid"], ScoringSetup(a.n, fx, reference=ref, real_features=real_f), progress=False, sample_options=opts)
        rows.append({**opts, "fid": sc["metrics"]["fid"], "kid": sc["metrics"]["kid"], "seconds": time.perf_counter() - t0, "n_samples": a.n,
                     "reference": split, "extractor": describe_extractor(fx)["name"], "threads": torch.get_num_threads()})
        print(rows[-1], flush=True)
        atomic_write_json(rows, a.out)

if __name__ == "__main__": main()
