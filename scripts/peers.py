"""genlib against the library a user would pick instead, at equal wall-clock time, side by side on this machine.

    python scripts/peers.py fm --data-dir $GENLIB_DATA --out runs/peers/fm

Both sides train at once, one core each, on the same 40k training images, each as its own published recipe has it; each
saves a snapshot when its training has run for each budget (10, 20, 30 minutes by default, timed from the start of its
training, so genlib's count includes its validation and checkpoints). Then every snapshot draws the same number of samples
from the same noise (with the same sampler, for flow matching), and is scored the same way, by
`genlib.scores.model_scores`: FID, KID and precision/recall against the test images, in each feature space asked for
(genlib's CIFAR-10 classifier, and the FID Inception where its weights are on the machine; 1,000 samples give no FID in
Inception's 2,048 features, only the KID and precision/recall). The real side of each space is computed before the clock
starts. The record, OUT/peers_PAIR.json, is what `genlib.compare.peer_table` shows.

Pairs:
- fm: genlib's flow matching with `--preset cpu` against torchcfm 1.0.7's CIFAR-10 example (examples/images/cifar10/
  train_cifar10.py: UNetModelWrapper, OT-CFM with sigma 0, Adam 2e-4 with a linear warm-up, gradient clipping 1.0, an EMA
  of the weights with decay 0.9999, random flips, batch 128). Scaled to the budget: the same U-Net size as genlib's (the
  example's 128 channels and 4 levels would make a few hundred steps in 30 minutes of a CPU core), batch 64 on both sides,
  and the example's 5,000 warm-up steps cut to 200 (it would otherwise train at a fraction of its rate for the whole
  budget). Both sides' networks are scored, the live one and its average.
- vae: genlib's VAE with its defaults against pythae 0.1.2's VAE as its README trains one (VAEConfig, TrainingPipeline,
  Adam 1e-3, its MSE reconstruction loss), with an encoder and decoder of genlib's size (genlib's own ConvEncoder and
  ConvDecoder behind pythae's interfaces). Scaled: the held-out split pythae evaluates every epoch is the 2,500
  validation images genlib validates on with a CPU. Both of pythae's samplers are scored: the prior, and a Gaussian
  mixture fitted to the training codes (genlib samples from a mixture fitted to the validation codes).
- gan: genlib's DCGAN through the pipeline against the same step in a plain loop (`genlib.bench.plain_step`, what
  `genlib bench` times it against): what the pipeline costs or gains in quality at equal time.

`--against 'k=v ...'` puts genlib itself in the peer's place, with these options on top of its own: one change measured
alone, against the same clock (an ablation).
"""
import argparse, copy, functools, json, os, shlex, subprocess, sys, time
from pathlib import Path
import torch
from genlib.core import to_float, atomic_torch_save
from genlib.errors import GenlibError
from genlib.compare import peer_table
from flow_vs_glow import Snapshots, parse_config  # genlib's side saves its weights at each budget as in the flow comparison

UNET_CPU = "channels=32 channel_mults=1,2,2 blocks=1 attention=8 heads=4 dropout=0"  # genlib's --preset cpu (1.1M parameters)

def parse_unet(text:str) -> dict:
    "'channels=32 channel_mults=1,2,2 ...' -> genlib's U-Net hyperparameters."
    out = {}
    for item in text.split():
        k, _, v = item.partition("=")
        out[k] = tuple(int(c) for c in v.split(",")) if k in ("channel_mults", "attention") else float(v) if k == "dropout" else int(v)
    return out

@functools.lru_cache(maxsize=1)  # a side's training and its scoring read the data once
def data(data_dir):
    from genlib.datamodule import CIFAR10DataModule
    dm = CIFAR10DataModule(data_dir, progress=False); dm.prepare_data(); dm.setup()
    return dm

