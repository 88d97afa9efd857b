"""Python environments made of chosen installed distributions, for testing what genlib needs where it runs.

    python scripts/gpu/envfarm.py missing PACKAGES           # genlib's runtime needs that PACKAGES lacks: NAME==VERSION per line
    python scripts/gpu/envfarm.py farm --requires genlib DEST  # DEST: links to what `pip install genlib` (no extras) brings only
    python3 scripts/gpu/envfarm.py metadata SITE             # SITE/genlib-VERSION.dist-info from pyproject.toml (entry points)

PACKAGES lists what another machine has installed, one name per line (`python3 -m pip list --format=freeze > packages.txt`
run there; versions and # comments are ignored): scripts/gpu/prepare.sh downloads wheels of what it lacks, for a GPU
machine without internet. A "farm" is a folder of symbolic links to the top-level packages of some of this environment's
distributions (and their .dist-info). Run with `python -S` and the farm on PYTHONPATH, Python sees those distributions
and nothing else: tests/test_install.py runs genlib with its runtime dependencies only. Packages that share a namespace
folder (nvidia, google) are linked as the whole folder. `missing`, `farm` need `packaging` (a dev dependency);
`metadata` runs on the standard library alone.
"""
import sys, re, tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

def canonical(name:str) -> str: return re.sub(r"[-_.]+", "-", name).lower()

def listed_packages(path) -> set[str]:
    "The distribution names in a list file: one per line, NAME or NAME==VERSION, # comments."
    lines = (re.split(r"[=<>~ @]", l.split("#")[0].strip())[0] for l in Path(path).read_text().splitlines())
    return {canonical(l) for l in lines if l}

def runtime_closure(name:str="genlib") -> dict[str, str]:
    "{canonical name: installed version} of `name` and everything it requires here, without its extras (markers evaluated; the extras a requirement names, such as torch's cuda-toolkit[cudart], followed)."
    import importlib.metadata as md
    from packaging.requirements import Requirement
    seen, done, todo = {}, set(), [(name, "")]
    while todo:
        n, extra = todo.pop(); n = canonical(n)
        if (n, extra) in done: continue
        done.add((n, extra))
        try: dist = md.distribution(n)
        except md.PackageNotFoundError: raise SystemExit(f"envfarm: {n} is required but not installed here")
        seen[n] = dist.version
        for r in dist.requires or []:
            req = Requirement(r)
            if req.marker is None or req.marker.evaluate({"extra": extra}):
                todo += [(req.name, "")] + [(req.name, e) for e in req.extras]
    return seen

def top_levels(dist) -> set[str]:
    "The names a distribution puts at the top of site-packages: packages, modules and its .dist-info."
    names = {f.parts[0] for f in dist.files or [] if f.parts and f.parts[0] not in ("..", "__pycache__")}
    if not names: raise SystemExit(f"envfarm: {dist.metadata['Name']} lists no files (no RECORD); cannot link it")
    return names

def farm(dest, names:set[str]) -> list[str]:
    "Link the installed distributions in `names` into `dest`; returns the names linked."
    import importlib.metadata as md
    dest = Path(dest); dest.mkdir(parents=True, exist_ok=True)
    linked = []
    for dist in md.distributions():
        if canonical(dist.metadata["Name"]) not in names or canonical(dist.metadata["Name"]) in linked: continue
        site = Path(dist.locate_file(""))
        for top in top_levels(dist):
            link = dest/top
            if not link.exists(): link.symlink_to(site/top)
        linked.append(canonical(dist.metadata["Name"]))
    return sorted(linked)

def write_metadata(site) -> Path:
    "Make genlib, run from a checkout on PYTHONPATH, a distribution Python knows: name, version and entry points (genlib's models)."
    project = tomllib.loads((ROOT/"pyproject.toml").read_text())["project"]
    info = Path(site)/f"{project['name']}-{project['version']}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info/"METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    groups = {"console_scripts": project.get("scripts", {}), **project.get("entry-points", {})}
    (info/"entry_points.txt").write_text("".join(f"[{g}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n"
                                                 for g, eps in groups.items()))
    return info

if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["missing"] and len(args) == 2:
        there = listed_packages(args[1])
        for n, v in sorted(runtime_closure("genlib").items()):
            if n != "genlib" and n not in there: print(f"{n}=={v}")
    elif args[:1] == ["farm"] and len(args) == 4 and args[1] == "--requires":
        linked = farm(args[3], set(runtime_closure(args[2])) - {canonical(args[2])})
        print(f"envfarm: {args[3]}: {len(linked)} distributions")
    elif args[:1] == ["metadata"] and len(args) == 2:
        print(f"envfarm: {write_metadata(args[1])}")
    else: raise SystemExit(__doc__)
