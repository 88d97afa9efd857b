"""The README's results table is what `genlib.report.results_table` computes from the runs under results/ (rows listed in
results/README.yaml): recomputed here from the run files, compared with the output committed in nbs/index.ipynb, which
scripts/make_readme.py copies into README.md."""
import io, json, os, shutil, sys, contextlib
from pathlib import Path
from genlib.report import results_table, load_rows

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/"scripts"))
import make_readme

def committed_table(nb_path:Path) -> str:
    "What the index notebook's results cell printed when it was last run."
    nb = json.loads(nb_path.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and "results_table(" in "".join(c["source"])]
    assert len(cells) == 1, f"{nb_path} should have one results_table cell, has {len(cells)}"
    return "".join("".join(o.get("text", "")) for o in cells[0].get("outputs", []) if o.get("output_type") == "stream")

def fresh_table(results:Path) -> str:
    return results_table(load_rows(results/"README.yaml"), results)

def test_the_readme_table_is_computed_from_the_runs():
    committed = committed_table(ROOT/"nbs/index.ipynb")
    assert committed.strip() == fresh_table(ROOT/"results").strip(), "rerun nbs/index.ipynb and scripts/make_readme.py: the runs say otherwise"
    assert committed.strip() in (ROOT/"README.md").read_text()
    assert make_readme.render(ROOT/"nbs/index.ipynb") == (ROOT/"README.md").read_text()

def computed_cells(nb_path:Path) -> list[tuple[str, str]]:
    "(source, committed output) of each cell the README shows by its output (`#| output: asis`): the table, the prose that quotes numbers."
    nb = json.loads(nb_path.read_text())
    return [("".join(c["source"]), "".join("".join(o.get("text", "")) for o in c.get("outputs", []) if o.get("output_type") == "stream"))
            for c in nb["cells"] if c["cell_type"] == "code" and "#| output: asis" in "".join(c["source"])]

def test_the_readme_prose_numbers_are_computed_from_the_runs():
    cells = computed_cells(ROOT/"nbs/index.ipynb")
    assert any("quote(" in src for src, _ in cells), "the README's prose numbers should come from quote()"
    here, ns = os.getcwd(), {}  # one namespace, as the notebook's cells share one
    os.chdir(ROOT/"nbs")
    try:
        for src, committed in cells:
            out = io.StringIO()
            with contextlib.redirect_stdout(out): exec(src, ns)
            assert out.getvalue().strip() == committed.strip(), f"rerun nbs/index.ipynb: the runs say otherwise\n{src}"
    finally: os.chdir(here)

def test_no_published_number_comes_from_a_one_class_subset():
    for row in load_rows(ROOT/"results/README.yaml"):
        if not row.get("evaluation"): continue
        e = json.loads((ROOT/"results"/row["run"]/row["evaluation"]).read_text())
        counts = e.get("class_counts") or {}
        if e.get("n_images"): assert counts and min(counts.values()) > 0, f"{row}: scored {counts}"
        how = e["measured_with"].get(row["metric"], {})
        ref_counts = how.get("reference", {}).get("class_counts")
        if ref_counts: assert min(ref_counts.values()) > 0, f"{row}: reference {ref_counts}"

def test_the_check_can_fail(tmp_path):
    results = tmp_path/"results"; shutil.copytree(ROOT/"results", results)
    before = fresh_table(results)
    row = next(r for r in load_rows(results/"README.yaml") if r.get("evaluation"))
    f = results/row["run"]/row["evaluation"]
    e = json.loads(f.read_text()); e["metrics"][row["metric"]] *= 1.5; f.write_text(json.dumps(e))
    assert fresh_table(results) != before
