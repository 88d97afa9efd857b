"""The first stage of every GPU call (scripts/gpu_check.sh): fails in seconds when the machine cannot run what follows.

    python3 scripts/gpu/preflight.py --out OUT/preflight.txt [--compile-modes none,default,reduce-overhead] [--accelerator gpu]

Prints and writes to --out (rewritten after every line, so a call killed here still returns it): the versions of
Python, torch, CUDA, cuDNN, lightning, torchmetrics and torchvision; the device and its memory; an import of every genlib
module (a missing package is named, with where its wheel comes from); the models their entry points publish; and three
training steps of the smallest model through `genlib.trainer.train` under each compile mode that the call will time,
on GENLIB_DATA. Exits 1 when any check failed, after running the others.
"""
import argparse, importlib, os, pkgutil, platform, sys, tempfile, time, traceback
from pathlib import Path

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--out", required=True)
p.add_argument("--compile-modes", default="none", help="comma-separated: none (no torch.compile) or a torch.compile mode")
p.add_argument("--accelerator", default="auto")
p.add_argument("--steps", type=int, default=3)
p.add_argument("--batch-size", type=int, default=32)
args = p.parse_args()
lines, failures = [], []

def say(line:str):
    print(line, flush=True); lines.append(line)
    Path(args.out).write_text("\n".join(lines) + "\n")

def check(what:str, fn):
    "Run one check; a failure is recorded with its first line and the run goes on."
    t0 = time.perf_counter()
    try: got = fn()
    except BaseException as e:  # noqa: BLE001 (SystemExit from a broken import counts too)
        first = next(iter(str(e).splitlines()), "")
        hint = (f" (a package missing here: carry its wheel, scripts/gpu/prepare.sh)" if isinstance(e, ModuleNotFoundError) else "")
        failures.append(what); say(f"FAIL  {what}: {type(e).__name__}: {first}{hint}")
        traceback.print_exc()
        return None
    say(f"ok    {what} ({time.perf_counter() - t0:.1f} s){': ' + str(got) if got is not None else ''}")
    return got

t_start = time.perf_counter()
say(f"preflight {time.strftime('%Y-%m-%d %H:%M:%S')} on {platform.node()}: Python {platform.python_version()} at {sys.executable}")

def versions():
    import torch, lightning, torchmetrics, torchvision
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return (f"torch {torch.__version__} (CUDA {torch.version.cuda}, cuDNN {cudnn}), lightning {lightning.__version__}, "
            f"torchmetrics {torchmetrics.__version__}, torchvision {torchvision.__version__}")
check("versions", versions)

def device():
    import torch
    if not torch.cuda.is_available():
        if args.accelerator in ("gpu", "cuda"): raise RuntimeError("torch sees no CUDA device")
        return f"no CUDA device: CPU, {os.cpu_count()} cores, {torch.get_num_threads()} threads"
    props = torch.cuda.get_device_properties(0)
    return (f"{torch.cuda.device_count()} x {props.name}, {props.total_memory/2**30:.1f} GiB, capability {props.major}.{props.minor}, "
            f"{props.multi_processor_count} multiprocessors")
device_ok = check("device", device) is not None

def import_all():
    import genlib
    names = sorted(m.name for m in pkgutil.iter_modules(genlib.__path__) if not m.name.startswith("_"))
    for n in names: importlib.import_module(f"genlib.{n}")
    return f"{len(names)} modules from {Path(genlib.__file__).parent}"
imported = check("import every genlib module", import_all)

def models():
    import importlib.metadata as md
    from genlib.model import model_names, get_model
    published = sorted(ep.name for ep in md.entry_points(group="genlib.models"))
    if not published: raise RuntimeError("no entry points in group genlib.models: genlib's metadata is missing (envfarm.py metadata)")
    sizes = {}
    for n in published:  # (genlib.model registers a tiny test model, `tiny`: not one of the published ones)
        sizes[n] = sum(q.numel() for q in get_model(n)().parameters() if q.requires_grad)
    return sizes
sizes = check("models (entry points) and their trained parameters", models) if imported else None

if sizes and device_ok:
    smallest = min(sizes, key=sizes.get)
    data = os.environ.get("GENLIB_DATA")
    for mode in [m.strip() for m in args.compile_modes.split(",") if m.strip()]:
        def steps(mode=mode):
            from genlib.core import quietly
            from genlib.trainer import train
            with tempfile.TemporaryDirectory() as tmp, quietly():
                train(smallest, data_dir=data, epochs=1, limit_batches=args.steps, limit_val_batches=1, batch_size=args.batch_size,
                      accelerator=args.accelerator, compile=mode != "none", compile_mode="default" if mode == "none" else mode,
                      out=tmp, progress=False, test=False, fid_every=0)
        check(f"{args.steps} training steps of {smallest} (smallest), compile mode {mode}", steps)

say(f"preflight: {'FAILED: ' + '; '.join(failures) if failures else 'passed'} in {time.perf_counter() - t_start:.1f} s")
sys.exit(1 if failures else 0)
