"""Audit a codebook's codings by reading them: a seeded sample to judge, then precision and recall.

Used for the shipped codebooks (data/codebooks/audits/, numbers in data/codebooks/SOURCE.md).
Each SET is a work folder coded with one rule set (``wenmai code --unit paragraph``); several
sets of the same corpus (old and new rules) are sampled together and each (unit, code) is judged
once, without the reader seeing which rule set coded it.

    python bench/codebook_audit.py sample --set old=/tmp/w_old --set new=/tmp/w_new \\
        --seed 2 --per-code 4 --random 30 --out sheet.csv
    (fill in `judgment`: yes / partly / no for coded rows; for random rows the groups the
     paragraph expresses, separated by ";", or "none")
    python bench/codebook_audit.py score sheet.csv --set old=/tmp/w_old --set new=/tmp/w_new

Precision of a code = yes / judged (strict; "partly" counts as not right, as in issue 23) and
(yes + partly) / judged (lenient), with Wilson 95 % intervals (Wilson 1927). The sample is
stratified by code, so a group's precision weights each code's precision by its number of
codings (a stratified estimate); its interval is Wilson's with the effective sample size
p(1-p)/var (Korn & Graubard 1998), capped at the number judged. Recall of a group is estimated
on the random paragraphs: among those the reader says express the group, the share the rule
set coded with a code of that group (Wilson interval).
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

Z95 = 1.959963984540054
FIELDS = ["item", "kind", "source", "doc_id", "para_id", "code", "group", "sets", "matched",
          "excerpt", "judgment", "reason"]


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (successes may be fractional for n_eff)."""
    if n <= 0:
        return (math.nan, math.nan)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def stratified(strata: list[tuple[float, int, int]]) -> tuple[float, float, float, float]:
    """Weighted precision of strata (weight, yes, judged): estimate, n_eff, Wilson bounds."""
    strata = [s for s in strata if s[2] > 0]
    total_w = sum(w for w, _, _ in strata)
    n = sum(k for _, _, k in strata)
    if not strata or total_w == 0:
        return (math.nan, 0.0, math.nan, math.nan)
    p = sum(w * y / k for w, y, k in strata) / total_w
    var = sum((w / total_w) ** 2 * (y / k) * (1 - y / k) / k for w, y, k in strata)
    n_eff = n if var == 0 else min(n, p * (1 - p) / var)
    lo, hi = wilson(p * n_eff, n_eff)
    return (p, n_eff, lo, hi)


def _codings(workdir: Path) -> list[dict]:
    table = pq.read_table(workdir / "code" / "codings",
                          columns=["doc_id", "para_id", "group", "code", "matched", "text"])
    return table.to_pylist()


def _documents(workdir: Path) -> list[dict]:
    return pq.read_table(workdir / "ingest" / "documents",
                         columns=["doc_id", "source", "text"]).to_pylist()


def _paragraphs(docs: list[dict]) -> list[tuple[str, int, str]]:
    """Every paragraph unit (doc_id, para_id, text), cut as the code stage cuts them."""
    import pyarrow as pa

    from pipelines.code.apply import build_units

    empty = pa.table({"doc_id": pa.array([], pa.string()), "sent_id": pa.array([], pa.int32()),
                      "tokens": pa.array([], pa.list_(pa.string()))})
    units = build_units([d["doc_id"] for d in docs], [d["text"] for d in docs], empty)
    out = []
    for i in range(units.count("paragraph")):
        out.append((units.doc_ids[units.para_doc[i]], int(units.para_id[i]),
                    units.text("paragraph", i)))
    return out


