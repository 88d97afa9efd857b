"Metrics under DDP: two CPU processes, each updating with its half of the data, compute what one process computes on all of it."
import os, socket
import pytest, torch
import torch.distributed as dist
import torch.multiprocessing as mp
from genlib.metrics import MSE, BCE, KLD, SSIM, FID, InceptionScore, BitsPerDim
from genlib.fid import RandomCNN

def data():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(150, 3, 32, 32, generator=g)
    y = (x + 0.1*torch.randn(x.shape, generator=g)).clamp(0, 1)
    mu, logvar, nll = torch.randn(150, 16, generator=g), torch.randn(150, 16, generator=g), 3000*torch.rand(150, generator=g)
    return x, y, mu, logvar, nll

def compute_all(parts):
    "Each metric updated with uneven batches of this process's share of the data."
    x, y, mu, logvar, nll = (t[parts] for t in data())
    ms = {"mse": MSE(), "bce": BCE(), "kld": KLD(), "ssim": SSIM(), "fid": FID(RandomCNN(num_features=16)),
          "is": InceptionScore(RandomCNN(num_features=16)), "bpd": BitsPerDim()}
    for i in range(0, len(x), 40):
        s = slice(i, i + 40)
        ms["mse"].update(y[s], x[s]); ms["bce"].update(y[s], x[s]); ms["ssim"].update(y[s], x[s])
        ms["kld"].update(mu[s], logvar[s]); ms["bpd"].update(nll[s])
        ms["fid"].update(x[s], real=True); ms["fid"].update(y[s], real=False); ms["is"].update(y[s])
    out = {k: m.compute() for k, m in ms.items()}
    out["is"] = out["is"][0]
    return {k: float(v) for k, v in out.items()}

def worker(rank, port, q):
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        # rank 0 gets 90 images, rank 1 60: sums and counts must be combined, not per-process means averaged
        q.put((rank, compute_all(slice(0, 90) if rank == 0 else slice(90, 150))))
    finally: dist.destroy_process_group()

def free_port():
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

def test_metrics_sync_across_processes():
    single = compute_all(slice(0, 150))
    ctx = mp.get_context("spawn"); q = ctx.Queue()
    port = free_port()
    procs = [ctx.Process(target=worker, args=(r, port, q)) for r in range(2)]
    for p in procs: p.start()
    results = dict(q.get(timeout=300) for _ in procs)
    for p in procs: p.join(timeout=60); assert p.exitcode == 0
    for rank in (0, 1):
        for k, v in single.items():
            # IS splits the gathered logits in rank order, which is the single-process order here
            assert abs(results[rank][k] - v) <= 1e-6*max(1, abs(v)), (rank, k, results[rank][k], v)
