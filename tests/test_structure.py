"""How genlib's modules and notebooks depend on each other: model modules share building blocks instead of importing
each other, no module reaches for another's private names, and a reader going through the notebooks in order never
meets an import of a notebook that comes later."""
import ast, json, re, itertools, importlib.metadata
from pathlib import Path
import genlib

PKG = Path(genlib.__file__).parent
NBS = PKG.parent/"nbs"

def genlib_imports(source:str, module:str) -> list[tuple[str, str]]:
    "(imported module, name) for every `from genlib.x import name` / `from .x import name` / `import genlib.x` in `source`."
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level: target = ".".join(["genlib", *module.split(".")[1:-node.level], *([node.module] if node.module else [])])
            else: target = node.module or ""
            if target == "genlib" or target.startswith("genlib."): out += [(target, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, "") for a in node.names if a.name.startswith("genlib.")]
    return out

def model_modules() -> set[str]:
    return {ep.value.partition(":")[0] for ep in importlib.metadata.entry_points(group="genlib.models") if ep.value.startswith("genlib.")}

def module_sources() -> dict[str, str]:
    return {f"genlib.{p.stem}": p.read_text() for p in PKG.glob("*.py") if p.stem not in ("__init__", "_modidx")}

def models_importing_models(sources:dict, models:set) -> list[str]:
    return sorted(f"{m} imports {t}" for m, src in sources.items() if m in models
                  for t, _ in genlib_imports(src, m) if t in models and t != m)

def private_imports(sources:dict) -> list[str]:
    return sorted(f"{m} imports {t}.{n}" for m, src in sources.items() for t, n in genlib_imports(src, m) if n.startswith("_") and t != m)

def test_no_model_module_imports_another():
    models = model_modules()
    assert {"genlib.ae", "genlib.vae", "genlib.gan", "genlib.realnvp", "genlib.flow_matching"} <= models, models
    assert not (bad := models_importing_models(module_sources(), models)), bad

def test_no_module_imports_a_private_name():
    assert not (bad := private_imports(module_sources())), bad

def test_the_import_checks_can_fail():
    srcs = {"genlib.vae": "from .ae import ConvEncoder\nfrom .core import _same\n", "genlib.gan": "import genlib.vae\n",
            "genlib.report": "from genlib.data import _PY_DIR, cache_dir\n"}
    assert models_importing_models(srcs, {"genlib.ae", "genlib.vae", "genlib.gan"}) == ["genlib.gan imports genlib.vae", "genlib.vae imports genlib.ae"]
    assert private_imports(srcs) == ["genlib.report imports genlib.data._PY_DIR", "genlib.vae imports genlib.core._same"]

# --- notebooks

def notebook_order() -> list[Path]:
    "The notebooks in the order a reader meets them: the sidebar's."
    names = re.findall(r"^\s*-\s*(\S+\.ipynb)\s*$", (NBS/"sidebar.yml").read_text(), re.M)
    return [NBS/n for n in names]

def notebook_code(p:Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(p.read_text())["cells"] if c["cell_type"] == "code"]

def exported_module(code:list[str]) -> str|None:
    return next((m.group(1) for s in code if (m := re.search(r"^#\|\s*default_exp\s+(\S+)", s, re.M))), None)

def later_imports(order:list[tuple[str, list[str]]]) -> list[str]:
    "'A imports genlib.x, defined in the later B' for notebooks given as (name, code cells) in reading order."
    defined = {f"genlib.{m}": i for i, (_, code) in enumerate(order) if (m := exported_module(code))}
    bad = []
    for i, (name, code) in enumerate(order):
        for s in code:
            src = "\n".join(l for l in s.splitlines() if not l.lstrip().startswith(("%", "!", "#|")))
            try: imps = genlib_imports(src, "genlib.__notebook__")
            except SyntaxError: continue
            for t, _ in imps:
                if defined.get(t, -1) > i: bad.append(f"{name} imports {t}, defined in the later {order[defined[t]][0]}")
    return sorted(set(bad))

def sidebar_sections(text:str) -> tuple[list[str], dict[str, list[str]]]:
    "The sidebar's pages outside any section, and {section title: its pages}."
    import yaml
    contents = yaml.safe_load(text)["website"]["sidebar"]["contents"]
    loose = [it for it in contents if isinstance(it, str)]
    return loose, {it["section"]: list(it.get("contents", [])) for it in contents if isinstance(it, dict) and "section" in it}

