"""Offline check of the documentation site (Quarto can't be installed here): process the notebooks as `nbdev_docs` does
(`nbdev_proc_nbs`), render the processed pages to HTML with nbconvert instead of Quarto, and check that

- every notebook was processed (a cell nbdev runs for the docs must not fail), kept its prose, and is in the sidebar,
  in reading order;
- every public name of `genlib` has a documented entry: functions and classes a `show_doc` heading on a page,
  constants a mention in a page's prose;
- every image a page or the README references exists.

    python scripts/check_docs.py [--out _docs_offline]      # exit 1 and a list of problems if anything is missing
"""
import argparse, html, importlib, inspect, json, re, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMG_RE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)[^)]*\)|<img[^>]+src=[\"']([^\"']+)[\"']")

def process_notebooks() -> Path:
    "Run nbdev's own doc processing; returns the folder of processed notebooks."
    # every notebook processed anew: an empty _proc, not --force, which nbdev also passes to nbdev_sidebar and which would then
    # rewrite nbs/sidebar.yml as a flat list, its sections lost, whatever settings.ini's custom_sidebar says
    shutil.rmtree(ROOT/"_proc", ignore_errors=True)
    r = subprocess.run(["nbdev_proc_nbs", "--n_workers", "1"], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        err = [l for l in r.stderr.splitlines() if l.startswith("Exception: Error in notebook")]
        raise SystemExit(f"nbdev_proc_nbs failed: {err[-1] if err else r.stderr[-2000:]}")
    return ROOT/"_proc"

def render_html(proc:Path, out:Path) -> dict:
    "Each processed notebook as a standalone HTML page (nbconvert's lab template); returns {notebook name: html}."
    from nbconvert import HTMLExporter
    import nbformat
    out.mkdir(parents=True, exist_ok=True)
    if not (out/"img").exists(): (out/"img").symlink_to(ROOT/"img", target_is_directory=True)  # as Quarto copies the figures
    ex, pages = HTMLExporter(template_name="lab"), {}
    for nb in sorted(proc.glob("*.ipynb")):
        body, _ = ex.from_notebook_node(nbformat.read(nb, as_version=4))
        (out/f"{nb.stem}.html").write_text(body); pages[nb.stem] = body
    return pages

def public_names() -> dict:
    "{module: {name: 'callable' (a function or class) or 'constant' (anything else)}} of every genlib module's `__all__`."
    out = {}
    for f in sorted((ROOT/"genlib").glob("*.py")):
        if f.name.startswith("_"): continue
        mod = importlib.import_module(f"genlib.{f.stem}")
        kind = lambda o: "callable" if inspect.isfunction(o) or inspect.isclass(o) else "constant"  # a click group counts as a constant
        out[f.stem] = {n: kind(getattr(mod, n)) for n in getattr(mod, "__all__", [])}
    return out

def undocumented(pages:dict, names:dict) -> list[str]:
    "Public names without a documented entry on any page."
    text = {k: html.unescape(v) for k, v in pages.items()}
    missing = []
    for mod, ns in names.items():
        for n, kind in ns.items():
            if kind == "callable": ok = any(re.search(rf"<h3[^>]*>\s*{re.escape(n)}\s*<", t) for t in text.values())
            else: ok = any(re.search(rf"<code>{re.escape(n)}</code>", t) for t in text.values())
            if not ok: missing.append(f"genlib.{mod}.{n} ({'no show_doc heading' if kind == 'callable' else 'not mentioned in any page'})")
    return missing

def missing_images(nbs_dir:Path, readme:Path) -> list[str]:
    "Images referenced by the notebooks' markdown or the README that do not exist."
    bad = []
    sources = [(nb, "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
               for nb in sorted(nbs_dir.glob("*.ipynb")) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "markdown"]
    sources.append((readme, readme.read_text()))
    for f, text in sources:
        for m in IMG_RE.finditer(text):
            ref = m.group(1) or m.group(2)
            if ref.startswith(("http:", "https:", "data:", "attachment:")): continue
            if not (f.parent/ref).exists(): bad.append(f"{f.name}: {ref}")
    return bad

def sidebar_problems(proc:Path, nbs_dir:Path) -> list[str]:
    "Notebooks missing from the sidebar, entries that are not pages, and order other than the notebooks' numbering."
    import yaml
    sb = yaml.safe_load((nbs_dir/"sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    flat = []
    def walk(items):
        for it in items:
            if isinstance(it, str): flat.append(it)
            elif isinstance(it, dict): walk(it.get("contents", []))
    walk(sb)
    pages = ["index.ipynb"] + sorted(p.name for p in nbs_dir.glob("*.ipynb") if p.name != "index.ipynb")
    probs = [f"sidebar lacks {p}" for p in pages if p not in flat]
    probs += [f"sidebar entry {e} is not a page" for e in flat if not (nbs_dir/e).exists()]
    order = [e for e in flat if e in pages]
    if order != [p for p in pages if p in order]: probs.append(f"sidebar is not in reading order: {order}")
    probs += [f"{p} was not processed" for p in pages if not (proc/p).exists()]
    return probs

def _words(nb:Path, kinds=("markdown",)) -> int:
    cells = json.loads(nb.read_text())["cells"]
    return sum(len(("".join(c["source"]) if isinstance(c["source"], list) else c["source"]).split()) for c in cells if c["cell_type"] in kinds)

def lost_content(proc:Path, nbs_dir:Path) -> list[str]:
    "Pages whose processed version kept less than 90% of the notebook's prose (nbdev turns a page's first `# title` / `> description` cell into front matter and drops the rest of that cell)."
    out = []
    for nb in sorted(nbs_dir.glob("*.ipynb")):
        if not (proc/nb.name).exists(): continue
        before, after = _words(nb), _words(proc/nb.name, ("markdown", "raw"))
        if after < 0.9*before: out.append(f"{nb.name}: the processed page kept {after} of {before} words of prose")
    return out

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT/"_docs_offline"), help="where the HTML pages go")
    a = ap.parse_args(argv)
    proc = process_notebooks()
    pages = render_html(proc, Path(a.out))
    names = public_names()
    problems = sidebar_problems(proc, ROOT/"nbs") + lost_content(proc, ROOT/"nbs") + undocumented(pages, names) + missing_images(ROOT/"nbs", ROOT/"README.md")
    n = sum(len(v) for v in names.values())
    print(f"docs: {len(pages)} pages rendered to {a.out}; {n} public names checked")
    for p in problems: print("  problem:", p)
    if problems: sys.exit(1)
    print("docs: every page processed, whole and in the sidebar, every public name documented, every image present")

if __name__ == "__main__": main()
