"""genlib's flow against normflows' Glow at equal wall-clock time, side by side on this machine.

Both train at once, one core each, on the same 40k training images; each saves a snapshot when its training has run for
each budget (10, 20, 30 minutes by default, timed from the start of its training call, so genlib's count includes its
validation and checkpoints). Afterwards every snapshot is scored on the same test images with the same dequantisation
noise: bits/dim of the uniformly dequantised images, (k + u)/256, the number flow papers report. The table prints
genlib's bits/dim over Glow's at each budget.

    python scripts/flow_vs_glow.py --data-dir $GENLIB_DATA --out runs/flow_vs_glow
"""
import argparse, json, math, os, subprocess, sys, time
from pathlib import Path
import torch
import lightning as L
from genlib.core import to_float, atomic_torch_save
from genlib.metrics import bits_per_dim
from genlib.flow_layers import dequantize

GENLIB_CONFIG = ("architecture=glow num_scales=3 glow_steps=4 features=128 optimizer=adamax lr=1e-3 warmup_steps=200 "
                 "batch_size=64 limit_val_batches=4")  # what the README suggests for a CPU budget

def parse_config(text:str) -> dict:
    "'a=1 b=glow c=1e-3 d=true' -> {'a': 1, 'b': 'glow', 'c': 0.001, 'd': True}."
    def value(v):
        for t in (int, float):
            try: return t(v)
            except ValueError: pass
        return {"true": True, "false": False}.get(v.lower(), v)
    out = {}
    for item in text.split():
        k, sep, v = item.partition("=")
        if not sep: raise SystemExit(f"--genlib-config: {item!r} is not key=value")
        out[k.replace("-", "_")] = value(v)
    return out

