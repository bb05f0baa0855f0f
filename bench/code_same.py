"""Does the code stage of this checkout write the same outputs as another checkout's?

Usage: ``python bench/code_same.py --old DIR --project P [--project P2 ...] [--sets all]``

``--old`` is a checkout of the code to compare with (e.g. ``git archive adbde2d | tar -x -C
/tmp/old``); each project is a folder with ``wenmai.toml`` and a work folder ``work`` where
ingest and segment are done (the sample: ``wenmai --config data/sample/wenmai.toml --workdir
data/sample/work run --until segment`` first). For each parameter set the code stage runs once
with each checkout, on hard-linked copies of the work folder, and every output is compared:
the files byte for byte, and ``codings`` (one file before, a dataset of parts since) row for
row. Prints one line per set and output; exits 1 on a difference.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "default": [],
    "paragraph": ["--unit", "paragraph", "--by", "year", "--by", "source", "--reserve", "3"],
    "document": ["--unit", "document", "--orders", "0", "--measure", "npmi"],
    "workers": ["--workers", "2", "--reserve", "5", "--seed", "7"],
    # human codings: {human} is the stage's own project with every coding of one code removed
    "reference": ["--reference", "{human}"],
    "two-coders": ["--unit", "paragraph", "--reference", "{human}", "--reference-b", "{own}"],
}


def run_code(checkout: Path, project: Path, work: Path, args: list[str]) -> float:
    """Run ``wenmai code --force`` of ``checkout`` on ``work``; return the wall seconds."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import cli; cli.main()", "-q", "--config",
                    str(project / "wenmai.toml"), "--workdir", str(work), "code", "--force",
                    *args], check=True, env=env, cwd=checkout,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def codings(folder: Path):
    """The codings rows of a code stage folder (one file or a dataset)."""
    import pyarrow.parquet as pq

    single = folder / "codings.parquet"
    if single.exists():
        table = pq.read_table(single)
    else:
        import pyarrow as pa

        table = pa.concat_tables(pq.read_table(p) for p in sorted(
            (folder / "codings").glob("part-*.parquet")))
    return table.replace_schema_metadata(None)


def human_codings(checkout: Path, project: Path, folder: Path) -> dict[str, str]:
    """The stage's own project (``own``) and a 'human' recoding of it (``human``: every coding
    of the project's first code removed), made with ``checkout``."""
    import re
    import zipfile

    work = folder / "reference-work"
    work.mkdir()
    for stage in ("ingest", "segment"):
        shutil.copytree(project / "work" / stage, work / stage, copy_function=os.link)
    run_code(checkout, project, work, [])
    own = folder / "own.qdpx"
    shutil.copyfile(work / "code" / "project.qdpx", own)
    with zipfile.ZipFile(own) as src, zipfile.ZipFile(folder / "human.qdpx", "w") as out:
        qde = src.read("project.qde").decode("utf-8")
        codes = re.findall(r'<Code guid="([0-9A-F-]+)" name="[^"]+" isCodable="true">\s*'
                           r'<Description>[^<]*wenmai rule', qde)
        qde = re.sub(rf'\s*<Coding guid="[^"]+" creatingUser="[^"]+">\s*<CodeRef targetGUID='
                     rf'"{codes[0]}" />\s*</Coding>', "", qde)
        for name in src.namelist():
            out.writestr(name, qde if name == "project.qde" else src.read(name))
    return {"own": str(own), "human": str(folder / "human.qdpx")}


def compare(old: Path, new: Path) -> list[str]:
    """Names of the outputs that differ (codings by rows, the rest by bytes)."""
    differ = []
    if not codings(old).equals(codings(new)):
        differ.append("codings")
    names = {p.name for p in old.iterdir() if p.is_file()} | {
        p.name for p in new.iterdir() if p.is_file()}
    for name in sorted(names - {"manifest.json", "codings.parquet"}):
        a, b = old / name, new / name
        if not (a.exists() and b.exists() and a.read_bytes() == b.read_bytes()):
            differ.append(name)
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True)
    parser.add_argument("--project", type=Path, action="append", required=True)
    parser.add_argument("--sets", default=",".join(SETS))
    args = parser.parse_args()
    failed = False
    for project in args.project:
        for name in args.sets.split(","):
            with tempfile.TemporaryDirectory(prefix="code-same-") as tmp:
                given = SETS[name]
                if any("{" in a for a in given):
                    files = human_codings(args.old, project, Path(tmp))
                    given = [a.format(**files) for a in given]
                works = {}
                for side in ("old", "new"):
                    works[side] = Path(tmp) / side
                    works[side].mkdir()
                    for stage in ("ingest", "segment"):
                        shutil.copytree(project / "work" / stage, works[side] / stage,
                                        copy_function=os.link)
                seconds = {side: run_code(args.old if side == "old" else ROOT, project,
                                          works[side], given) for side in works}
                differ = compare(works["old"] / "code", works["new"] / "code")
                files = sorted(p.name for p in (works["new"] / "code").iterdir())
                failed |= bool(differ)
                verdict = "DIFFER " + ", ".join(differ) if differ else "same"
                print(f"{project.name} {name}: {verdict} ({len(files)} outputs; old "
                      f"{seconds['old']:.1f} s, new {seconds['new']:.1f} s)", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