def train_genlib(model:str, options=lambda args: {}, variants=lambda m: {}):
    "genlib's side of a pair: `train(model)` with its defaults, `options(args)` and --genlib, saved at each budget; `variants(module)`: more to score."
    def run(args, out:Path, budgets:list) -> list:
        from genlib.trainer import train
        from genlib.evaluation import load_module
        snap = Snapshots(budgets, out)
        run = train(model, data_dir=args.data_dir, batch_size=args.batch_size, epochs=10**6, max_minutes=max(budgets) + 5,
                    out=str(out/"genlib_run"), progress=False, test=False, fid_every=0, seed=args.seed, callbacks=[snap],
                    **{**options(args), **parse_config(args.genlib)})
        snaps = []
        for minutes, steps, path in snap.snaps:
            m = load_module(run/"checkpoints/last.ckpt"); m.load_state_dict(torch.load(path, weights_only=True)); m.eval()
            if hasattr(m.net, "density"): refit_density(m, data(args.data_dir).tensors["val"][0])
            snaps.append({"minutes": minutes, "steps": steps, "path": str(path), "scored": {"genlib": m, **variants(m)}})
        return snaps
    return run

@torch.no_grad()
def refit_density(m, x_val):
    "A snapshot falls between two validations: fit the latent density to its own codes of the validation images, as its next validation would."
    from genlib.trainer import CPU_VAL_IMAGES
    codes = torch.cat([m.latent_codes(to_float(b)) for b in x_val[:CPU_VAL_IMAGES].split(500)])
    m.net.density.fit(codes)

def fm_live(m) -> dict:
    "genlib's live network beside its average: what the average adds at this length."
    if m.net.unet_ema is None: return {}
    live = copy.deepcopy(m); live.net.unet_ema = None
    return {"genlib live": live}

class VelocitySampler(torch.nn.Module):
    "A velocity network v(t, x) as a sampler `model_scores` can draw from: the same noise and solver as genlib's flow matching."
    can_sample, can_reconstruct, conditional, device = True, False, False, torch.device("cpu")
    def __init__(self, net, name:str): super().__init__(); self.net, self.model_name = net.eval(), name
    @torch.no_grad()
    def sample(self, n:int, seed:int|None=None, steps:int=25, solver:str="heun"):
        from genlib.flow_matching import integrate, to_unsigned
        x0 = torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))  # as GenerativeModule.sample draws it
        x1, = integrate(lambda s, t: (self.net(torch.full((n,), float(t)), s[0]),), (x0,), 0.0, 1.0, steps, solver)
        return to_unsigned(x1).clamp(0, 1)

def torchcfm_unet(unet:dict):
    from torchcfm.models.unet.unet import UNetModelWrapper
    return UNetModelWrapper(dim=(3, 32, 32), num_channels=unet["channels"], num_res_blocks=unet["blocks"], channel_mult=list(unet["channel_mults"]),
                            num_heads=unet["heads"], num_head_channels=-1, attention_resolutions=",".join(map(str, unet["attention"])),
                            dropout=unet["dropout"])

def train_torchcfm(args, out:Path, budgets:list) -> list:
    "The training loop of torchcfm's CIFAR-10 example, at the budget's scale (see the module's docstring)."
    from torchcfm.conditional_flow_matching import ExactOptimalTransportConditionalFlowMatcher
    x_train = data(args.data_dir).tensors["train"][0]
    torch.manual_seed(args.seed)
    net = torchcfm_unet(parse_unet(args.unet)); ema = copy.deepcopy(net)
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min(step, args.peer_warmup)/args.peer_warmup)
    fm, g, step, snaps, t0 = ExactOptimalTransportConditionalFlowMatcher(sigma=0.0), torch.Generator().manual_seed(args.seed), 0, [], time.monotonic()
    while budgets:
        idx = torch.randint(len(x_train), (args.batch_size,), generator=g)  # the example's infinite shuffled loader
        x1 = to_float(x_train[idx])*2 - 1
        x1 = torch.where(torch.rand(len(x1), 1, 1, 1, generator=g) < 0.5, x1.flip(-1), x1)  # RandomHorizontalFlip
        t, xt, ut = fm.sample_location_and_conditional_flow(torch.randn_like(x1), x1)
        loss = torch.mean((net(t, xt) - ut)**2)
        opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0); opt.step(); sched.step()
        with torch.no_grad():  # the example's ema(): target = decay*target + (1 - decay)*source, no warm-up
            for pe, p in zip(ema.parameters(), net.parameters()): pe.mul_(0.9999).add_(p, alpha=1 - 0.9999)
        step += 1
        if time.monotonic() - t0 >= budgets[0]*60:
            m = budgets.pop(0); path = out/f"torchcfm_{m:g}min.pt"
            atomic_torch_save({"net": net.state_dict(), "ema": ema.state_dict(), "steps": step}, path)
            snaps.append({"minutes": m, "steps": step, "path": str(path),
                          "scored": {"torchcfm": VelocitySampler(copy.deepcopy(net), "torchcfm"),
                                     "torchcfm EMA": VelocitySampler(copy.deepcopy(ema), "torchcfm EMA")}})
    return snaps

