"""The original report's GAN loop, for a time budget: the PyTorch DCGAN example's step (plain_step(GANModule(ema=0)): D on real
and detached fake, then G; no weight average) over genlib's batches, with no pipeline around it. 18_gan compares its generator
with genlib's default GAN trained for the same time.

    OMP_NUM_THREADS=1 python scripts/plain_gan_loop.py MINUTES OUT.pt [DATA_DIR]

Writes the generator's weights, the number of steps and the seconds to OUT.pt.
"""
import sys, time, json, torch
from genlib.datamodule import CIFAR10DataModule
from genlib.model import get_model
from genlib.bench import plain_step

minutes, out = float(sys.argv[1]), sys.argv[2]
torch.manual_seed(0)
dm = CIFAR10DataModule(sys.argv[3] if len(sys.argv) > 3 else None, batch_size=128, seed=0, progress=False); dm.prepare_data(); dm.setup()
module = get_model("gan")(ema=0).train()
step = plain_step(module)
t0, steps, epoch = time.time(), 0, 0
while time.time() - t0 < 60*minutes:
    loader = dm.loader("train"); loader.set_epoch(epoch)
    for x, _ in loader:
        step(x); steps += 1
        if time.time() - t0 >= 60*minutes: break
    epoch += 1
torch.save({"generator": module.net.generator.state_dict(), "steps": steps, "seconds": time.time() - t0, "threads": torch.get_num_threads()}, out)
print(json.dumps({"steps": steps, "seconds": time.time() - t0}))
