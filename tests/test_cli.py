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

def test_flow_matching_train_sample_evaluate(fake_data, tmp_path):
    "Flow matching through the commands alone: train, sample with the ODE solver's options, FID, IS and the bits/dim estimate with its own options."
    genlib("train", "fm", "--data-dir", fake_data, "--epochs", 1, "--limit-batches", 3, "--batch-size", 16,
           "--out", tmp_path, "--no-progress", *SMALL["fm"])
    run = tmp_path/"fm"/"version_0"
    m = json.loads((run/"metrics.json").read_text())
    assert m["model_class"] == "genlib.flow_matching:FlowMatchingModule" and m["test"]["loss"] > 0 and "bpd" not in m["test"]
    ck = run/"checkpoints/best.ckpt"
    genlib("sample", ck, "--n", 8, "--steps", 2, "--solver", "euler", "--out", tmp_path/"s.png")
    assert (tmp_path/"s.png").stat().st_size > 0
    ev = json.loads(genlib("evaluate", ck, "--data-dir", fake_data, "--split", "test", "--metrics", "fid,is,bpd", "--n-samples", 80,
                           "--extractor", "random-cnn", "--steps", 3, "--probes", 2, "--limit-batches", 1, "--batch-size", 20,
                           "--no-progress").stdout)
    bpd = ev["measured_with"]["bpd"]
    assert 0 < ev["metrics"]["bpd"] < 20 and bpd["standard_error"] > 0 and bpd["kind"].startswith("estimate:")
    assert bpd["options"] == {"steps": 3, "solver": "heun", "probes": 2} and ev["measured_with"]["fid"]["sample_options"] == {"steps": 3}
    assert ev["metrics"]["fid"] > 0 and ev["metrics"]["inception_score"] >= 1 and ev["command"].endswith("--steps 3 --probes 2"), ev["command"]
    r = genlib("sample", ck, "--probes", 2, check=False)  # a likelihood option is not a sampler option
    assert r.returncode == 2 and "no such option --probes" in r.stderr, r.stderr
    for flag, msg in [(["--label", "cat"], "--label needs a conditional model; "), (["--guidance", 2], "no such option --guidance")]:
        r = genlib("sample", ck, *flag, check=False)  # an unconditional model takes no label and has nothing to guide
        assert r.returncode == 2 and msg in r.stderr and r.stderr.count("\n") == 1, r.stderr

def test_conditional_flow_matching_through_the_commands(tmp_path):
    "train fm --conditional, sample --label cat --guidance 2 and --label all, evaluate --metrics accuracy,intra_fid,fid."
    data = write_fake_cifar10(tmp_path/"data", "python", n_train=70, n_test=70)  # 70 images a class: more than the random CNN's 64 features
    genlib("train", "fm", "--conditional", "--data-dir", data, "--epochs", 1, "--limit-batches", 3, "--batch-size", 16,
           "--out", tmp_path, "--no-progress", *SMALL["fm"])
    ck = tmp_path/"fm/version_0/checkpoints/best.ckpt"
    genlib("sample", ck, "--label", "cat", "--guidance", 2, "--n", 4, "--steps", 2, "--out", tmp_path/"cats.png")
    genlib("sample", ck, "--label", "all", "--n", 2, "--steps", 2, "--out", tmp_path/"all.png")
    assert Image.open(tmp_path/"all.png").size == (2*34 + 2, 10*34 + 2)  # one row of 2 for each class
    ev = json.loads(genlib("evaluate", ck, "--data-dir", data, "--metrics", "accuracy,intra_fid,fid", "--n-samples", 700, "--extractor", "random-cnn",
                           "--steps", 2, "--guidance", 2, "--no-progress").stdout)
    assert 0 <= ev["metrics"]["accuracy"] <= 1 and ev["metrics"]["intra_fid"] > 0 and ev["metrics"]["fid"] > 0
    assert ev["measured_with"]["intra_fid"]["sample_options"] == {"steps": 2, "guidance": 2.0}
    assert ev["measured_with"]["accuracy"]["classifier"]["name"] == "cifar10-classifier" and ev["measured_with"]["accuracy"]["real_test_images"]["n"] == 700
    r = genlib("sample", ck, "--label", "dragon", check=False)
    assert r.returncode == 2 and "--label must be a CIFAR-10 class" in r.stderr, r.stderr

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

def test_results_script_makes_the_report(tmp_path):
    "scripts/results.sh: every model trained for the time budget, each best.ckpt evaluated, one report with both commands per run."
    out, fake_data = tmp_path/"results", write_fake_cifar10(tmp_path/"data", "python", n_train=40, n_test=10)  # 100 test images, 80 val (a tracked FID needs 65)
    env = {**clean_env(), "GENLIB": GENLIB, "GENLIB_DATA": str(fake_data), "MODELS": "ae vae", "RESULTS_MINUTES": "0.5",
           "RESULTS_OUT": str(out), "EXTRACTOR": "random-cnn", "EVAL_ARGS": "--n-samples 100 --limit-batches 1", "FID_SAMPLES": "100"}
    script = Path(__file__).parent.parent/"scripts/results.sh"
    r = subprocess.run(["bash", str(script), "--epochs", "2", "--limit-batches", "2", "--batch-size", "16", "--accelerator", "cpu"],  # the last --epochs wins
                       capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    text = (out/"report.md").read_text()
    for m in ("ae", "vae"):
        ev = json.loads((out/m/"version_0/eval_test.json").read_text())
        assert ev["split"] == "test" and ev["metrics"]["fid"] > 0 and ev["command"].startswith(f"genlib evaluate {out/m}/version_0/checkpoints/")
        assert f"`genlib train {m} --epochs 2 --max-minutes 0.5 " in text and f"   then `{ev['command']}`" in text, text
    assert "(random-cnn)" in text and (out/"curves.png").exists()
    per_minute = text.split("## Quality per minute")[1]  # the curves recorded with --val-every-minutes, read at 1, 2, 5, 8 minutes
    assert "| [1] ae/version_0 | ae | val FID (random-cnn" in per_minute and "| [2] vae/version_0 | vae | val bits/dim (bound) |" in per_minute, per_minute
    # a failing training stops the script with its log's end, before any evaluation
    r = subprocess.run(["bash", str(script), "--lr", "-1"], capture_output=True, text=True, timeout=300, env={**env, "MODELS": "ae"})
    assert r.returncode == 1 and "a training failed" in r.stdout and "--lr must be a positive number" in r.stdout, r.stdout