def make_glow(levels:int, steps:int, hidden:int):
    "normflows' multi-scale Glow for 3x32x32 images, as in its CIFAR-10 example (unconditional: one DiagGaussian per level)."
    import normflows as nf
    q0, merges, flows, shape = [], [], [], (3, 32, 32)
    for i in range(levels):
        flows.append([nf.flows.GlowBlock(3*2**(levels + 1 - i), hidden, split_mode="channel", scale=True) for _ in range(steps)] + [nf.flows.Squeeze()])
        if i > 0:
            merges.append(nf.flows.Merge())
            latent = (shape[0]*2**(levels - i), shape[1]//2**(levels - i), shape[2]//2**(levels - i))
        else: latent = (shape[0]*2**(levels + 1), shape[1]//2**levels, shape[2]//2**levels)
        q0.append(nf.distributions.DiagGaussian(latent))
    return nf.MultiscaleFlow(q0, flows, merges, class_cond=False)

def data(data_dir):
    from genlib.datamodule import CIFAR10DataModule
    dm = CIFAR10DataModule(data_dir, progress=False); dm.prepare_data(); dm.setup()
    return dm.tensors["train"][0], dm.tensors["test"][0]

def train_glow(args, out:Path, budgets:list):
    train_x, _ = data(args.data_dir)
    torch.manual_seed(args.seed)
    model = make_glow(args.glow_levels, args.glow_steps, args.glow_hidden)
    opt = torch.optim.Adamax(model.parameters(), lr=args.glow_lr, weight_decay=1e-5)  # the example's optimiser
    g, step, snaps, t0 = torch.Generator().manual_seed(args.seed), 0, [], time.monotonic()
    while budgets:
        for idx in torch.randperm(len(train_x), generator=g).split(args.glow_batch_size):
            y = dequantize(to_float(train_x[idx]), g)
            loss = model.forward_kld(y)
            opt.zero_grad(set_to_none=True)
            if torch.isfinite(loss): loss.backward(); opt.step()  # as the example does: a bad batch is skipped
            step += 1
            if time.monotonic() - t0 >= budgets[0]*60:
                m = budgets.pop(0); path = out/f"glow_{m:g}min.pt"
                atomic_torch_save(model.state_dict(), path); snaps.append((m, step, path))
                if not budgets: break
    return model, snaps

class Snapshots(L.Callback):
    """Save the weights when training has run for each budget (minutes from the start of fit); stop after the last. Steps are batches
    trained (Lightning's global_step counts optimiser steps: two a batch for a GAN)."""
    def __init__(self, budgets:list, out:Path): self.budgets, self.out, self.snaps, self.t0, self.batches = list(budgets), out, [], None, 0
    def on_fit_start(self, trainer, pl_module): self.t0 = time.monotonic()
    def on_train_batch_end(self, trainer, pl_module, *args):
        self.batches += 1
        if self.budgets and time.monotonic() - self.t0 >= self.budgets[0]*60:
            m = self.budgets.pop(0); path = self.out/f"genlib_{m:g}min.pt"
            atomic_torch_save(pl_module.state_dict(), path); self.snaps.append((m, self.batches, path))
            if not self.budgets: trainer.should_stop = True

def train_genlib(args, out:Path, budgets:list):
    from genlib.trainer import train
    from genlib.evaluation import load_module
    cfg = parse_config(args.genlib_config)
    pipeline = {k: cfg.pop(k) for k in ("batch_size", "limit_val_batches", "lr") if k in cfg}
    snap = Snapshots(budgets, out)
    run = train("realnvp", data_dir=args.data_dir, epochs=10**6, max_minutes=max(budgets) + 5, out=str(out/"genlib_run"), progress=False,
                test=False, fid_every=0, seed=args.seed, callbacks=[snap], **pipeline, **cfg)
    return load_module(run/"checkpoints/last.ckpt"), snap.snaps

@torch.no_grad()
def score(nll_fn, test_x, n:int, batch_size:int=250, seed:int=0):
    "Mean bits/dim (and its standard error) of the first n test images, from nll_fn(x, generator) in nats: the generator, seeded per batch, is the dequantisation noise, the same for both flows."
    vals = [bits_per_dim(nll_fn(to_float(test_x[k:min(n, k + batch_size)]), torch.Generator().manual_seed(seed*100_003 + i))).double()
            for i, k in enumerate(range(0, n, batch_size))]
    v = torch.cat(vals)
    return float(v.mean()), float(v.std()/math.sqrt(len(v)))

def child(args):
    os.sched_setaffinity(0, {args.core}); torch.set_num_threads(1)
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    budgets = sorted(float(m) for m in args.minutes.split(","))
    model, snaps = (train_glow if args.which == "glow" else train_genlib)(args, out, budgets)
    _, test_x = data(args.data_dir)
    rows = []
    for minutes, steps, path in snaps:
        model.load_state_dict(torch.load(path, weights_only=True))
        model.eval()
        if args.which == "glow": fn = lambda x, g: -model.log_prob(dequantize(x, g), None)  # no class label
        else: fn = model.net.nll  # dequantises with the generator itself: the same noise
        bpd, se = score(fn, test_x, min(args.test_images, len(test_x)), seed=args.seed)
        rows.append({"minutes": minutes, "steps": steps, "test_bpd": bpd, "standard_error": se})
        print(f"{args.which}: {minutes:g} min, {steps} steps, {bpd:.4f} bits/dim", flush=True)
    params = sum(p.numel() for p in model.parameters())
    (out/f"{args.which}.json").write_text(json.dumps({"which": args.which, "parameters": params, "rows": rows}, indent=1))

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=os.environ.get("GENLIB_DATA"), help="CIFAR-10 (default: $GENLIB_DATA)")
    p.add_argument("--out", default="runs/flow_vs_glow")
    p.add_argument("--minutes", default="10,20,30", help="training budgets at which both are scored")
    p.add_argument("--test-images", type=int, default=10_000, help="the first this many test images")
    p.add_argument("--genlib-config", default=GENLIB_CONFIG, help="genlib's flow: realnvp hyperparameters and batch_size, lr, limit_val_batches")
    p.add_argument("--glow-levels", type=int, default=3); p.add_argument("--glow-steps", type=int, default=4)
    p.add_argument("--glow-hidden", type=int, default=128); p.add_argument("--glow-batch-size", type=int, default=64)
    p.add_argument("--glow-lr", type=float, default=1e-3)
    p.add_argument("--cores", default="0,1", help="the two cores, genlib's then Glow's")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--which", choices=["genlib", "glow"], help=argparse.SUPPRESS); p.add_argument("--core", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.which: return child(args)
    cores = [int(c) for c in args.cores.split(",")]
    procs = [subprocess.Popen([sys.executable, __file__, *sys.argv[1:], "--which", w, "--core", str(c)], env={**os.environ, "OMP_NUM_THREADS": "1"})
             for w, c in zip(("genlib", "glow"), cores)]
    if any(pr.wait() for pr in procs): raise SystemExit("a training process failed (see above)")
    res = {w: json.loads((Path(args.out)/f"{w}.json").read_text()) for w in ("genlib", "glow")}
    res["config"] = {"genlib": args.genlib_config, "glow": f"normflows Glow, {args.glow_levels} levels, {args.glow_steps} steps, "
                     f"{args.glow_hidden} hidden channels, batch {args.glow_batch_size}, Adamax {args.glow_lr:g}",
                     "test_images": args.test_images, "minutes": args.minutes}
    print(f"\n| minutes | genlib steps | genlib bits/dim | Glow steps | Glow bits/dim | genlib / Glow |\n|---|---|---|---|---|---|")
    for a, b in zip(res["genlib"]["rows"], res["glow"]["rows"]):
        print(f"| {a['minutes']:g} | {a['steps']:,} | {a['test_bpd']:.3f} ± {a['standard_error']:.3f} | {b['steps']:,} | "
              f"{b['test_bpd']:.3f} ± {b['standard_error']:.3f} | {a['test_bpd']/b['test_bpd']:.3f} |")
    print(f"\nparameters: genlib {res['genlib']['parameters']:,}, Glow {res['glow']['parameters']:,}; "
          f"test bits/dim of the uniformly dequantised images, the first {args.test_images:,} test images, the same noise for both")
    (Path(args.out)/"flow_vs_glow.json").write_text(json.dumps(res, indent=1))

if __name__ == "__main__": main()
