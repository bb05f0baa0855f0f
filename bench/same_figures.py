"""Check that two checkouts write the same figure files, byte for byte.

Usage::

    .venv/bin/python bench/same_figures.py OLD [--new .] [--work WORK] [--pdf]

``OLD`` and ``--new`` are checkouts of wenmai (e.g. ``git worktree add /tmp/old main``).
The sample (``data/sample``) is run up to the code stage once, by the new checkout, into a
work folder (or ``--work`` is used as it is); then ``wenmai figures --force`` runs on a copy
of it for each side: the old checkout with its defaults, and the new one with one worker and
with two, each under another ``PYTHONHASHSEED``. Every file of ``figures/`` (PNG, SVG, PDF
with ``--pdf``, CSV; not the manifest, which holds times) is compared by sha256 with the old
side's. Exit 1 on any difference or missing file.

Both sides run from copies (``cli``, ``pipelines``, ``data``) in one temporary folder: a PDF
lists its fonts sorted by file path (matplotlib's ``PdfFile.writeFonts``), so where the
shipped font lies beside matplotlib's DejaVu Sans (mathtext, fallback) changes the order of
the objects in a PDF that uses both, and two checkouts at unrelated paths could differ for
that reason alone.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _wenmai(code: Path, work: Path, *args: str, seed: str = "0") -> None:
    env = {**os.environ, "PYTHONPATH": str(code), "PYTHONHASHSEED": seed}
    subprocess.run([sys.executable, "-c", "import cli; cli.main()", "-q", "--config",
                    str(ROOT / "data/sample/wenmai.toml"), "--workdir", str(work), *args],
                   check=True, cwd=code, env=env, stdout=subprocess.DEVNULL)


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.name != "manifest.json"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="the old checkout")
    parser.add_argument("--new", type=Path, default=ROOT, help="the new checkout (this one)")
    parser.add_argument("--work", type=Path, help="a work folder run up to code (default: "
                        "the sample, run now)")
    parser.add_argument("--pdf", action="store_true", help="write PDF too (--formats "
                        "png,svg,pdf on every side)")
    args = parser.parse_args()
    extra = ["--formats", "png,svg,pdf"] if args.pdf else []
    with tempfile.TemporaryDirectory() as tmp:
        old, new = Path(tmp) / "code-old", Path(tmp) / "code-new"
        for source, copy in ((args.old, old), (args.new, new)):
            for part in ("cli", "pipelines", "data"):
                shutil.copytree(source / part, copy / part,
                                ignore=shutil.ignore_patterns("__pycache__"))
        base = args.work
        if base is None:
            base = Path(tmp) / "base"
            _wenmai(new, base, "run", "--until", "code")
        sides = [("old", old, [], "0"),
                 ("new, 1 worker", new, ["--workers", "1"], "1"),
                 ("new, 2 workers", new, ["--workers", "2"], "2")]
        found: dict[str, dict[str, str]] = {}
        for label, code, options, seed in sides:
            work = Path(tmp) / label.replace(" ", "_").replace(",", "")
            shutil.copytree(base, work, ignore=shutil.ignore_patterns("figures", "report"))
            _wenmai(code, work, "figures", "--force", *extra, *options, seed=seed)
            found[label] = _hashes(work / "figures")
    reference = found["old"]
    bad = 0
    for label, hashes in found.items():
        differ = sorted(n for n in reference if hashes.get(n) != reference[n])
        more = sorted(set(hashes) - set(reference))
        status = "same bytes" if not differ and not more else "DIFFERENT"
        print(f"{label:<16} {len(hashes):3d} files: {status}"
              + (f"; differ or missing: {', '.join(differ)}" if differ else "")
              + (f"; not in old: {', '.join(more)}" if more else ""))
        bad += bool(differ or more)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
