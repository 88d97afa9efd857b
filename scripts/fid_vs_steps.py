"""FID and sampling time of one checkpoint at several sampler settings, in one process (`16c_flow_matching_experiments`).

    python scripts/fid_vs_steps.py CKPT OUT.json euler:2 heun:5 ... [--n 1000]

FID: `n` samples against the 50,000 official training images in the random CNN's feature space (seed 0), through
`genlib.fid.model_scores`, the function `genlib evaluate --metrics fid` uses. The seconds are those of `model_scores`
(sampling, and the random CNN's features, which take about 1% of it). Results are written after each setting."""
import sys, json, time
import torch
from genlib.evaluation import load_module
from genlib.fid import RandomCNN, reference_stats, model_scores

def main(args):
    n = int(args[args.index("--n") + 1]) if "--n" in args else 1000
    args = [a for i, a in enumerate(args) if a != "--n" and (i == 0 or args[i - 1] != "--n")]
    ckpt, out, settings = args[0], args[1], args[2:]
    m, fx = load_module(ckpt), RandomCNN(seed=0)
    ref = reference_stats("full-train", fx, progress=False)
    rows = []
    for s in settings:
        solver, steps = s.split(":")
        opts = {"solver": solver, "steps": int(steps)}
        t0 = time.perf_counter()
        sc = model_scores(m, fx, n, reference=ref, seed=0, progress=False, sample_options=opts)
        rows.append({**opts, "fid": sc["metrics"]["fid"], "seconds": time.perf_counter() - t0, "n_samples": n,
                     "threads": torch.get_num_threads()})
        print(rows[-1], flush=True)
        with open(out, "w") as f: json.dump(rows, f, indent=1)

if __name__ == "__main__": main(sys.argv[1:])
