"The `genlib` command end to end, as a user runs it (a subprocess per command)."
import json, re, sys, shlex, shutil, subprocess, pytest
from PIL import Image
from genlib.data import write_fake_cifar10
from pathlib import Path
from conftest import genlib, GENLIB, clean_env, SMALL
from genlib.core import read_checkpoint

RUN_FILES = ["hparams.yaml", "metrics.json", "checkpoints/best.ckpt", "checkpoints/last.ckpt",
             "images/reconstructions_epoch000.png"]

def check_run(run: Path):
    for f in RUN_FILES: assert (run/f).is_file(), f"missing {f}"
    assert list(run.glob("events.out.tfevents.*")), "no TensorBoard event file"
    m = json.loads((run/"metrics.json").read_text())
    assert m["model"] == "ae" and m["val"]["mse"] > 0 and m["test"]["mse"] > 0
    return m

@pytest.mark.parametrize("args,msg", [  # the console script's exit code and one line; 27_cli tests the messages in-process
    (("train", "ae", "--batch-size", 0), "--batch-size must be >= 1, got 0"),
    (("train", "ae", "--data-dir", "{tmp}", "--epochs", 1, "--out", "{tmp}/runs"), "does not look like CIFAR-10"),
])
def test_bad_input_gets_one_line(args, msg, tmp_path):
    (tmp_path/"stray.txt").write_text("not CIFAR-10")
    r = genlib(*[str(a).format(tmp=tmp_path) for a in args], check=False)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("genlib: error: ") and msg in lines[0], r.stderr