def excerpt(text: str, matched: list[str], width: int = 240) -> str:
    """At most ``width`` characters of a paragraph around its first matched term."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    at = min((text.find(m) for m in matched if m and text.find(m) >= 0), default=0)
    start = max(0, min(at - width // 3, len(text) - width))
    return ("…" if start else "") + text[start:start + width] + ("…" if start + width < len(text)
                                                                   else "")


def sample(sets: dict[str, Path], seed: int, per_code: int, n_random: int, out: Path) -> None:
    """Write the sheet: ``per_code`` codings per code of each set (union) and random units."""
    rng = random.Random(seed)
    first = next(iter(sets.values()))
    docs = _documents(first)
    source = {d["doc_id"]: Path(d["source"]).name for d in docs}
    picked: dict[tuple[str, int, str], dict] = {}
    for name, workdir in sets.items():
        by_code: dict[str, list[dict]] = defaultdict(list)
        for row in _codings(workdir):
            by_code[row["code"]].append(row)
        for code in sorted(by_code):
            rows = sorted(by_code[code], key=lambda r: (r["doc_id"], r["para_id"]))
            for row in rng.sample(rows, min(per_code, len(rows))):
                key = (row["doc_id"], row["para_id"], code)
                entry = picked.setdefault(key, {**row, "sets": set()})
                entry["sets"].add(name)
    # a unit picked for one set is judged once; record every set that coded it
    for name, workdir in sets.items():
        for row in _codings(workdir):
            key = (row["doc_id"], row["para_id"], row["code"])
            if key in picked:
                picked[key]["sets"].add(name)
                picked[key].setdefault("matched_by", {})[name] = row["matched"]
    rows = list(picked.values())
    rng.shuffle(rows)
    units = _paragraphs(docs)
    random_units = rng.sample(units, min(n_random, len(units)))
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        for i, row in enumerate(rows, 1):
            matched = sorted({m for ms in row.get("matched_by", {}).values() for m in ms})
            writer.writerow({"item": f"c{i:03d}", "kind": "coded",
                             "source": source[row["doc_id"]], "doc_id": row["doc_id"],
                             "para_id": row["para_id"], "code": row["code"],
                             "group": row["group"], "sets": ";".join(sorted(row["sets"])),
                             "matched": ";".join(matched),
                             "excerpt": excerpt(row["text"], matched), "judgment": "",
                             "reason": ""})
        for i, (doc_id, para_id, text) in enumerate(random_units, 1):
            writer.writerow({"item": f"r{i:03d}", "kind": "random", "source": source[doc_id],
                             "doc_id": doc_id, "para_id": para_id, "code": "", "group": "",
                             "sets": "", "matched": "", "excerpt": excerpt(text, []),
                             "judgment": "", "reason": ""})
    print(f"{out}: {len(rows)} coded (unit, code) pairs and {len(random_units)} random units")


def mark(sheet: Path, name: str, workdir: Path) -> None:
    """Add rule set ``name`` to the judged rows it codes (a set coded after the sample was
    drawn). Its precision is then estimated on the judged rows it shares with the sampled
    sets, which is unbiased only for codings inside their sampling frame: the share of its
    codings outside the frame is printed and must be reported with the numbers."""
    with sheet.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    frame_sets = {s for r in rows for s in r["sets"].split(";") if s} - {name}
    coded = {(r["doc_id"], int(r["para_id"]), r["code"]) for r in _codings(workdir)}
    for row in rows:
        sets = [s for s in row["sets"].split(";") if s and s != name]
        if row["kind"] == "coded" and (row["doc_id"], int(row["para_id"]), row["code"]) in coded:
            sets.append(name)
        row["sets"] = ";".join(sorted(sets))
    with sheet.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{sheet}: {name} codes {sum(name in r['sets'].split(';') for r in rows)} judged rows; "
          f"sampled sets: {', '.join(sorted(frame_sets))}")


def _read_sheet(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        judged = row["judgment"].strip().lower()
        if row["kind"] == "coded" and judged not in ("yes", "partly", "no"):
            raise SystemExit(f"{path}: item {row['item']} has judgment {judged!r}; "
                             "write yes, partly or no")
    return rows


def score(sheets: list[Path], sets: dict[str, Path]) -> str:
    """Markdown tables: precision per code and group, recall per group, for each set."""
    rows = [r for s in sheets for r in _read_sheet(s)]
    lines = []
    for name, workdir in sets.items():
        codings = _codings(workdir)
        counts: dict[str, int] = defaultdict(int)
        group_of: dict[str, str] = {}
        coded_groups: dict[tuple[str, int], set[str]] = defaultdict(set)
        for c in codings:
            counts[c["code"]] += 1
            group_of[c["code"]] = c["group"]
            coded_groups[(c["doc_id"], c["para_id"])].add(c["group"])
        judged = [r for r in rows if r["kind"] == "coded" and name in r["sets"].split(";")]
        per_code: dict[str, list[str]] = defaultdict(list)
        for r in judged:
            per_code[r["code"]].append(r["judgment"].strip().lower())
            group_of.setdefault(r["code"], r["group"])
        lines += [f"### {name}", "",
                  "| group | code | codings | judged | yes | partly | no | precision "
                  "(95 % CI) | lenient |", "|---|---|---:|---:|---:|---:|---:|---|---:|"]
        groups: dict[str, list] = defaultdict(list)
        groups_len: dict[str, list] = defaultdict(list)
        for code in sorted(per_code, key=lambda c: (group_of[c], c)):
            js = per_code[code]
            yes, part = js.count("yes"), js.count("partly")
            lo, hi = wilson(yes, len(js))
            groups[group_of[code]].append((counts[code], yes, len(js)))
            groups_len[group_of[code]].append((counts[code], yes + part, len(js)))
            lines.append(f"| {group_of[code]} | {code} | {counts[code]} | {len(js)} | {yes} | "
                         f"{part} | {js.count('no')} | {yes / len(js):.2f} ({lo:.2f}–{hi:.2f}) "
                         f"| {(yes + part) / len(js):.2f} |")
        lines += ["", "| group | precision, weighted (95 % CI, n_eff) | lenient | recall "
                  "(random units) |", "|---|---|---:|---|"]
        randoms = [r for r in rows if r["kind"] == "random"]
        all_strata = []
        for group in sorted(groups):
            p, n_eff, lo, hi = stratified(groups[group])
            pl, *_ = stratified(groups_len[group])
            all_strata += groups[group]
            pos = [r for r in randoms if group in r["judgment"].split(";")]
            hit = sum(group in coded_groups.get((r["doc_id"], int(r["para_id"])), set())
                      for r in pos)
            rlo, rhi = wilson(hit, len(pos))
            recall = (f"{hit}/{len(pos)} = {hit / len(pos):.2f} ({rlo:.2f}–{rhi:.2f})"
                      if pos else "no positive unit")
            lines.append(f"| {group} | {p:.2f} ({lo:.2f}–{hi:.2f}, {n_eff:.0f}) | {pl:.2f} | "
                         f"{recall} |")
        p, n_eff, lo, hi = stratified(all_strata)
        lines += [f"| all codes | {p:.2f} ({lo:.2f}–{hi:.2f}, {n_eff:.0f}) | | |", ""]
    return "\n".join(lines)


def _sets(values: list[str]) -> dict[str, Path]:
    out = {}
    for value in values:
        name, _, path = value.partition("=")
        if not path:
            raise SystemExit(f"--set {value!r}: write NAME=WORKDIR")
        out[name] = Path(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--set", action="append", required=True, help="NAME=WORKDIR (coded)")
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--per-code", type=int, default=4)
    s.add_argument("--random", type=int, default=30)
    s.add_argument("--out", type=Path, required=True)
    m = sub.add_parser("mark")
    m.add_argument("sheet", type=Path)
    m.add_argument("--set", required=True, help="NAME=WORKDIR (coded after the sample)")
    c = sub.add_parser("score")
    c.add_argument("sheets", type=Path, nargs="+")
    c.add_argument("--set", action="append", required=True, help="NAME=WORKDIR (coded)")
    args = parser.parse_args()
    if args.command == "sample":
        sample(_sets(args.set), args.seed, args.per_code, args.random, args.out)
    elif args.command == "mark":
        (name, workdir), = _sets([args.set]).items()
        mark(args.sheet, name, workdir)
    else:
        print(score(args.sheets, _sets(args.set)))


if __name__ == "__main__":
    main()
