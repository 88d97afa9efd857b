"""Read-backs in the training steps of every model: genlib's counter of the quiet steps (`genlib.bench.count_readbacks`)
and, on a GPU, PyTorch's own report of every synchronisation of the whole run (`torch.cuda.set_sync_debug_mode("warn")`:
validation, logging and checkpoint steps synchronise by design, so that count is not zero; its messages say where).
OUT is rewritten after every model.

    python3 scripts/gpu/readbacks.py OUT.json [--models all] [--steps 30] [--batch-size 128]
"""
import argparse, collections, os, warnings
import torch
from genlib.bench import count_readbacks
from genlib.core import atomic_write_json, error_summary
from genlib.model import model_names

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("out"); p.add_argument("--models", default="all"); p.add_argument("--steps", type=int, default=30); p.add_argument("--batch-size", type=int, default=128)
args = p.parse_args()
res, failed = {}, []
for name in model_names() if args.models == "all" else args.models.split(","):
    try:
        cuda = torch.cuda.is_available()
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            if cuda: torch.cuda.set_sync_debug_mode("warn")
            try: c = count_readbacks(name, os.environ.get("GENLIB_DATA"), steps=args.steps, batch_size=args.batch_size)
            finally:
                if cuda: torch.cuda.set_sync_debug_mode(0)
        syncs = collections.Counter(str(w.message).splitlines()[0][:160] for w in seen if "synchroniz" in str(w.message))
        res[name] = {"calls": dict(c.calls), "quiet_steps": c.quiet_steps, "other_steps": c.other_steps,
                     "sync_debug_whole_run": dict(syncs.most_common(10)) if cuda else "not on CUDA"}
        print(f"read-backs  {name:8s} {sum(c.calls.values())} in {c.quiet_steps} quiet steps", dict(c.calls), flush=True)
    except Exception as e:  # one model's failure is recorded; the others are still counted
        res[name] = {"error": error_summary(e)}; failed.append(name)
        print(f"read-backs  {name:8s} FAILED: {res[name]['error']}", flush=True)
    atomic_write_json(res, args.out)
raise SystemExit(f"read-backs failed for {', '.join(failed)}" if failed else 0)
