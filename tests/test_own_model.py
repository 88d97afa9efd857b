"A user's model from their own package, outside genlib, through the `genlib` command in fresh processes (28_contract runs the rest in its notebook)."
import os, json
from pathlib import Path
import pytest
from genlib.core import read_checkpoint
from conftest import genlib

MODEL = '''
import torch
from torch import nn
from genlib.model import GenerativeModule

class TinyAE(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(3, width, 4, 4), nn.Flatten(), nn.Linear(width*64, 8))
        self.dec = nn.Sequential(nn.Linear(8, 3*64), nn.Unflatten(1, (3, 8, 8)), nn.Upsample(scale_factor=4), nn.Sigmoid())
        self.label = nn.Embedding(10, 8)  # used when the model is conditional
    def decode(self, z, labels): return self.dec(z if labels is None else z + self.label(labels))
    def forward(self, x, labels=None): return self.decode(self.enc(x), labels)
    def reconstruct(self, x, labels=None): return self(x, labels)
    def sample(self, n:int, generator:torch.Generator|None=None, labels=None,
               temperature:float=1.0, # scale of the codes
              ):
        return self.decode(temperature*torch.randn(n, 8, generator=generator).to(self.dec[0].weight.device), labels)

class MyModule(GenerativeModule):
    "A user's tiny autoencoder."
    progress_keys = ("mse",)
    def __init__(self, width:int=4, # channels of the encoder
                 lr:float=1e-2, # Adam learning rate
                 conditional:bool=False, # decode given the label
                ):
        super().__init__(); self.save_hyperparameters(); self.net = TinyAE(width); self.conditional = conditional
    def compute_losses(self, x, labels=None):
        mse = nn.functional.mse_loss(self.net(x, labels), x)
        return {"loss": mse, "mse": mse}
'''

@pytest.fixture
def user_package(tmp_path):
    "A folder with the package `mypkg` (not installed), and the environment that puts it on the path."
    root = tmp_path/"user"; (root/"mypkg").mkdir(parents=True)
    (root/"mypkg/__init__.py").write_text(""); (root/"mypkg/models.py").write_text(MODEL)
    return root, {"PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}

def publish_entry_point(root:Path, name:str, target:str):
    "What `pip install` of a package with [project.entry-points.\"genlib.models\"] writes: a dist-info folder with entry_points.txt."
    d = root/"mypkg-0.1.dist-info"; d.mkdir()
    (d/"METADATA").write_text("Metadata-Version: 2.1\nName: mypkg\nVersion: 0.1\n")
    (d/"entry_points.txt").write_text(f"[genlib.models]\n{name} = {target}\n")

def test_a_users_conditional_model(fake_data, user_package, tmp_path):
    """A conditional model from the user's own package (by import path: 28_contract runs the unconditional one, resume and the entry
    point), trained, sampled by class and scored by class through the command line; its checkpoint imports the package only with consent."""
    _, env = user_package
    out, common = tmp_path/"runs", ["--data-dir", fake_data, "--batch-size", 32, "--no-progress", "--conditional"]
    genlib("train", "mypkg.models:MyModule", "--epochs", 1, "--out", out, *common, env=env)
    last = out/"my/version_0/checkpoints/last.ckpt"
    assert read_checkpoint(last)["hyper_parameters"]["conditional"] and read_checkpoint(last)["genlib_model_class"] == "mypkg.models:MyModule"
    r = genlib("sample", last, "--label", "cat", env=env, check=False)  # the checkpoint alone may not import mypkg
    assert r.returncode == 2 and "would import module 'mypkg.models'" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    genlib("sample", last, "--label", "cat", "--n", 4, "--temperature", 0.5, "--out", out/"cats.png", "--trust-code", env=env)
    genlib("sample", last, "--label", "all", "--n", 2, "--out", out/"all.png", "--model", "mypkg.models:MyModule", env=env)
    assert (out/"cats.png").stat().st_size > 0 and (out/"all.png").stat().st_size > 0
    ev = json.loads(genlib("evaluate", last, "--data-dir", fake_data, "--metrics", "loss,accuracy", "--n-samples", 50, "--no-progress",
                           "--trust-code", env=env).stdout)
    assert 0 <= ev["metrics"]["accuracy"] <= 1 and ev["losses"]["mse"] > 0 and len(ev["measured_with"]["accuracy"]["per_class"]) == 10

def test_broken_entry_point_is_named(user_package):
    root, env = user_package
    publish_entry_point(root, "broken", "mypkg.nothere:Model")
    r = genlib("train", "broken", env=env, check=False)
    assert r.returncode == 2 and "module 'mypkg.nothere' could not be imported" in r.stderr and "published by mypkg" in r.stderr

def test_the_readme_example_trains(fake_data, tmp_path):
    "The README's 'Add your own model' code, as a user would save it, trains through the command line by import path."
    readme = (Path(__file__).parent.parent/"README.md").read_text()
    section = readme[readme.index("## Add your own model"):readme.index("## Results")]
    code = section[section.index("```python\n") + 10:]; code = code[:code.index("```")]
    assert code.startswith("# mypkg/models.py") and len(code.strip().splitlines()) <= 20
    (tmp_path/"mypkg").mkdir(); (tmp_path/"mypkg/__init__.py").write_text(""); (tmp_path/"mypkg/models.py").write_text(code)
    env = {"PYTHONPATH": str(tmp_path)}
    genlib("train", "mypkg.models:MyModule", "--width", 8, "--epochs", 1, "--data-dir", fake_data, "--batch-size", 32,
           "--out", tmp_path/"runs", "--no-progress", env=env)
    m = json.loads((tmp_path/"runs/my/version_0/metrics.json").read_text())
    assert m["test"]["mse"] > 0 and "--width 8" in m["command"]
