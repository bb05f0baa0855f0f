"""How well does ``--classifier`` learn a coding from half of a corpus?

The rule coding of a work folder (``wenmai code`` done, so ``code/project.qdpx`` exists) stands
in for a human coding: a seeded share of its documents keep their selections (the "hand-coded"
sample), the others lose them. The code stage then learns every code from the sample
(``coding_from`` + ``classifier``) and codes the other documents. Printed per code:

- cross-validated precision / recall / F1 of both methods on the sample (``code_classifier``);
- held out: the model's codings of the other documents against the rules' codings there
  (which the model never saw), pooled and per code.

Usage (the work folder made once with ingest, segment and code):

    wenmai --workdir /tmp/laws ingest ../shared/corpora/laws-education-rural-cn
    wenmai --workdir /tmp/laws segment
    wenmai --workdir /tmp/laws code --codebook builtin:policy_instruments --unit paragraph
    .venv/bin/python bench/bench_classifier.py --workdir /tmp/laws \
        --codebook builtin:policy_instruments --unit paragraph [--method logistic]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def half_project(project: Path, out: Path, share: float, seed: int) -> set[str]:
    """Write ``project`` with the selections of all but a seeded ``share`` of its sources
    removed; return the guids of the sources kept coded."""
    src = zipfile.ZipFile(project)
    qde = src.read("project.qde").decode("utf-8")
    guids = sorted(re.findall(r'<TextSource guid="([^"]+)"', qde))
    rng = np.random.default_rng(seed)
    kept = set(rng.choice(guids, size=round(share * len(guids)), replace=False).tolist())

    def strip(m: re.Match) -> str:  # an element without its selections, unless kept
        if m.group(1) in kept or m.group(2) == "/>":
            return m.group(0)
        return m.group(0)[:m.start(2) - m.start(0)] + " />"

    qde = re.sub(r'<TextSource guid="([^"]+)"[^>]*?(/>|>.*?</TextSource>)', strip, qde,
                 flags=re.S)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info, qde if info.filename == "project.qde" else src.read(info))
    out.write_bytes(buf.getvalue())
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--codebook", default="builtin:policy_instruments")
    parser.add_argument("--unit", default="paragraph")
    parser.add_argument("--method", default="logistic",
                        choices=("logistic", "complement_nb", "naive_bayes"))
    parser.add_argument("--share", type=float, default=0.5)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    from pipelines import code
    from pipelines.code.classify import scores
    from pipelines.core.store import open_table, read_all

    half = args.workdir / f"half_{args.seed}.qdpx"
    kept = half_project(args.workdir / "code" / "project.qdpx", half, args.share, args.seed)
    inputs = {name: open_table(args.workdir, name) for name in code.INPUTS}
    rules = read_all(open_table(args.workdir, "code/codings")).to_pandas()
    params = code.Params(codebook=args.codebook, unit=args.unit, coding_from=str(half),
                         classifier=args.method, folds=args.folds, seed=args.seed, orders=0)
    started = time.perf_counter()
    out = code.compute(inputs, params)
    seconds = time.perf_counter() - started
    table = out["code_classifier"].to_pandas()
    codings = read_all(out["codings"]).to_pandas()
    print(f"{len(kept)} hand-coded documents (seed {args.seed}), unit {args.unit}, "
          f"method {args.method}: {seconds:.1f} s, load {os.getloadavg()[0]:.1f}")
    wide = table.pivot_table(index="code", columns="method", values=["precision", "recall",
                                                                     "f1"], sort=False)
    print(wide.round(3).to_string())
    from pipelines.code.refi import guid

    docs = read_all(inputs["ingest/documents"], ["doc_id"]).column("doc_id").to_pylist()
    held = {d for d in docs if guid("source", d) not in kept}
    key = ["doc_id", "start", "code"]
    truth = set(map(tuple, rules.loc[rules["doc_id"].isin(held), key].to_numpy().tolist()))
    model = codings[codings["coder"] == "model"]
    pred = set(map(tuple, model[key].to_numpy().tolist()))
    assert set(model["doc_id"]) <= held
    print(f"\nheld out: {len(held)} documents the model never saw, its codings against the "
          "rules' there")
    for c in [c.name for c in _book(args.codebook).codes]:
        tc, pc = {x for x in truth if x[2] == c}, {x for x in pred if x[2] == c}
        pr, rc, f1 = _prf(tc, pc, scores)
        print(f"  {c:<10} rules {len(tc):5d} model {len(pc):5d}  P {pr:.3f} R {rc:.3f} "
              f"F1 {f1:.3f}")
    pr, rc, f1 = _prf(truth, pred, scores)
    print(f"  {'pooled':<10} rules {len(truth):5d} model {len(pred):5d}  P {pr:.3f} "
          f"R {rc:.3f} F1 {f1:.3f}")


def _book(codebook: str):
    from pipelines.code.codebook import load_codebook
    from pipelines.code.stage import codebook_path

    return load_codebook(codebook_path(codebook))


def _prf(truth: set, pred: set, scores) -> tuple[float, float, float]:
    both = sorted(truth | pred)
    y = np.array([x in truth for x in both], dtype=bool)
    yhat = np.array([x in pred for x in both], dtype=bool)
    s = scores(y, yhat)
    return s["precision"], s["recall"], s["f1"]


if __name__ == "__main__":
    main()