class PythaeSampler(torch.nn.Module):
    "A pythae model and one of its samplers as something `model_scores` can draw from (pythae draws its own noise: seeded here)."
    can_sample, can_reconstruct, conditional, device = True, False, False, torch.device("cpu")
    def __init__(self, sampler, name:str): super().__init__(); self.sampler, self.model, self.model_name = sampler, sampler.model, name
    @torch.no_grad()
    def sample(self, n:int, seed:int|None=None):
        torch.manual_seed(seed)
        return self.sampler.sample(num_samples=n, batch_size=n, return_gen=True).clamp(0, 1)

def pythae_nets(latent_dim:int, channels:tuple):
    "pythae's encoder and decoder interfaces around convolutional networks of genlib's VAE size (genlib's ConvEncoder and ConvDecoder)."
    from pythae.models.nn import BaseEncoder, BaseDecoder
    from pythae.models.base.base_utils import ModelOutput
    from genlib.layers import ConvEncoder, ConvDecoder
    class Encoder(BaseEncoder):
        def __init__(self): super().__init__(); self.net = ConvEncoder(2*latent_dim, channels)
        def forward(self, x):
            mu, log_var = self.net(x).chunk(2, 1)
            return ModelOutput(embedding=mu, log_covariance=log_var)
    class Decoder(BaseDecoder):
        def __init__(self): super().__init__(); self.net = ConvDecoder(latent_dim, channels)
        def forward(self, z): return ModelOutput(reconstruction=self.net(z))
    return Encoder(), Decoder()

def train_pythae(args, out:Path, budgets:list) -> list:
    "pythae's VAE as its README trains one: VAEConfig, custom networks, TrainingPipeline with BaseTrainerConfig (Adam 1e-3, a held-out split evaluated every epoch)."
    from pythae.models import VAE, VAEConfig
    from pythae.trainers import BaseTrainerConfig
    from pythae.trainers.training_callbacks import TrainingCallback
    from pythae.pipelines import TrainingPipeline
    from pythae.samplers import NormalSampler, GaussianMixtureSampler, GaussianMixtureSamplerConfig
    from genlib.vae import VAEModule
    from genlib.trainer import CPU_VAL_IMAGES
    hp = VAEModule().hparams  # genlib's defaults: the same latent size and channels
    dm = data(args.data_dir); x_train, x_val = (to_float(dm.tensors[k][0]) for k in ("train", "val"))
    torch.manual_seed(args.seed)
    model = VAE(VAEConfig(input_dim=(3, 32, 32), latent_dim=hp.latent_dim, reconstruction_loss="mse"), *pythae_nets(hp.latent_dim, tuple(hp.channels)))
    class Spent(Exception): pass  # pythae's trainer has no stop: the last budget leaves its loop
    class Budgets(TrainingCallback):
        def __init__(self): self.t0, self.step, self.snaps, self.left = time.monotonic(), 0, [], list(budgets)
        def on_train_step_end(self, training_config, **kwargs):
            self.step += 1
            if time.monotonic() - self.t0 >= self.left[0]*60:
                m = self.left.pop(0); path = out/f"pythae_{m:g}min.pt"
                atomic_torch_save(model.state_dict(), path); self.snaps.append((m, self.step, path, copy.deepcopy(model).eval()))
                if not self.left: raise Spent
    budget = Budgets()
    config = BaseTrainerConfig(output_dir=str(out/"pythae_run"), learning_rate=1e-3, per_device_train_batch_size=args.batch_size,
                               per_device_eval_batch_size=500, num_epochs=10**6, steps_saving=None, seed=args.seed, no_cuda=True)
    try: TrainingPipeline(training_config=config, model=model)(train_data=x_train, eval_data=x_val[:CPU_VAL_IMAGES], callbacks=[budget])
    except Spent: pass
    snaps = []
    for minutes, steps, path, m in budget.snaps:
        gmm = GaussianMixtureSampler(m, GaussianMixtureSamplerConfig(n_components=10)); gmm.fit(x_train)
        snaps.append({"minutes": minutes, "steps": steps, "path": str(path),
                      "scored": {"pythae": PythaeSampler(NormalSampler(m), "pythae"), "pythae GMM": PythaeSampler(gmm, "pythae GMM")}})
    return snaps

