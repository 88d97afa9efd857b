"""Write README.md from nbs/index.ipynb without Quarto.

`nbdev_readme` renders the README through Quarto, which needs a download that is not always possible (CI here has
no internet). This does the same for what index.ipynb uses: markdown cells as they are, `#| hide` cells dropped,
cells flagged `#| echo: false` and `#| output: asis` replaced by what they printed (markdown, as Quarto shows it: the
results table, which `genlib.report.results_table` computes from the runs under results/), other code cells as python
blocks. `--check` exits 1 when README.md is out of date.
"""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def render(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text())
    parts = []
    for c in nb["cells"]:
        src = "".join(c["source"]).strip("\n")
        flags = {l.strip().replace("#|", "").replace(" ", "") for l in src.splitlines() if l.startswith("#|")}
        if c["cell_type"] == "markdown": parts.append(src)
        elif c["cell_type"] != "code" or not src or "hide" in flags: continue
        elif {"echo:false", "output:asis"} <= flags:
            parts.append("".join("".join(o.get("text", "")) for o in c.get("outputs", []) if o.get("output_type") == "stream").strip("\n"))
        else: parts.append("```python\n" + src + "\n```")
    return "<!-- generated from nbs/index.ipynb by scripts/make_readme.py (or nbdev_readme); edit the notebook -->\n\n" + \
           "\n\n".join(parts) + "\n"

if __name__ == "__main__":
    text, readme = render(root/"nbs"/"index.ipynb"), root/"README.md"
    if "--check" in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            sys.exit("README.md is out of date with nbs/index.ipynb: run python scripts/make_readme.py")
        print("README.md is up to date")
    else:
        readme.write_text(text); print(f"wrote {readme}")
