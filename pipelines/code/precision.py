"""Precision and recall of a coding from a filled audit sheet (``code --audit-results FILE``).

Precision of a code is the share of its judged segments a reader found right, with a Wilson
score 95 % interval (Wilson 1927; Brown, Cai & DasGupta 2001 recommend it over the Wald
interval for small n): for ``x`` right of ``n`` judged, p = x/n, z = 1.959964,

    centre = (p + z²/2n) / (1 + z²/n),  half = z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n).

"partly" counts as half right in ``precision`` (x = yes + partly/2) and as wrong in
``precision_strict`` (x = yes); both are reported, each with its interval. A group's (and the
whole codebook's) ``precision`` pools the judged segments of its codes; as the sheet samples the
same number per code, rare codes weigh more there than in the coding, so ``weighted`` also gives
the estimate with each code weighted by its number of codings (a stratified estimate, without
an interval).

Recall is estimated from the uncoded sample: with N_c codings of code c, precision p_c, N_u
uncoded units and a share m of the judged uncoded units that should carry a code,

    recall = Σ p_c·N_c / (Σ p_c·N_c + m·N_u),

per group with m counting the uncoded units whose ``missed_codes`` name a code of that group.
A unit coded with one code but missing another is not in the uncoded sample, so this recall is
an upper bound; no interval is given.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.code.audit import JUDGEMENTS, SHEET_COLUMNS, audit_workbook, draw_sample
from pipelines.code.codebook import Codebook
from pipelines.core.errors import BadInputFile
from pipelines.core.store import StoredTable

__all__ = ["Z95", "wilson", "read_sheet", "precision_table", "recall_table",
           "PRECISION_SCHEMA", "RECALL_SCHEMA", "audit_outputs"]

Z95 = 1.959963984540054  # the 0.975 quantile of the standard normal

PRECISION_SCHEMA = pa.schema([
    ("level", pa.string()), ("name", pa.string()), ("group", pa.string()),
    ("judged", pa.int64()), ("yes", pa.int64()), ("partly", pa.int64()), ("no", pa.int64()),
    ("precision", pa.float64()), ("low", pa.float64()), ("high", pa.float64()),
    ("precision_strict", pa.float64()), ("strict_low", pa.float64()),
    ("strict_high", pa.float64()), ("codings", pa.int64()), ("weighted", pa.float64()),
])
RECALL_SCHEMA = pa.schema([
    ("level", pa.string()), ("name", pa.string()), ("uncoded_judged", pa.int64()),
    ("missed", pa.float64()), ("uncoded_units", pa.int64()), ("true_coded", pa.float64()),
    ("missed_units", pa.float64()), ("recall", pa.float64()),
])
#: What a reader may write in ``judgement`` (case and spaces ignored).
_ANSWERS = {"yes": "yes", "y": "yes", "是": "yes", "对": "yes", "partly": "partly",
            "partial": "partly", "部分": "partly", "no": "no", "n": "no", "否": "no",
            "错": "no"}


def wilson(x: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of ``x`` successes in ``n`` trials (NaN, NaN for n = 0).

    >>> [round(v, 4) for v in wilson(8, 10)]
    [0.4902, 0.9433]
    """
    if n <= 0:
        return math.nan, math.nan
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def read_sheet(path: str | Path) -> tuple[list[dict], dict[str, Any]]:
    """The judged rows and the meta data of a filled audit sheet.

    Raises:
        BadInputFile: the file is not an audit sheet, or a judgement is not yes/partly/no.
    """
    from openpyxl import load_workbook

    path = Path(path)
    hint = "fill in the sheet `wenmai code --audit N` writes (code/audit_sheet.xlsx)"
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise BadInputFile(f"code: audit results {path} not found; {hint}") from None
    except Exception as err:  # openpyxl raises several kinds for a file that is no xlsx
        raise BadInputFile(f"code: audit results {path} is not an xlsx file ({err}); "
                           f"{hint}") from None
    if "audit" not in wb.sheetnames or "about" not in wb.sheetnames:
        raise BadInputFile(f"code: audit results {path} lacks the sheets audit and about; "
                           f"{hint}")
    about = {r[0]: r[1] for r in wb["about"].iter_rows(values_only=True) if r and r[0]}
    try:
        meta = json.loads(about["meta"])
    except (KeyError, TypeError, ValueError):
        raise BadInputFile(f"code: audit results {path}: the about sheet lost its meta row; "
                           f"{hint}") from None
    rows = list(wb["audit"].iter_rows(values_only=True))
    header = [str(h) if h is not None else "" for h in rows[0]] if rows else []
    missing = [c for c in ("audit_id", "kind", "code", "judgement", "missed_codes")
               if c not in header]
    if missing:
        raise BadInputFile(f"code: audit results {path}: sheet audit lacks column(s) "
                           f"{', '.join(missing)}; {hint}")
    out = []
    for number, values in enumerate(rows[1:], 2):
        row = dict(zip(header, values, strict=False))
        raw = row.get("judgement")
        answer = None
        if raw is not None and str(raw).strip():
            answer = _ANSWERS.get(str(raw).strip().lower())
            if answer is None:
                raise BadInputFile(f"code: audit results {path}, sheet audit row {number}: "
                                   f"judgement {raw!r} is not one of {', '.join(JUDGEMENTS)}")
        row["judgement"] = answer
        missed = row.get("missed_codes")
        row["missed_codes"] = [m.strip() for m in str(missed or "").replace("，", ",").split(",")
                               if m.strip()]
        out.append({c: row.get(c) for c in SHEET_COLUMNS})
    return out, meta