def train_plain(model:str):
    "The plain loop a model is benchmarked against (`genlib.bench.plain_step`: its own hand-written step, no Lightning) on random flipped batches."
    def run(args, out:Path, budgets:list) -> list:
        from genlib.model import get_model
        from genlib.bench import plain_step
        x_train = data(args.data_dir).tensors["train"][0]
        torch.manual_seed(args.seed); module = get_model(model)(**parse_config(args.genlib)); step_fn = plain_step(module.train())
        g, step, snaps, t0 = torch.Generator().manual_seed(args.seed), 0, [], time.monotonic()
        while budgets:
            x = to_float(x_train[torch.randint(len(x_train), (args.batch_size,), generator=g)])
            step_fn(torch.where(torch.rand(len(x), 1, 1, 1, generator=g) < 0.5, x.flip(-1), x)); step += 1
            if time.monotonic() - t0 >= budgets[0]*60:
                m = budgets.pop(0); path = out/f"plain_{m:g}min.pt"
                atomic_torch_save(module.state_dict(), path)
                snaps.append({"minutes": m, "steps": step, "path": str(path), "scored": {"plain loop": copy.deepcopy(module).eval()}})
        return snaps
    return run

PAIRS = {"fm": {"genlib": train_genlib("fm", lambda args: {"preset": "cpu", **parse_unet(args.unet)}, fm_live), "peer": train_torchcfm,
                "peer_name": "torchcfm 1.0.7", "sample_options": lambda args: {"steps": args.sampler_steps, "solver": "heun"}},
         "vae": {"genlib": train_genlib("vae"), "peer": train_pythae, "peer_name": "pythae 0.1.2", "sample_options": lambda args: None},
         "gan": {"genlib": train_genlib("gan"), "peer": train_plain("gan"), "peer_name": "a plain PyTorch loop of the same step",
                 "sample_options": lambda args: None}}

def extractors(names:str) -> dict:
    "The feature spaces asked for that this machine has (the FID Inception needs its weights: `genlib weights`)."
    from genlib.fid import get_extractor
    out = {}
    for name in names.split(","):
        try: out[name] = get_extractor(name)
        except GenlibError as e: print(f"peers: no {name} feature space here ({e})", flush=True)
    return out

SCORES = ["fid", "kid", "pr"]

def real_sides(args, progress:bool=False) -> dict:
    "Each feature space's real side (statistics and features of the test images): computed once and cached, then read."
    from genlib.scores import real_side
    return {space: (fx, real_side(SCORES, args.reference, fx, args.samples, data(args.data_dir), progress=progress))
            for space, fx in extractors(args.extractors).items()}

def scores_for(n:int, fx) -> list:
    "The scores n images can give in this feature space (FID needs more images than the space has features: 2,049 in Inception's)."
    from genlib.metrics import num_features
    from genlib.scores import check_sample_count
    out = []
    for k in SCORES:
        try: check_sample_count([k], n, num_features(fx), 10); out.append(k)
        except GenlibError as e: print(f"peers: no {k} in this space: {e}", flush=True)
    return out

def score(args, snaps:list) -> list:
    "FID, KID and precision/recall of every snapshot's samples in every feature space: the same noise, sampler and real images."
    from genlib.scores import ScoringSetup, model_scores
    rows, split = [], args.reference
    for space, (fx, real) in real_sides(args).items():
        setup, metrics = ScoringSetup(args.samples, fx, seed=args.seed, **real), scores_for(args.samples, fx)
        for s in snaps:
            for name, model in s["scored"].items():
                t0 = time.perf_counter()
                samples = Path(args.out)/f"samples_{name.replace(' ', '_')}_{s['minutes']:g}min.pt"  # drawn once, read again in the next space
                sc = model_scores(model, metrics, setup, sample_options=PAIRS[args.pair]["sample_options"](args), samples_file=samples, progress=False)
                rows.append({"side": name, "minutes": s["minutes"], "steps": s["steps"], "space": space, "reference": split,
                             **sc["metrics"], "seconds_to_score": time.perf_counter() - t0})
                print(f"{name}: {s['minutes']:g} min, {s['steps']} steps, {space}: {sc['metrics']}", flush=True)
    return rows

