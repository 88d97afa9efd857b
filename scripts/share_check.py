"""Does sharing one device slow each model's training steps? Times each model's hand-written training step (the plain loop
of `genlib bench`) alone, one model after another, then all models at once (one process each, timed together), and
prints each one's slowdown; the last line says "share" when every slowdown is under 10%, else "alone"
(scripts/results.sh: RESULTS_SHARE).

    python scripts/share_check.py [--models ae,vae,gan,realnvp,fm] [--seconds 20] [--batch-size 128] [--out share.json]
"""
import argparse, json, time
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

def steps_per_second(model:str, data:str|None, batch_size:int, seconds:float, barrier=None) -> float:
    "Training steps per second of `model`'s plain loop over `seconds`, after warm-up (and after every process reached `barrier`)."
    import torch
    from genlib.core import default_device
    from genlib.bench import bench_data_module, fresh_model, _sync
    device = default_device()
    dm = bench_data_module(data, batch_size, 0, device)
    module, step = fresh_model(model, device)
    def batches():
        while True: yield from dm.loader("train")
    it = batches()
    for _ in range(5): step(next(it)[0])
    _sync(device)
    if barrier is not None: barrier.wait()
    t0, n = time.perf_counter(), 0
    while True:
        step(next(it)[0]); n += 1
        if n % 10 == 0:
            _sync(device)
            if time.perf_counter() - t0 >= seconds: return n/(time.perf_counter() - t0)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="ae,vae,gan,realnvp,fm"); ap.add_argument("--data", default=None)
    ap.add_argument("--seconds", type=float, default=20.0); ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--limit", type=float, default=0.10, help="the largest slowdown that still allows sharing")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    models, ctx = [m.strip() for m in a.models.split(",") if m.strip()], mp.get_context("spawn")
    alone = {}
    for m in models:
        with ProcessPoolExecutor(1, mp_context=ctx) as ex: alone[m] = ex.submit(steps_per_second, m, a.data, a.batch_size, a.seconds).result()
        print(f"alone   {m:8s} {alone[m]:8.2f} steps/s", flush=True)
    with ctx.Manager() as manager, ProcessPoolExecutor(len(models), mp_context=ctx) as ex:
        barrier = manager.Barrier(len(models))
        futures = {m: ex.submit(steps_per_second, m, a.data, a.batch_size, a.seconds, barrier) for m in models}
        shared = {m: f.result() for m, f in futures.items()}
    slowdown = {m: alone[m]/shared[m] - 1 for m in models}
    for m in models: print(f"shared  {m:8s} {shared[m]:8.2f} steps/s  slowdown {100*slowdown[m]:6.1f}%")
    decision = "share" if all(s < a.limit for s in slowdown.values()) else "alone"
    if a.out:
        from genlib.fast_paths import machine_info
        with open(a.out, "w") as f:
            json.dump({"machine": machine_info(), "batch_size": a.batch_size, "seconds": a.seconds, "alone_steps_per_s": alone,
                       "shared_steps_per_s": shared, "slowdown": slowdown, "limit": a.limit, "decision": decision}, f, indent=1)
    print(decision)

if __name__ == "__main__": main()
