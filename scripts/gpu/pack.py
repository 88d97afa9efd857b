"""Pack a GPU call's results into one small archive beside its logs, and check the results folder against limits you set.

    python3 scripts/gpu/pack.py runs RUNS OUT/results.tar.gz [--max-mb M]   # RUNS' metrics.json, hparams.yaml, evaluation JSON and logs; no checkpoints
    python3 scripts/gpu/pack.py check OUT [--max-files N] [--max-file-mb M]  # exit 1, naming each file or count over a limit

Every limit is off (0) unless given: set them when the results must travel through something that limits them (a batch
system's output folder, an upload), so that a run learns it broke a limit before its files are lost.
"""
import argparse, re, tarfile
from pathlib import Path

KEEP = re.compile(r"(metrics\.json|hparams\.yaml|eval.*\.json|.*\.log)$")  # report.md and curves.png are copied beside it

def out_problems(out, max_files:int=0, max_file_mb:float=0) -> list[str]:
    "What in `out` breaks the limits (0: no limit): files over `max_file_mb` MiB, more than `max_files` files; [] when nothing does."
    files = sorted(p for p in Path(out).rglob("*") if p.is_file())
    problems = [f"{p.relative_to(out)}: {p.stat().st_size/2**20:.1f} MiB, over {max_file_mb:g} MiB"
                for p in files if max_file_mb and p.stat().st_size > max_file_mb*2**20]
    if max_files and len(files) > max_files:
        problems.append(f"{len(files)} files, over {max_files}: {', '.join(str(f.relative_to(out)) for f in files)}")
    return problems

def pack_runs(runs, dest, max_mb:float=0) -> list[str]:
    "Tar the small result files under `runs` into `dest` (the largest dropped first while over `max_mb` MiB, when given); returns what went in."
    runs = Path(runs)
    files = sorted(p for p in runs.rglob("*") if p.is_file() and not p.is_symlink() and KEEP.match(p.name))
    while max_mb and files and sum(p.stat().st_size for p in files) > max_mb*2**20: files.remove(max(files, key=lambda p: p.stat().st_size))
    with tarfile.open(dest, "w:gz") as tar:
        for p in files: tar.add(p, arcname=str(p.relative_to(runs.parent)))
    return [str(p.relative_to(runs)) for p in files]

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["runs", "check"]); ap.add_argument("paths", nargs="+")
    ap.add_argument("--max-mb", type=float, default=0); ap.add_argument("--max-files", type=int, default=0)
    ap.add_argument("--max-file-mb", type=float, default=0)
    a = ap.parse_args()
    if a.what == "runs":
        got = pack_runs(*a.paths, max_mb=a.max_mb)
        print(f"pack: {len(got)} files into {a.paths[1]} ({Path(a.paths[1]).stat().st_size/2**10:.0f} KiB)")
    elif problems := out_problems(a.paths[0], a.max_files, a.max_file_mb):
        raise SystemExit(f"pack: FAILED: over the limits in {a.paths[0]}:\n  " + "\n  ".join(problems))
    else: print(f"pack: {a.paths[0]} within the limits ({sum(1 for p in Path(a.paths[0]).rglob('*') if p.is_file())} files)")