def test_help_and_flag_errors_answer_before_torch_loads():
    "`genlib --help`, `genlib CMD --help` and a mistyped flag never import torch or Lightning (about 0.2 s here, against about 8 s)."
    code = ("import sys; from genlib.cli import main\n"
            "codes = [main(['--help']), main(['train', '--help']), main(['evaluate', '--help']), main(['train', 'ae', '--epochs', 'x'])]\n"
            "print(codes, sorted(m for m in ('torch', 'lightning', 'torchvision') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env())
    assert r.stdout.strip().splitlines()[-1] == "[0, 0, 0, 2] []", r.stdout + r.stderr
    assert "--batch-size INTEGER" in r.stdout and "Invalid value for '--epochs'" in r.stderr

def test_truncated_checkpoint(fake_data, tmp_path):
    genlib("train", "ae", "--data-dir", fake_data, "--epochs", 1, "--limit-batches", 2, "--batch-size", 8,
           "--out", tmp_path, "--no-progress", "--no-test")
    ck = tmp_path/"ae/version_0/checkpoints/last.ckpt"
    ck.write_bytes(ck.read_bytes()[:1000])
    r = genlib("evaluate", ck, "--data-dir", fake_data, check=False)
    assert r.returncode == 2 and "is truncated or corrupt" in r.stderr

def test_evaluate_offline_in_the_shipped_feature_space(tmp_path):
    "Without the Inception weights, `genlib evaluate --metrics fid,kid,pr` measures in genlib's CIFAR-10 classifier's features, against the test split, and says so."
    data = write_fake_cifar10(tmp_path/"data", "python", n_train=40, n_test=30)  # 300 test images: more than the 256 features
    genlib("train", "ae", "--data-dir", data, "--epochs", 1, "--limit-batches", 3, "--batch-size", 16, "--out", tmp_path, "--no-progress",
           "--channels", "8,16,32", "--latent-dim", 8)
    ck = tmp_path/"ae/version_0/checkpoints/last.ckpt"
    env = {"TORCH_HOME": str(tmp_path/"torch"), "GENLIB_OFFLINE": "1", "GENLIB_INCEPTION_WEIGHTS": ""}  # no Inception weights here
    r = genlib("evaluate", ck, "--data-dir", data, "--metrics", "fid,kid,pr", "--n-samples", 300, "--no-progress", env=env)
    ev = json.loads(r.stdout)
    assert {"fid", "kid", "kid_std", "precision", "recall"} <= set(ev["metrics"]) and ev["metrics"]["fid"] > 0
    fx = ev["measured_with"]["fid"]["extractor"]
    assert fx["name"] == "cifar10-classifier" and len(fx["weights_sha256"]) == 64 and "_classifier.ipynb" in fx["made_by"]
    assert ev["measured_with"]["fid"]["reference"]["split"] == "test" and ev["measured_with"]["recall"]["reference"]["n"] == 300
    assert "--extractor cifar" in r.stderr and "genlib weights" in r.stderr  # one line says which feature space, and how to get the standard one

def test_flow_matching_through_the_commands(tmp_path):
    """Conditional flow matching through the commands alone: train; sample with the ODE solver's options, a label and guidance;
    evaluate FID, IS, the bits/dim estimate with its own options, accuracy and intra-FID in one call."""
    data = write_fake_cifar10(tmp_path/"data", "python", n_train=20, n_test=20)
    (tmp_path/"fx4.py").write_text("from genlib.fid import RandomCNN\ndef small(): return RandomCNN(num_features=4)\n")  # 10 images a class suffice
    env = {"PYTHONPATH": str(tmp_path)}
    genlib("train", "fm", "--conditional", "--data-dir", data, "--epochs", 1, "--limit-batches", 3, "--batch-size", 16,
           "--out", tmp_path, "--no-progress", *SMALL["fm"])
    run = tmp_path/"fm/version_0"
    m = json.loads((run/"metrics.json").read_text())
    assert m["model_class"] == "genlib.flow_matching:FlowMatchingModule" and m["test"]["loss"] > 0 and "bpd" not in m["test"]
    ck = run/"checkpoints/best.ckpt"
    genlib("sample", ck, "--label", "cat", "--guidance", 2, "--n", 4, "--steps", 2, "--solver", "euler", "--out", tmp_path/"cats.png")
    genlib("sample", ck, "--label", "all", "--n", 2, "--steps", 2, "--out", tmp_path/"all.png")
    assert Image.open(tmp_path/"all.png").size == (2*34 + 2, 10*34 + 2)  # one row of 2 for each class
    ev = json.loads(genlib("evaluate", ck, "--data-dir", data, "--split", "test", "--metrics", "fid,is,bpd,accuracy,intra_fid", "--n-samples", 100,
                           "--extractor", "fx4:small", "--steps", 2, "--guidance", 2, "--probes", 2, "--limit-batches", 1, "--batch-size", 50,
                           "--no-progress", env=env).stdout)
    bpd = ev["measured_with"]["bpd"]
    assert 0 < ev["metrics"]["bpd"] < 20 and bpd["standard_error"] > 0 and bpd["kind"].startswith("estimate") and "p(x | c)" in bpd["kind"]
    assert bpd["options"] == {"steps": 2, "solver": "heun", "probes": 2} and ev["measured_with"]["fid"]["sample_options"] == {"steps": 2, "guidance": 2.0}
    assert ev["metrics"]["fid"] > 0 and ev["metrics"]["inception_score"] >= 1 and all(f in ev["command"] for f in ("--steps 2", "--guidance 2", "--probes 2")), ev["command"]
    assert 0 <= ev["metrics"]["accuracy"] <= 1 and ev["metrics"]["intra_fid"] > 0
    assert ev["measured_with"]["intra_fid"]["sample_options"] == {"steps": 2, "guidance": 2.0}
    assert ev["measured_with"]["accuracy"]["classifier"]["name"] == "cifar10-classifier" and ev["measured_with"]["accuracy"]["real_test_images"]["n"] == 200
    for args, msg in [(("--probes", 2), "no such option --probes"),  # a likelihood option is not a sampler option
                      (("--label", "dragon"), "--label must be a CIFAR-10 class")]:
        r = genlib("sample", ck, *args, check=False)
        assert r.returncode == 2 and msg in r.stderr and r.stderr.count("\n") == 1, r.stderr

def _bad_data(kind, tmp):
    "A small CIFAR-10 copy with one defect."
    if kind == "a file": (tmp/"cifar.tar.gz").write_bytes(b"not a directory"); return tmp/"cifar.tar.gz"
    if kind == "corrupt batch":
        root = write_fake_cifar10(tmp/"py", "python", n_train=2, n_test=1)
        f = next(Path(root).rglob("data_batch_1")); f.write_bytes(f.read_bytes()[:500]); return root
    root = write_fake_cifar10(tmp/"fold", "folder", n_train=2, n_test=1)
    if kind == "not an image": (Path(root)/"train/cat/zz.jpg").write_text("not an image")
    if kind == "wrong size": Image.new("RGB", (64, 64)).save(Path(root)/"train/cat/zz.png")
    if kind == "wrong layout": shutil.rmtree(Path(root)/"test")  # train/<class>/ alone
    return root

@pytest.mark.parametrize("kind,msg", [("wrong size", "is a 64x64 RGB image; CIFAR-10 images must be 32x32 RGB")])  # 02_data tests the other defects in-process
def test_bad_data_gets_one_error_line(kind, msg, tmp_path):
    r = genlib("train", "ae", "--data-dir", _bad_data(kind, tmp_path), "--epochs", 1, "--out", tmp_path/"runs", check=False)
    lines = [l for l in re.split(r"[\r\n]", r.stderr) if l.strip()]  # a progress bar may come first, on its own line
    assert r.returncode == 2 and lines[-1].startswith("genlib: error: ") and msg in lines[-1], r.stderr

OFFLINE = {k: "http://127.0.0.1:9" for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")} | {"no_proxy": "", "NO_PROXY": ""}

@pytest.mark.parametrize("kind", ["empty"])
def test_missing_or_empty_data_dir_offline(kind, tmp_path):
    "No CIFAR-10 where --data-dir points: genlib tries the download (a dead proxy makes this machine offline) and says what to do."
    d = tmp_path/"cifar10"
    if kind == "empty": d.mkdir()
    r = genlib("train", "ae", "--data-dir", d, "--epochs", 1, "--out", tmp_path/"runs", check=False, env=OFFLINE)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"genlib: error: CIFAR-10 is not under {d} and downloading it"), r.stderr
    assert "or point GENLIB_DATA or --data-dir at it" in lines[0]

def test_compile_flag_trains(fake_data, tmp_path):
    "`--compile --compile-mode max-autotune-no-cudagraphs` with the fused optimiser trains on the CPU too, and its checkpoint loads into a plain model."
    genlib("train", "ae", "--data-dir", fake_data, "--epochs", 1, "--limit-batches", 3, "--batch-size", 16, "--out", tmp_path,
           "--no-progress", "--no-test", "--compile", "--compile-mode", "max-autotune-no-cudagraphs", "--optimizer-impl", "fused",
           "--channels", "8,16,32", "--latent-dim", 8)
    ck = tmp_path/"ae/version_0/checkpoints/last.ckpt"
    assert read_checkpoint(ck)["global_step"] == 3 and not any("_orig_mod" in k for k in read_checkpoint(ck)["state_dict"])
    assert "--compile-mode max-autotune-no-cudagraphs" in json.loads((tmp_path/"ae/version_0/metrics.json").read_text())["command"]
    genlib("sample", ck, "--n", 4, "--out", tmp_path/"s.png")

def test_recorded_command_remakes_the_run(fake_data, tmp_path):
    "metrics.json's `command`, run as it is, makes a run with the same hyperparameters as the Python call that wrote it."
    from genlib.trainer import train
    run = train("vae", data_dir=fake_data, epochs=1, limit_batches=2, batch_size=8, out=str(tmp_path), progress=False, test=False,
                latent_dim=8, channels=(8, 16, 32), likelihood="bernoulli", beta=0.5)
    m = json.loads((run/"metrics.json").read_text())
    assert m["data"]["format"] == "official python release (pickled batches)" and m["data"]["dir"] == str(Path(fake_data).resolve())
    cmd = shlex.split(m["command"])
    assert cmd[:3] == ["genlib", "train", "vae"] and "--likelihood" in cmd and "--lr" not in cmd  # defaults left out
    genlib(*cmd[1:])
    again = tmp_path/"vae/version_1"
    assert (again/"hparams.yaml").read_text() == (run/"hparams.yaml").read_text()
    assert json.loads((again/"metrics.json").read_text())["command"] == m["command"]

def test_results_script_stops_on_a_failed_training(tmp_path):
    "scripts/results.sh (run end to end by tests/test_gpu_check.py): a failing training stops it with its log's end, before any evaluation."
    env = {**clean_env(), "GENLIB": GENLIB, "MODELS": "ae", "RESULTS_OUT": str(tmp_path/"results")}
    script = Path(__file__).parent.parent/"scripts/results.sh"
    r = subprocess.run(["bash", str(script), "--lr", "-1"], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 1 and "a training failed" in r.stdout and "--lr must be a positive number" in r.stdout, r.stdout
