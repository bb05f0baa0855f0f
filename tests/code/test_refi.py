"""REFI-QDA: schema-valid export, read back, the ATLAS.ti sample, import and agreement."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from pipelines import code
from pipelines.code.codebook import load_codebook
from pipelines.code.refi import read_qdpx
from pipelines.core.resources import data_path
from pipelines.core.store import read_all
from tests.code.helpers import DOCS, book_text, tables, value


@pytest.fixture
def book(tmp_path: Path) -> str:
    path = tmp_path / "book.yaml"
    path.write_text(book_text(("培训", "培训 or training"), ("政府", "政府")), encoding="utf-8")
    return str(path)


def validate(qde: bytes, shared: Path) -> None:
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(shared / "schemas/refi-qda/Project-mrt2019.xsd")))
    doc = etree.fromstring(qde)
    assert schema.validate(doc), schema.error_log


def test_export_is_schema_valid_and_reads_back(book: str, tmp_path: Path, shared: Path
                                                ) -> None:
    out = code.compute(tables(), code.Params(codebook=book, orders=0))
    path = tmp_path / "project.qdpx"
    path.write_bytes(value(out["project.qdpx"]))
    with zipfile.ZipFile(path) as zf:
        validate(zf.read("project.qde"), shared)
        assert len([n for n in zf.namelist() if n.startswith("sources/")]) == 2
    back = read_qdpx(path)
    assert sorted(back.codes.values()) == ["C", "G", "培训", "政府"]
    texts = {s["name"]: s["text"] for s in back.sources}
    assert texts == {"title d1": DOCS["d1"], "title d2": DOCS["d2"]}
    sels = {(s["code"], texts[next(x["name"] for x in back.sources if x["guid"] == s["source"])]
             [s["start"]:s["end"]]) for s in back.selections}
    assert sels == {(r["code"], r["text"]) for r in read_all(out["codings"]).to_pylist()}


def test_shipped_codebooks_export_valid_qdc(shared: Path) -> None:
    from lxml import etree

    from pipelines.code.refi import codebook_qdc

    qdc = etree.fromstring(codebook_qdc(load_codebook(data_path("codebooks",
                                                                "policy_instruments.yaml"))))
    assert qdc.tag == "{urn:QDA-XML:codebook:1.0}CodeBook"
    codes = qdc.findall(".//{urn:QDA-XML:codebook:1.0}Code")
    # groups, categories, codes (法规监管 joined 法律责任 in 法规管制 for regulation wording)
    assert len(codes) == 3 + 13 + 19


def test_read_atlas_sample(shared: Path) -> None:
    project = read_qdpx(shared / "schemas/refi-qda/sample-atlas-project.qdpx")
    assert sorted(project.codes.values()) == [
        "2022-02-11T10:39:25Z cdbfd92", "2022-05-10T02:05:59Z 19e4dce", "Commits"]
    parent = next(g for g, n in project.codes.items() if n == "Commits")
    assert sum(p == parent for p in project.parents.values()) == 2
    assert project.sources == [] and project.selections == []


def _human_project(out: dict, drop_code: str) -> bytes:
    """wenmai's own project with every selection of one code removed (a 'human' recoding)."""
    import re

    src = zipfile.ZipFile(io.BytesIO(value(out["project.qdpx"])))
    qde = src.read("project.qde").decode("utf-8")
    guid = re.search(rf'guid="([0-9A-F-]+)" name="{drop_code}"', qde).group(1)
    qde = re.sub(rf'\s*<Coding guid="[^"]+" creatingUser="[^"]+">\s*<CodeRef targetGUID='
                 rf'"{guid}" />\s*</Coding>', "", qde)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in src.namelist():
            zf.writestr(name, qde if name == "project.qde" else src.read(name))
    return buf.getvalue()


def test_import_and_agreement(book: str, tmp_path: Path) -> None:
    out = code.compute(tables(), code.Params(codebook=book, orders=0))
    human = tmp_path / "human.qdpx"
    human.write_bytes(value(out["project.qdpx"]))
    same = code.compute(tables(), code.Params(codebook=book, orders=0, reference=str(human)))
    rows = {r["name"]: r for r in same["code_agreement"].to_pylist()}
    assert rows["培训"]["kappa"] == 1.0 and rows["(all, pooled)"]["percent_agreement"] == 100
    assert same["reference_codings"].num_rows == read_all(out["codings"]).num_rows
    human.write_bytes(_human_project(out, "政府"))
    diff = code.compute(tables(), code.Params(codebook=book, orders=0, reference=str(human)))
    rows = {r["name"]: r for r in diff["code_agreement"].to_pylist()}
    # 政府 coded by wenmai in 1 of 5 sentences, never by the 'human' coder
    assert (rows["政府"]["only_a"], rows["政府"]["both"], rows["政府"]["neither"]) == (1, 0, 4)
    assert set(rows) == {"G", "C", "培训", "政府", "(all, pooled)", "(mean over names)"}
    assert rows["培训"]["kappa"] == 1.0