def child(args):
    os.sched_setaffinity(0, {args.core}); torch.set_num_threads(1)
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    budgets = sorted(float(m) for m in args.minutes.split(","))
    if args.which == "peer" and args.against:  # an ablation: genlib with a change in the peer's place, under the same clock
        (out/"against").mkdir(exist_ok=True)
        snaps = PAIRS[args.pair]["genlib"](argparse.Namespace(**{**vars(args), "genlib": f"{args.genlib} {args.against}"}), out/"against", budgets)
        for s in snaps: s["scored"] = {f"{name} ({args.against})": m for name, m in s["scored"].items()}
    else: snaps = PAIRS[args.pair][args.which](args, out, budgets)
    params = {name: sum(p.numel() for p in m.parameters() if p.requires_grad)  # what is trained (not genlib's weight averages)
              for name, m in snaps[0]["scored"].items()}
    (out/f"{args.which}.json").write_text(json.dumps({"which": args.which, "parameters": params, "rows": score(args, snaps)}, indent=1))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("pair", choices=list(PAIRS))
    p.add_argument("--data-dir", default=os.environ.get("GENLIB_DATA"), help="CIFAR-10 (default: $GENLIB_DATA)")
    p.add_argument("--out", default=None, help="default: runs/peers/PAIR")
    p.add_argument("--minutes", default="10,20,30", help="training budgets at which both sides are scored")
    p.add_argument("--samples", type=int, default=1000, help="samples per snapshot (the same noise on both sides)")
    p.add_argument("--sampler-steps", type=int, default=25, help="Heun steps of both sides' samples")
    p.add_argument("--extractors", default="cifar,inception", help="feature spaces: cifar, inception (where its weights are), random-cnn")
    p.add_argument("--reference", default="test", choices=["test", "full-train"],
                   help="the real images, in every space (full-train, the usual Inception reference, costs a CPU core about 90 minutes of Inception)")
    p.add_argument("--batch-size", type=int, default=64, help="both sides")
    p.add_argument("--unet", default=UNET_CPU, help="the U-Net of both sides, in genlib's hyperparameters")
    p.add_argument("--genlib", default="", help="more of genlib's training options, e.g. 'coupling=ot' (default: none, its defaults)")
    p.add_argument("--against", default="", help="run genlib with these options in the peer's place, e.g. 'lr=1e-3': one change measured alone against the same clock")
    p.add_argument("--peer-warmup", type=int, default=200, help="the peer's linear learning-rate warm-up, steps")
    p.add_argument("--cores", default="0,1", help="the two cores, genlib's then the peer's")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--which", choices=["genlib", "peer"], help=argparse.SUPPRESS); p.add_argument("--core", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.out = args.out or f"runs/peers/{args.pair}"
    if args.which: return child(args)
    cores = [int(c) for c in args.cores.split(",")]
    real_sides(args, progress=True)  # before the clock starts, on every core: the two sides then read the cache
    argv = sys.argv[1:] if argv is None else argv
    procs = [subprocess.Popen([sys.executable, __file__, *argv, "--out", args.out, "--which", w, "--core", str(c)], env={**os.environ, "OMP_NUM_THREADS": "1"})
             for w, c in zip(("genlib", "peer"), cores)]
    if any(pr.wait() for pr in procs): raise SystemExit("a training process failed (see above)")
    res = {w: json.loads((Path(args.out)/f"{w}.json").read_text()) for w in ("genlib", "peer")}
    res["config"] = {"pair": args.pair, "peer": f"genlib with {args.against}" if args.against else PAIRS[args.pair]["peer_name"], "unet": args.unet, "genlib": args.genlib, "batch_size": args.batch_size,
                     "peer_warmup": args.peer_warmup, "samples": args.samples, "minutes": args.minutes,
                     "sample_options": PAIRS[args.pair]["sample_options"](args), "command": "python scripts/peers.py " + shlex.join(argv)}
    print("\n" + peer_table(res))
    (Path(args.out)/f"peers_{args.pair}.json").write_text(json.dumps(res, indent=1))

if __name__ == "__main__": main()