def section_problems(text:str, readme:str) -> list[str]:
    "Pages outside the sections (the home page aside), empty sections, and sections the README's reading guide does not name."
    loose, sections = sidebar_sections(text)
    probs = [f"{p} is in no section" for p in loose if p != "index.ipynb"]
    if len(sections) < 3: probs.append(f"the sidebar has {len(sections)} sections")
    probs += [f"section {k!r} is empty" for k, v in sections.items() if not v]
    guide = readme.split("## Where to go next", 1)[-1]
    probs += [f"the README does not name section {k!r}" for k in sections if f"**{k}**" not in guide]
    return probs

def test_the_sidebar_has_sections_the_readme_names():
    assert not (bad := section_problems((NBS/"sidebar.yml").read_text(), (NBS.parent/"README.md").read_text())), bad

def test_the_section_check_can_fail():
    flat = "website:\n  sidebar:\n    contents:\n      - index.ipynb\n      - 00_a.ipynb\n"
    assert section_problems(flat, "") == ["00_a.ipynb is in no section", "the sidebar has 0 sections"]
    three = flat.replace("      - 00_a.ipynb\n", "".join(f"      - section: {k}\n        contents: [{k}.ipynb]\n" for k in "ABC"))
    assert section_problems(three, "## Where to go next\n- **A**: ..., **B**") == ["the README does not name section 'C'"]

def test_notebooks_are_numbered_in_reading_order():
    order = notebook_order()
    assert {p.name for p in NBS.glob("*.ipynb")} == {p.name for p in order}, "every notebook is in the sidebar once"
    numbered = [p.stem for p in order if p.stem != "index"]
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+", s) for s in numbered), [s for s in numbered if not re.fullmatch(r"\d\d_[a-z0-9_]+", s)]
    assert [int(s[:2]) for s in numbered] == list(range(len(numbered))), "numbered 00, 01, 02, ... without gaps or suffixes"

def test_no_notebook_imports_a_later_one():
    # the home page is left out: it shows the results of the whole course
    assert not (bad := later_imports([(p.stem, notebook_code(p)) for p in notebook_order() if p.stem != "index"])), bad

def test_the_notebook_order_check_can_fail():
    order = [("00_a", ["#| default_exp a\nfrom genlib.b import f"]), ("01_b", ["#| default_exp b\nfrom genlib.a import g"])]
    assert later_imports(order) == ["00_a imports genlib.b, defined in the later 01_b"]

def first_pipeline_run(order:list[tuple[str, list[str]]]) -> int|None:
    "Position (1 = the first notebook) of the first notebook that trains a model through `train`, for notebooks given as (name, code cells)."
    return next((i + 1 for i, (_, code) in enumerate(order) if any(re.search(r"^(?!\s*def )[^#\n]*\btrain\(\s*[\"']", s, re.M) for s in code)), None)

def test_a_reader_trains_a_model_through_the_pipeline_within_eight_notebooks():
    order = [(p.stem, notebook_code(p)) for p in notebook_order() if p.stem != "index"]
    assert (n := first_pipeline_run(order)) is not None and n <= 8, n

def test_the_first_pipeline_run_check_can_fail():
    order = [("00_a", ["def train(model): ...", "x = 1  # train('ae') later"]), ("01_b", ["run = train('ae', epochs=1)"])]
    assert first_pipeline_run(order) == 2 and first_pipeline_run(order[:1]) is None

def test_no_notebook_is_over_about_400_code_lines():
    long = {p.name: n for p in NBS.glob("*.ipynb") if (n := sum(len(s.splitlines()) for s in notebook_code(p))) > 420}
    assert not long, long

def contract_rows(markdown:str) -> list[str]:
    "The body rows of the first table under '## The contract'."
    lines = markdown.split("## The contract", 1)[1].splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("|"))
    return list(itertools.takewhile(lambda l: l.startswith("|"), lines[start:]))[2:]

def test_the_contract_a_model_author_must_know_is_short():
    cells = ["".join(c["source"]) for c in json.loads((NBS/"28_contract.ipynb").read_text())["cells"] if c["cell_type"] == "markdown"]
    rows = contract_rows(next(s for s in cells if "## The contract" in s))
    assert 3 <= len(rows) <= 8, rows
    assert contract_rows("## The contract\n\n| a | b |\n|---|---|\n| x | 1 |\n| y | 2 |\n\nmore\n| z | 3 |\n") == ["| x | 1 |", "| y | 2 |"]