def test_two_human_coders(book: str, tmp_path: Path) -> None:
    out = code.compute(tables(), code.Params(codebook=book, orders=0))
    first, second = tmp_path / "a.qdpx", tmp_path / "b.qdpx"
    first.write_bytes(value(out["project.qdpx"]))
    second.write_bytes(_human_project(out, "培训"))
    both = code.compute(tables(), code.Params(codebook=book, orders=0, reference=str(first),
                                              reference_b=str(second)))
    rows = {r["name"]: r for r in both["code_agreement"].to_pylist()}
    # coder A coded 培训 in 3 of 5 sentences, coder B in none; both coded 政府 in the same one
    assert (rows["培训"]["both"], rows["培训"]["only_a"], rows["培训"]["neither"]) == (0, 3, 2)
    assert rows["培训"]["kappa"] == 0.0 and rows["政府"]["kappa"] == 1.0
    coders = both["reference_codings"].column("coder").to_pylist()
    assert coders.count("reference") == 4 and coders.count("reference_b") == 1


def test_builtin_codebook_name() -> None:
    from pipelines.code.stage import codebook_path

    assert codebook_path("builtin:policy_instruments") == data_path(
        "codebooks", "policy_instruments.yaml")


def _qdpx(tmp_path: Path, qde: str, members: dict[str, bytes] | None = None) -> Path:
    path = tmp_path / "bad.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde)
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return path


_NS = "urn:QDA-XML:project:1.0"


def test_bad_projects_are_one_clear_error(tmp_path: Path) -> None:
    """A selection without positions, a source that is not UTF-8, a member that inflates past
    the cap: each is one BadInputFile naming the archive, never a stray exception."""
    from pipelines.code import refi
    from pipelines.core.errors import BadInputFile

    no_positions = (f'<Project xmlns="{_NS}" name="p"><Sources><TextSource guid="a" name="s">'
                    '<PlainTextContent>文本</PlainTextContent><PlainTextSelection guid="b"/>'
                    '</TextSource></Sources></Project>')
    with pytest.raises(BadInputFile, match="no valid startPosition"):
        read_qdpx(_qdpx(tmp_path, no_positions))
    gbk = (f'<Project xmlns="{_NS}" name="p"><Sources><TextSource guid="a" name="s" '
           'plainTextPath="internal://a.txt"/></Sources></Project>')
    with pytest.raises(BadInputFile, match="is not UTF-8"):
        read_qdpx(_qdpx(tmp_path, gbk, {"sources/a.txt": "职业教育".encode("gbk")}))
    big = _qdpx(tmp_path, gbk, {"sources/a.txt": b"a" * 3 * 2**20})
    with zipfile.ZipFile(big) as zf, pytest.raises(BadInputFile, match="inflates past 1 MB"):
        refi._read_member(zf, "sources/a.txt", big, limit=10**6, max_ratio=0)
    with pytest.raises(BadInputFile, match=r"bad.qdpx: sources/a.txt inflates more than "
                       r"100:1 \(1,048,576 bytes from 3,0\d\d and counting\)"):
        read_qdpx(big)  # a bomb of 3 kB: refused by its ratio after 1 MB


def test_streamed_project_is_the_in_memory_one(book: str, monkeypatch) -> None:
    """The .qdpx written a batch at a time has the bytes of the whole-tree export (kept in
    tests/code/reference.py): same members in the same order, same XML."""
    from pipelines.core.store import read_all
    from tests.code.reference import project_qdpx

    docs = {f"d{i}": ("政府加大经费投入。企业参与培训！\n" if i % 2 else "Teachers & <training>. ")
            + f"学校开展教师培训{i}。" for i in range(7)}
    toks = {(d, s): ["政府", "培训", "training"][: 1 + (s + int(d[1:])) % 3]
            for d in docs for s in range(4)}
    given = tables(docs, toks)
    monkeypatch.setattr(code.stage, "BATCH_DOCS", 3)
    for params in (code.Params(codebook=book, orders=0),
                   code.Params(codebook=book, orders=0, unit="document")):
        out = code.compute(given, params)
        book_obj = load_codebook(book)
        documents = given["ingest/documents"]
        expected = project_qdpx(book_obj, documents, read_all(out["codings"]),
                                name=book_obj.name, variables=("title", "year", "source"))
        assert value(out["project.qdpx"]) == expected


def test_agreement_is_the_same_in_batches(book: str, tmp_path: Path, monkeypatch) -> None:
    """Only the documents a reference's sources match are kept for the comparison, batch by
    batch: the same tables as with every document in one batch."""
    docs = {f"d{i}": ("政府加大经费投入。企业参与培训！\n" if i % 2 else "Teachers need training. ")
            + f"学校开展教师培训{i}。" for i in range(7)}
    toks = {(d, s): ["政府", "培训", "training"][: 1 + (s + int(d[1:])) % 3]
            for d in docs for s in range(4)}
    first = code.compute(tables(docs, toks), code.Params(codebook=book, orders=0))
    human = tmp_path / "human.qdpx"
    human.write_bytes(_human_project({"project.qdpx": value(first["project.qdpx"])}, "政府"))
    params = code.Params(codebook=book, orders=0, reference=str(human))
    whole = code.compute(tables(docs, toks), params)
    monkeypatch.setattr(code.stage, "BATCH_DOCS", 2)
    batched = code.compute(tables(docs, toks), params)
    for name in ("code_agreement", "reference_codings"):
        assert whole[name].equals(batched[name]), name
    rows = {r["name"]: r for r in whole["code_agreement"].to_pylist()}
    # 4 names (G, C, 培训, 政府) x 17 sentences (4 documents of 2, 3 of 3)
    assert rows["(all, pooled)"]["units"] == 4 * (4 * 2 + 3 * 3)
    assert rows["政府"]["only_a"] > 0 and rows["政府"]["both"] == 0