def _credit(answer: str, partly: float) -> float:
    return {"yes": 1.0, "partly": partly, "no": 0.0}[answer]


def _stats(answers: list[str]) -> dict[str, Any]:
    counts = Counter(answers)
    n = len(answers)
    half = counts["yes"] + 0.5 * counts["partly"]
    strict = counts["yes"]
    low, high = wilson(half, n)
    s_low, s_high = wilson(strict, n)
    return {"judged": n, "yes": counts["yes"], "partly": counts["partly"], "no": counts["no"],
            "precision": half / n if n else math.nan, "low": low, "high": high,
            "precision_strict": strict / n if n else math.nan, "strict_low": s_low,
            "strict_high": s_high}


def precision_table(rows: list[dict], book: Codebook, meta: dict[str, Any]) -> pa.Table:
    """Precision per code, per group and over the codebook (level ``all``).

    Raises:
        BadInputFile: a judged coded row names a code the codebook does not have.
    """
    population = meta.get("population", {}).get("codings", {})
    by_code: dict[str, list[str]] = {c.name: [] for c in book.codes}
    for row in rows:
        if row["kind"] != "coded" or row["judgement"] is None:
            continue
        if row["code"] not in by_code:
            raise BadInputFile(f"code: audit results: row {row['audit_id']} names code "
                               f"{row['code']!r}, which the codebook {book.name} lacks; audit "
                               "with the codebook the sheet was drawn from")
        by_code[row["code"]].append(row["judgement"])
    out = []
    for c in book.codes:
        stats = _stats(by_code[c.name])
        out.append({"level": "code", "name": c.name, "group": c.group, **stats,
                    "codings": int(population.get(c.name, 0)),
                    "weighted": stats["precision"]})
    groups = [(g.name, [c for c in book.codes if c.group == g.name]) for g in book.groups]
    for level, name, codes in ([("group", g, cs) for g, cs in groups]
                               + [("all", "all", list(book.codes))]):
        answers = [a for c in codes for a in by_code[c.name]]
        stats = _stats(answers)
        judged = [c for c in codes if by_code[c.name]]
        weights = [int(population.get(c.name, 0)) for c in judged]
        estimates = [sum(_credit(a, 0.5) for a in by_code[c.name]) / len(by_code[c.name])
                     for c in judged]
        total = sum(weights)
        weighted = (sum(w * e for w, e in zip(weights, estimates, strict=True)) / total
                    if total else math.nan)
        out.append({"level": level, "name": name, "group": name if level == "group" else "",
                    **stats, "codings": sum(int(population.get(c.name, 0)) for c in codes),
                    "weighted": weighted})
    return pa.Table.from_pylist(out, schema=PRECISION_SCHEMA)


