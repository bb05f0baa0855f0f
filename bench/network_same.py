"""Check that two checkouts of wenmai write the same network outputs from the same tokens.

Usage: ``python bench/network_same.py WORKDIR OLD_CHECKOUT NEW_CHECKOUT [--params JSON ...]
[--rows N]``

``WORKDIR`` holds ``ingest/documents`` and ``segment/tokens`` (a wenmai work folder). Each
checkout runs the network stage in a fresh process per parameter set (``--params`` as JSON,
repeated; by default a set covering every window kind, counting, measure, selection, slices,
bursts and the two-mode network) on a copy of those inputs; every output file (tables,
GEXF, GraphML, Pajek, CSV, VOSviewer) is compared by sha256. Exits 1 if anything differs.
Used to show that the streamed counting leaves the network as it was (``docs/network.md``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_PARAMS = [
    {},
    {"by": "year", "slice": 10, "two_mode": "year"},
    {"window": "paragraph", "measure": "jaccard", "select": "per_node", "top_n": 150},
    {"window": "document", "measure": "lift", "select": "disparity", "top_n": 80},
    {"window": "5", "within": "paragraph", "measure": "npmi", "select": "mst"},
    {"window": "3", "counting": "full", "measure": "count", "select": "all", "top_n": 60},
    {"counting": "full", "select": "threshold", "threshold": 2.0, "pos": ["n", "v"]},
    {"select": "all", "measure": "count", "top_n": 400, "min_chars": 1, "burst_terms": 0},
]

_RUN = """
import json, shutil, sys
from pathlib import Path
root, work, out, params, rows = sys.argv[1:6]
sys.path.insert(0, root)
from pipelines import network
if int(rows):
    import pipelines.network.stream as stream
    stream.BATCH_ROWS = int(rows)
from pipelines.core import runner
target = Path(out)
for table in ("ingest/documents", "segment/tokens"):
    src = Path(work) / table
    dst = target / table
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        shutil.copy(src.with_suffix(".parquet"), dst.with_suffix(".parquet"))
runner.run_stage(network, target, network.Params(**json.loads(params)), force=True)
"""


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file the network stage wrote (its folder), by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((folder / "network").rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def main() -> None:
    """Run both checkouts per parameter set; compare every output file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--params", action="append", help="network params as JSON")
    parser.add_argument("--rows", type=int, default=0, help="the new checkout reads "
                        "segment/tokens in batches of this many rows (0: its default)")
    args = parser.parse_args()
    sets = [json.loads(p) for p in args.params] if args.params else DEFAULT_PARAMS
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        for k, params in enumerate(sets):
            found = []
            for side, root in (("old", args.old), ("new", args.new)):
                out = Path(tmp) / f"{k}-{side}"
                start = time.perf_counter()
                proc = subprocess.run([sys.executable, "-c", _RUN, str(root), str(args.work),
                                       str(out), json.dumps(params),
                                       str(args.rows if side == "new" else 0)],
                                      capture_output=True,
                                      text=True)
                if proc.returncode:
                    sys.exit(f"{side} failed on {params}:\n{proc.stderr[-2000:]}")
                found.append((digests(out), time.perf_counter() - start))
                shutil.rmtree(out)
            (old, t_old), (new, t_new) = found
            differ = sorted(n for n in old.keys() | new.keys() if old.get(n) != new.get(n))
            same &= not differ
            print(f"{json.dumps(params, ensure_ascii=False)}: {len(old)} files, "
                  f"{'same bytes' if not differ else 'DIFFER: ' + ', '.join(differ)} "
                  f"(old {t_old:.1f} s, new {t_new:.1f} s)", flush=True)
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
