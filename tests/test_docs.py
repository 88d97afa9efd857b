"The documentation site, checked offline (no Quarto here): scripts/check_docs.py end to end, and each of its checks able to fail."
import json, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/"scripts"))
import check_docs

def test_docs_build_offline(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT/"scripts/check_docs.py"), "--out", str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "every public name documented" in r.stdout
    assert "Two commands" in (tmp_path/"index.html").read_text()  # the home page has the README's content, not just its title
    page = (tmp_path/"13_evaluation.html").read_text()
    assert '<h3 id="load_module">' in page or ">load_module<" in page  # a show_doc entry, rendered
    assert (tmp_path/"index.html").stat().st_size > 0

def test_undocumented_names_are_found():
    pages = {"27_cli": "<h3 id='load_module'>load_module</h3><p><code>EVAL_METRICS</code> are ...</p>"}
    names = {"cli": {"load_module": "callable", "sample": "callable", "EVAL_METRICS": "constant", "SECRET": "constant"}}
    assert check_docs.undocumented(pages, names) == ["genlib.cli.sample (no show_doc heading)", "genlib.cli.SECRET (not mentioned in any page)"]

def test_missing_images_are_found(tmp_path):
    nbs = tmp_path/"nbs"; nbs.mkdir(); (tmp_path/"img").mkdir(); (tmp_path/"img/a.png").write_bytes(b"png")
    cell = lambda s: {"cell_type": "markdown", "metadata": {}, "source": s}
    (nbs/"x.ipynb").write_text(json.dumps({"cells": [cell("![a](../img/a.png) ![b](../img/b.png) ![w](https://x/y.png)")]}))
    (tmp_path/"README.md").write_text('<img src="img/a.png"> ![c](img/c.png)')
    assert check_docs.missing_images(nbs, tmp_path/"README.md") == ["x.ipynb: ../img/b.png", "README.md: img/c.png"]

def test_sidebar_problems_are_found(tmp_path):
    nbs, proc = tmp_path/"nbs", tmp_path/"_proc"
    nbs.mkdir(); proc.mkdir()
    for n in ("index", "00_a", "01_b", "02_c"): (nbs/f"{n}.ipynb").write_text("{}"); (proc/f"{n}.ipynb").write_text("{}")
    (proc/"02_c.ipynb").unlink()
    (nbs/"sidebar.yml").write_text("website:\n  sidebar:\n    contents:\n      - index.ipynb\n      - section: S\n        contents: [01_b.ipynb, 00_a.ipynb, gone.ipynb]\n")
    probs = check_docs.sidebar_problems(proc, nbs)
    assert "sidebar lacks 02_c.ipynb" in probs and "sidebar entry gone.ipynb is not a page" in probs
    assert any(p.startswith("sidebar is not in reading order") for p in probs) and "02_c.ipynb was not processed" in probs

def test_lost_content_is_found(tmp_path):
    nbs, proc = tmp_path/"nbs", tmp_path/"_proc"; nbs.mkdir(); proc.mkdir()
    md = lambda s: {"cell_type": "markdown", "metadata": {}, "source": s}
    (nbs/"index.ipynb").write_text(json.dumps({"cells": [md("# t\n\n> d\n\n" + "word "*100)]}))
    (proc/"index.ipynb").write_text(json.dumps({"cells": [{"cell_type": "raw", "metadata": {}, "source": "---\ntitle: t\n---"}]}))
    assert check_docs.lost_content(proc, nbs) == ["index.ipynb: the processed page kept 4 of 104 words of prose"]  # the front matter counts
