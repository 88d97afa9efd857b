"""JupyterLab as users work in it: start `jupyter lab` on loopback with no browser, open a model notebook in headless Chromium,
run all its cells, and check that they ran without an error and that an image grid rendered. Needs Debian's chromium and
playwright (scripts/setup.sh installs both); skipped where chromium is missing."""
import json, os, shutil, socket, subprocess, sys, time, secrets
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NOTEBOOK = "16_ae.ipynb"  # the first model: without its slow cells it trains on a fake CIFAR-10 in seconds and shows a grid of samples

def _free_port() -> int:
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

def _without_slow_cells(src:Path, dst:Path):
    "The notebook as `nbdev_test` runs it: cells flagged `#| slow` (real training on CIFAR-10) left out."
    nb = json.loads(src.read_text())
    nb["cells"] = [c for c in nb["cells"] if not (c["cell_type"] == "code" and any(
        l.strip().replace(" ", "") in ("#|slow", "#|cuda") for l in "".join(c["source"]).splitlines()))]
    dst.write_text(json.dumps(nb))

@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/setup.sh installs it as root)")
def test_run_model_notebook_in_jupyterlab(tmp_path):
    from playwright.sync_api import sync_playwright, TimeoutError as PlaywrightTimeout
    work = tmp_path/"lab"; (work/"nbs").mkdir(parents=True)
    shutil.copy(ROOT/"settings.ini", work)  # an nbdev project around the copy, as in the repo (its last cell exports)
    _without_slow_cells(ROOT/"nbs"/NOTEBOOK, work/"nbs"/NOTEBOOK)
    port, token = _free_port(), secrets.token_hex(16)
    settings = tmp_path/"lab-settings"/"@jupyterlab"/"notebook-extension"; settings.mkdir(parents=True)
    # JupyterLab 4 only renders the cells in view by default; render them all, so the page shows every prompt and output
    (settings/"tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    news = tmp_path/"lab-settings"/"@jupyterlab"/"apputils-extension"; news.mkdir(parents=True)
    (news/"notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))  # no pop-up asking about news
    lab = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip", "127.0.0.1", f"--port={port}",
                            f"--ServerApp.token={token}", f"--ServerApp.root_dir={work}", "--ServerApp.open_browser=False", "--allow-root"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path/"cfg"), "JUPYTERLAB_SETTINGS_DIR": str(tmp_path/"lab-settings")})
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t0 = time.time()
            while True:  # the server takes a few seconds to listen
                try: page.goto(f"http://127.0.0.1:{port}/lab/tree/nbs/{NOTEBOOK}?token={token}", timeout=10_000); break
                except Exception:
                    assert lab.poll() is None and time.time() - t0 < 120, "jupyter lab did not start"
                    time.sleep(1)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)  # the status bar: kernel connected
            for attempt in range(3):  # a click that lands before the kernel is connected runs nothing: try again
                page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
                page.click("li.lm-Menu-item:has-text('Run All Cells')")
                try:
                    page.wait_for_function("() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
                                           ".some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))", timeout=30_000, polling=500)
                    break
                except PlaywrightTimeout:
                    assert attempt < 2, "Run All Cells started nothing"
            n_code = sum(1 for c in json.loads((work/"nbs"/NOTEBOOK).read_text())["cells"] if c["cell_type"] == "code")
            try:
                page.wait_for_function(  # every code cell shows an execution number (finished), or one failed (Run All stops there)
                    "n => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];"
                    " return (p.length === n && p.every(e => /\\[\\d+\\]/.test(e.textContent)))"
                    " || (document.querySelector('.jp-OutputArea-output[data-mime-type=\"application/vnd.jupyter.stderr\"] .ansi-red-fg') !== null"
                    "     && !p.some(e => e.textContent.includes('*'))); }", arg=n_code, timeout=int(os.environ.get("GENLIB_LAB_TIMEOUT", 600))*1000, polling=1000)
            except PlaywrightTimeout:
                prompts = [e.text_content() for e in page.locator(".jp-CodeCell .jp-InputPrompt").all()]
                raise AssertionError(f"the cells did not finish; prompts: {prompts}") from None
            page.keyboard.press("Control+s")
            page.get_by_text("Saving completed").wait_for(timeout=30_000)  # the status bar
            n_images = page.locator(".jp-OutputArea-output img").count()
            if n_images: page.locator(".jp-OutputArea-output img").first.evaluate("e => e.scrollIntoView({block: 'center'})"); time.sleep(1)
            page.screenshot(path=os.environ.get("GENLIB_SCREENSHOT") or str(tmp_path/"lab.png"))  # set it to keep the picture
            browser.close()
        nb = json.loads((work/"nbs"/NOTEBOOK).read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        errors = [o for c in code for o in c.get("outputs", []) if o["output_type"] == "error"]
        assert not errors, f"{errors[0]['ename']}: {errors[0]['evalue']}"
        assert all(c["execution_count"] for c in code if "".join(c["source"]).strip()), "some cells did not run"
        assert n_images >= 1 and any("image/png" in o.get("data", {}) for c in code for o in c.get("outputs", [])), "no image grid rendered"
    finally:
        lab.terminate(); lab.wait(30)
