"""Pack a GPU call's results into the folder of files a remote GPU machine sends back, and check its limits.

    python3 scripts/gpu/pack.py runs RUNS OUT/results.tar.gz   # RUNS' metrics.json, hparams.yaml, evaluation JSON and logs; no checkpoints
    python3 scripts/gpu/pack.py check OUT                      # exit 1, naming each broken rule

The limits (those of the remote machines this was written for): at most 8 files, each at most 16 MiB, 64 MiB together, no deeper than OUT/a/b/file,
each name made of letters, digits, '.', '_' and '-', plain files only (no links). A file beyond them does not come back.
"""
import re, sys, tarfile
from pathlib import Path

MAX_FILES, MAX_FILE_BYTES, MAX_TOTAL_BYTES, MAX_DEPTH = 8, 16*2**20, 64*2**20, 3
PLAIN_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
KEEP = re.compile(r"(metrics\.json|hparams\.yaml|eval.*\.json|.*\.log)$")  # report.md and curves.png come back beside it

def out_problems(out) -> list[str]:
    "What in `out` breaks the rules of the files that come back; [] when nothing does."
    out, problems, files = Path(out), [], []
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out)
        if any(not PLAIN_NAME.match(part) for part in rel.parts): problems.append(f"{rel}: not a plain name (letters, digits, . _ - only)")
        if p.is_symlink(): problems.append(f"{rel}: a link, not a plain file"); continue
        if p.is_dir(): continue
        if not p.is_file(): problems.append(f"{rel}: not a plain file"); continue
        if len(rel.parts) > MAX_DEPTH: problems.append(f"{rel}: deeper than OUT/a/b/file")
        if p.stat().st_size > MAX_FILE_BYTES: problems.append(f"{rel}: {p.stat().st_size/2**20:.1f} MiB, over 16 MiB")
        files.append(p)
    if len(files) > MAX_FILES: problems.append(f"{len(files)} files, over {MAX_FILES}: {', '.join(str(f.relative_to(out)) for f in files)}")
    if (total := sum(f.stat().st_size for f in files)) > MAX_TOTAL_BYTES: problems.append(f"{total/2**20:.1f} MiB in all, over 64 MiB")
    return problems

def pack_runs(runs, dest, limit:int=MAX_FILE_BYTES - 2**20) -> list[str]:
    "Tar the small result files under `runs` into `dest` (largest dropped first while over `limit`); returns what went in."
    runs = Path(runs)
    files = sorted(p for p in runs.rglob("*") if p.is_file() and not p.is_symlink() and KEEP.match(p.name))
    while files and sum(p.stat().st_size for p in files) > limit: files.remove(max(files, key=lambda p: p.stat().st_size))
    with tarfile.open(dest, "w:gz") as tar:
        for p in files: tar.add(p, arcname=str(p.relative_to(runs.parent)))
    return [str(p.relative_to(runs)) for p in files]

if __name__ == "__main__":
    if sys.argv[1:2] == ["runs"] and len(sys.argv) == 4:
        got = pack_runs(sys.argv[2], sys.argv[3])
        print(f"pack: {len(got)} files into {sys.argv[3]} ({Path(sys.argv[3]).stat().st_size/2**10:.0f} KiB)")
    elif sys.argv[1:2] == ["check"] and len(sys.argv) == 3:
        if problems := out_problems(sys.argv[2]):
            print("pack: FAILED: what would not come back from " + sys.argv[2] + ":\n  " + "\n  ".join(problems), file=sys.stderr)
            sys.exit(1)
        print(f"pack: {sys.argv[2]} keeps the rules ({sum(1 for p in Path(sys.argv[2]).rglob('*') if p.is_file())} files)")
    else: sys.exit(__doc__)