def recall_table(rows: list[dict], book: Codebook, meta: dict[str, Any],
                 precision: pa.Table) -> pa.Table:
    """Estimated recall per group and over the codebook, from the uncoded sample.

    Raises:
        BadInputFile: ``missed_codes`` names a code the codebook does not have.
    """
    group_of = {c.name: c.group for c in book.codes}
    group_of.update({cat.name: cat.group for cat in book.categories})
    group_of.update({g.name: g.name for g in book.groups})
    judged = [r for r in rows if r["kind"] == "uncoded"
              and (r["judgement"] is not None or r["missed_codes"])]
    missed_any = 0.0
    missed_group: Counter = Counter()
    for r in judged:
        unknown = [m for m in r["missed_codes"] if m not in group_of]
        if unknown:
            raise BadInputFile(f"code: audit results: row {r['audit_id']} names "
                               f"{', '.join(unknown)} in missed_codes, not a code of "
                               f"{book.name}")
        answer = r["judgement"] or ("yes" if r["missed_codes"] else "no")
        missed_any += _credit(answer, 0.5) if not r["missed_codes"] else 1.0
        for g in {group_of[m] for m in r["missed_codes"]}:
            missed_group[g] += 1
    uncoded = int(meta.get("population", {}).get("uncoded", 0))
    prec = {(r["level"], r["name"]): r for r in precision.to_pylist()}
    code_rows = [r for r in precision.to_pylist() if r["level"] == "code" and r["judged"]]
    out = []
    n = len(judged)
    for level, name, missed in ([("group", g.name, float(missed_group[g.name]))
                                 for g in book.groups] + [("all", "all", missed_any)]):
        mine = [r for r in code_rows if level == "all" or r["group"] == name]
        true_coded = sum(r["precision"] * r["codings"] for r in mine)
        missed_units = missed / n * uncoded if n else math.nan
        denom = true_coded + missed_units
        recall = true_coded / denom if n and denom > 0 and prec else math.nan
        out.append({"level": level, "name": name, "uncoded_judged": n, "missed": missed,
                    "uncoded_units": uncoded, "true_coded": true_coded,
                    "missed_units": missed_units, "recall": recall})
    return pa.Table.from_pylist(out, schema=RECALL_SCHEMA)


def audit_outputs(book: Codebook, codings: pa.Table | StoredTable,
                  documents: pa.Table | StoredTable, *, unit: str, n: int, seed: int,
                  results: str | None) -> dict[str, Any]:
    """The code stage's audit outputs: ``audit_sheet.xlsx`` (with ``n`` > 0) and, from a
    filled sheet (``results``), the tables ``audit_precision`` and ``audit_recall``.

    Raises:
        BadInputFile: the filled sheet is malformed (:func:`pipelines.code.precision.read_sheet`).
    """
    log = logging.getLogger("wenmai")
    digest = hashlib.sha256(Path(book.path).read_bytes()).hexdigest()
    out: dict[str, Any] = {}
    if n > 0:
        rows, population = draw_sample(codings, documents, book, unit=unit, n=n, seed=seed)
        meta = {"codebook_sha256": digest, "unit": unit, "seed": seed, "n": n,
                "population": population}
        out["audit_sheet.xlsx"] = audit_workbook(rows, book, meta)
        log.info("code: audit sheet of %d units (%d per code, %d uncoded) in "
                 "code/audit_sheet.xlsx", len(rows), n, sum(r["kind"] == "uncoded" for r in rows))
    if results:
        rows, meta = read_sheet(results)
        if meta.get("codebook_sha256") != digest or meta.get("unit") != unit:
            log.warning("code: the audit sheet %s was drawn from another codebook file or "
                        "unit (%s); its precision is that of the coding it was drawn from",
                        results, meta.get("unit"))
        precision = precision_table(rows, book, meta)
        out["audit_precision"] = precision
        out["audit_recall"] = recall_table(rows, book, meta, precision)
    return out
