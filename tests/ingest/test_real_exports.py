"""Every real export (tests/fixtures/ingest/real, written by the databases and reference
managers themselves; SOURCE.md there) against a reference parse made without wenmai
(tests/ingest/reference.py): the record count from the file's own record marks, and per
record title, authors (list), year, journal, keywords (list) and abstract."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pipelines.ingest import biblio
from pipelines.ingest.decode import decode_bytes
from pipelines.ingest.meta import find_date, year_of
from pipelines.ingest.records import merge_date
from tests.ingest.helpers import run
from tests.ingest.reference import FIELDS, REAL, files, reference

_KIND = {".ris": "ris", ".bib": "bibtex", ".xml": "endnote_xml", ".net": "noteexpress",
         ".enw": "endnote", ".ciw": "wos"}


def wenmai_records(path: Path) -> list[dict[str, Any]]:
    """wenmai's parse of one export, routed as the readers route it (by extension, a .txt
    by its content), every record kept (the readers reject those without an abstract)."""
    text = decode_bytes(path.read_bytes(), name=path.name)[0]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        kind = biblio.table_kind(reader.fieldnames or [])
        entries = [biblio.map_row(kind, row) for row in reader]
    else:
        kind = _KIND.get(suffix) or biblio.sniff(text)
        entries = biblio.parse(kind, text)[1]
    out = []
    for e in entries:
        date = merge_date(e.get("date"), e.get("year"))
        abstract = e.get("text")
        out.append({"title": e.get("title"), "authors": e.get("authors", []),
                    "year": year_of(find_date(date)) if date else None,
                    "journal": e.get("journal"), "keywords": e.get("keywords", []),
                    "abstract": re.sub(r"\s+", " ", abstract).strip() if abstract else None})
    return out


#: Records whose field differs from the reference, with the reason (none so far).
KNOWN_MISSES: dict[tuple[str, int, str], str] = {}


def compare(folder: str, path: Path) -> tuple[int, list[dict], list[dict], list[tuple]]:
    count, ref = reference(path, folder)
    got = wenmai_records(path)
    misses = [(path.name, i, f, r[f], g[f]) for i, (r, g) in enumerate(zip(ref, got, strict=False))
              for f in FIELDS if r[f] != g[f]]
    return count, ref, got, misses


@pytest.mark.parametrize(("folder", "path"), files(), ids=lambda v: getattr(v, "name", v))
def test_every_record_of_a_real_export_equals_the_reference_parse(folder, path):
    count, ref, got, misses = compare(folder, path)
    assert count > 0
    assert len(ref) == count  # the reference found every record the file marks
    assert len(got) == count
    unexplained = [m for m in misses if m[:3] not in KNOWN_MISSES]
    assert unexplained == []


def test_each_format_folder_becomes_documents_rejects_and_duplicates_for_every_record():
    """Ingest of a whole folder: every record is a document, a reject (no abstract) or a
    duplicate; nothing is lost between parse and table."""
    by_folder: dict[str, list[Path]] = {}
    for folder, path in files():
        if path.is_relative_to(REAL):
            by_folder.setdefault(folder, []).append(path)
    for folder, paths in sorted(by_folder.items()):
        records = sum(reference(p, folder)[0] for p in paths)
        out = run(REAL / folder, exclude=("SOURCE.md",), min_chars=0, near_duplicates=0)
        assert all(r["reason"] in ("empty", "too_short") for r in out["rejected"]), folder
        total = len(out["documents"]) + len(out["rejected"]) + len(out["duplicates"])
        assert total == records, folder
        lists = [d for d in out["documents"] if d.get("authors") is not None]
        assert all(isinstance(d["authors"], list) for d in lists), folder


def summary() -> list[dict[str, Any]]:
    """Per format folder: files, records, documents/rejected/duplicates and the share of
    records whose fields equal the reference (printed by ``python -m
    tests.ingest.test_real_exports``)."""
    rows: dict[str, dict[str, Any]] = {}
    for folder, path in files():
        count, ref, got, misses = compare(folder, path)
        row = rows.setdefault(folder, {"folder": folder, "files": 0, "records": 0,
                                       "misses": Counter(), "paths": []})
        row["files"] += 1
        row["records"] += count
        row["misses"].update(m[2] for m in misses)
        row["paths"].append(path)
    for row in rows.values():
        real = [p for p in row["paths"] if p.is_relative_to(REAL)]
        docs = rej = dup = 0
        for path in row.pop("paths"):
            out = run(path, min_chars=0, near_duplicates=0) if path in real else run(
                path, min_chars=0, near_duplicates=0)
            docs, rej, dup = (docs + len(out["documents"]), rej + len(out["rejected"]),
                              dup + len(out["duplicates"]))
        row.update(documents=docs, rejected=rej, duplicates=dup)
    return list(rows.values())


if __name__ == "__main__":
    print("| folder | files | records | documents | rejected | duplicates | "
          + " | ".join(FIELDS) + " |")
    print("|---" * (7 + len(FIELDS)) + "|")
    for r in summary():
        shares = [f"{100 * (1 - r['misses'][f] / r['records']):.1f} %" for f in FIELDS]
        print(f"| {r['folder']} | {r['files']} | {r['records']} | {r['documents']} | "
              f"{r['rejected']} | {r['duplicates']} | " + " | ".join(shares) + " |")
