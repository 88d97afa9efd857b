"""FID and sampling time of one checkpoint at several sampler settings, in one process (`16c_flow_matching_experiments`).

    python scripts/fid_vs_steps.py CKPT OUT.json euler:2 heun:5 ... [--n 1000]

FID: `n` samples against the 50,000 official training images in the random CNN's feature space (seed 0), through
`genlib.fid.model_scores`, the function `genlib evaluate --metrics fid` uses. The seconds are those of `model_scores`
(sampling, and the random CNN's features, which take about 1% of it). Results are written after each setting."""
import argparse, json, time
import torch
from genlib.core import atomic_write_json
from genlib.evaluation import load_module
from genlib.fid import RandomCNN, reference_stats, model_scores

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("ckpt"); p.add_argument("out"); p.add_argument("settings", nargs="+", help="SOLVER:STEPS")
    p.add_argument("--n", type=int, default=1000, help="samples per setting")
    a = p.parse_args(argv)
    m, fx = load_module(a.ckpt), RandomCNN(seed=0)
    ref = reference_stats("full-train", fx, progress=False)
    rows = []
    for s in a.settings:
        solver, steps = s.split(":")
        opts = {"solver": solver, "steps": int(steps)}
        t0 = time.perf_counter()
        sc = model_scores(m, fx, a.n, reference=ref, seed=0, progress=False, sample_options=opts)
        rows.append({**opts, "fid": sc["metrics"]["fid"], "seconds": time.perf_counter() - t0, "n_samples": a.n,
                     "threads": torch.get_num_threads()})
        print(rows[-1], flush=True)
        atomic_write_json(rows, a.out)

if __name__ == "__main__": main()
