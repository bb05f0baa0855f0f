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
from pipelines.ingest import readers as ingest_readers
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


def test_ris_files_agree_with_rispy_too():
    """A second reference for RIS, a parser wenmai does not use (rispy). rispy reads no
    record from zotero_RIS_case03.ris (written ``TY - `` with single spaces, which wenmai and
    Zotero read); a year of ``0000`` is no year."""
    rispy = pytest.importorskip("rispy")
    for path in sorted((REAL / "ris").glob("*.ris")):
        entries = rispy.loads(path.read_text("utf-8-sig"))
        got = wenmai_records(path)
        if path.name == "zotero_RIS_case03.ris":
            assert (len(entries), len(got)) == (0, 1)
            continue
        assert len(entries) == len(got), path.name
        for e, g in zip(entries, got, strict=True):
            year = re.search(r"[12]\d{3}", e.get("year") or e.get("publication_year") or "")
            title = e.get("title") or e.get("primary_title")
            assert (re.sub(r"\s+", " ", title).strip() if title else None,
                    (e.get("authors") or []) + (e.get("first_authors") or []),
                    int(year.group()) if year else None, e.get("keywords") or []) == (
                g["title"], g["authors"], g["year"], g["keywords"]), path.name


def _by_title(path: Path) -> dict[str, dict[str, Any]]:
    read = ingest_readers.read_bytes(path.read_bytes(), path.name, ingest_readers.ReadOptions())
    return {r.title: {**r.meta, "date": r.date, "text": r.text} for r in read[0]}


def test_the_listed_reader_faults_are_gone_on_the_real_files_that_showed_them():
    """Issue 22's list, each on a real export (SOURCE.md names the files)."""
    # EndNote XML <pub-dates><date>Dec</date> beside <year>2018</year>: the year stays
    xml = (REAL / "endnote_xml" / "reflib_blue-light_first30.xml").read_text("utf-8")
    dec = re.findall(r"<year><style[^>]*>(\d{4})</style></year><pub-dates><date><style[^>]*>"
                     r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)</style>", xml)
    out = run(REAL / "endnote_xml" / "reflib_blue-light_first30.xml", min_chars=0)
    assert len(dec) >= 10 and all(d["year"] for d in out["documents"])
    # RIS DA  - Dec beside PY; EndNote's keywords on untagged lines, one keyword each
    ris = _by_title(REAL / "ris" / "reflib_blue-light_first30.ris")
    first = ris["Formulation of Herbal Gel of Antirrhinum majus Extract and Evaluation of its "
                "Anti-Propionibacterium acne Effects"]
    assert first["keywords"][:4] == ["Acne", "Antirrhinum majus", "Propionibacterium acnes",
                                     "blue light"]
    assert sum(1 for r in ris.values() if re.fullmatch(r"\d{4}-\d\d", r["date"] or "")) >= 10
    # the journal written twice (EBSCO: JO and JF) is one journal
    ebsco = wenmai_records(REAL / "ris" / "synthesisr_ASP_ebsco.ris")
    assert ebsco[0]["journal"] == "Agriculture, Ecosystems & Environment"
    # CNKI RefWorks: A1 without a space, lower-case vo is the volume
    cases = REAL / "cnki_refworks"
    assert biblio.parse_refworks((cases / "translatorsCN_CNKIRefWorks_case03.txt").read_text(
        "utf-8"))[0]["authors"] == ["林行众"]
    vo = biblio.parse_refworks((cases / "translatorsCN_CNKIRefWorks_case01.txt").read_text("utf-8"))
    assert (vo[0]["volume"], vo[0]["issue"]) == ("49", "12")
    # CNKI E-Study: DataType lines start records instead of gluing onto the url; <正> goes
    estudy = biblio.parse_cnki_custom((REAL / "cnki_estudy" / "mrhelper_demo_cnki_202101.txt"
                                       ).read_text("utf-8"))
    assert len(estudy) == 20 and all("DataType" not in r.get("url", "") for r in estudy)
    assert not any(r.get("text", "").startswith(("<正>", "‹正>")) for r in estudy)
    # pre-2020 Scopus CSV: comma-joined authors become a list (checked against Author Ids)
    old = wenmai_records(REAL / "scopus_csv" / "litsearchr_scopus_2018_first30.csv")
    assert old[0]["authors"] == ["Little A.R.", "Mike Conner L.", "Chamberlain M.J.",
                                 "Nibbelink N.P.", "Warren R.J."]
    # Scopus BibTeX: author keywords, as the CSV gives them
    bib = wenmai_records(REAL / "scopus_bib" / "synthesisr_Scopus_bib_example.bib")
    assert bib[0]["keywords"][:2] == ["Environmental factors", "Lake Taihu"]


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
        docs = rej = dup = 0
        for parent in sorted({p.parent for p in row.pop("paths")}):
            out = run(parent, exclude=("SOURCE.md",), min_chars=0, near_duplicates=0)
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
