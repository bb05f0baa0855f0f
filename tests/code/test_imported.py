"""An imported REFI-QDA coding as the coding: round trip, code tree, alignment, NVivo file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines import code
from pipelines.code.imported import align, load_coding, match_key, tree_codebook
from pipelines.code.refi import read_qdpx
from pipelines.core.errors import BadInputFile
from pipelines.core.store import read_all
from tests.code.helpers import DOCS, book_text, tables, value

FIXTURE = Path(__file__).parent.parent / "fixtures" / "code" / "nvivo_oltas.qdpx"
TABLES = ("code_frequencies", "code_matrix", "code_cooccurrence", "code_saturation",
          "code_reserve")


@pytest.mark.parametrize("unit", ["sentence", "paragraph", "document"])
def test_import_as_coding_equals_the_export(unit: str, tmp_path: Path) -> None:
    book = tmp_path / "book.yaml"
    book.write_text(book_text(("培训", "培训 or training"), ("政府", "政府"),
                              ("未用", "nothing")), encoding="utf-8")
    out = code.compute(tables(), code.Params(codebook=str(book), unit=unit, orders=30))
    project = tmp_path / "project.qdpx"
    project.write_bytes(value(out["project.qdpx"]))
    back = code.compute(tables(), code.Params(coding_from=str(project), unit=unit, orders=30))
    ours, theirs = read_all(out["codings"]), read_all(back["codings"])
    assert ours.num_rows > 0
    assert theirs.drop_columns(["matched", "coder"]).equals(ours.drop_columns(["matched",
                                                                               "coder"]))
    # wenmai's own codings read back as the rules' (the export's user is wenmai's)
    assert set(theirs.column("coder").to_pylist()) == {"rules"}
    for name in TABLES:
        assert value(back[name]).equals(value(out[name])), name


def _project(tmp_path: Path) -> Path:
    """A hand-written project: a code tree 3 deep, two users, a CRLF source with a BOM."""
    source = DOCS["d1"].replace("\n", "\r\n")
    assert source[9:15] == "企业参与培训" and source[18:22] == "学校开展"
    qde = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="t" origin="hand">
  <Users><User guid="u1" name="Ann"/><User guid="u2" name="Bo"/></Users>
  <CodeBook><Codes>
    <Code guid="a" name="Root" isCodable="true">
      <Code guid="b" name="Mid" isCodable="true"><Code guid="c" name="Leaf" isCodable="true">
        <Description>a memo</Description></Code></Code>
      <Code guid="d" name="Child" isCodable="true"/>
    </Code>
    <Code guid="e" name="Alone" isCodable="true"/>
  </Codes></CodeBook>
  <Sources><TextSource guid="s1" name="one" plainTextPath="internal://s1.txt">
    <PlainTextSelection guid="x1" startPosition="9" endPosition="15">
      <Coding guid="k1" creatingUser="u1"><CodeRef targetGUID="c"/></Coding>
      <Coding guid="k2" creatingUser="u2"><CodeRef targetGUID="c"/></Coding>
    </PlainTextSelection>
    <PlainTextSelection guid="x2" startPosition="18" endPosition="22" creatingUser="u1">
      <Coding guid="k3"><CodeRef targetGUID="d"/></Coding>
    </PlainTextSelection>
    <PlainTextSelection guid="x3" startPosition="16" endPosition="18">
      <Coding guid="k4" creatingUser="u2"><CodeRef targetGUID="e"/></Coding>
    </PlainTextSelection>
  </TextSource></Sources>
</Project>"""
    path = tmp_path / "hand.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr("sources/s1.txt", "\ufeff" + source)
    return path


def test_code_tree_coders_and_alignment(tmp_path: Path) -> None:
    path = _project(tmp_path)
    book, _ = tree_codebook(read_qdpx(path), str(path))
    assert [(c.group, c.category, c.name) for c in book.codes] == [
        ("Root", "Mid", "Leaf"), ("Root", "Root", "Child"), ("Alone", "Alone", "Alone")]
    assert book.code("Leaf").description == "a memo"
    out = code.compute(tables(), code.Params(coding_from=str(path), orders=0))
    rows = [(r["doc_id"], r["sent_id"], r["code"], r["coder"], r["text"])
            for r in read_all(out["codings"]).to_pylist()]
    # a selection of white space only (the CRLF) codes nothing; d2 is not in the project
    assert rows == [("d1", 1, "Leaf", "human:Ann,Bo", "企业参与培训！"),
                    ("d1", 2, "Child", "human:Ann", "学校开展教师培训。")]
    freq = {r["name"]: r for r in out["code_frequencies"].to_pylist() if r["level"] == "code"}
    assert freq["Leaf"]["unit_share"] == pytest.approx(1 / 3)  # d1's three sentences only
    assert freq["Alone"]["units"] == 0
    cats = {r["name"]: r["units"] for r in out["code_frequencies"].to_pylist()
            if r["level"] == "category"}
    assert cats == {"Mid": 1, "Root": 1, "Alone": 0}
    # exported again (a Coding per person) and read back: the same coders
    again = tmp_path / "again.qdpx"
    again.write_bytes(value(out["project.qdpx"]))
    back = code.compute(tables(), code.Params(coding_from=str(again), orders=0))
    assert read_all(back["codings"]).equals(read_all(out["codings"]))


def test_align_carries_positions_through_white_space() -> None:
    source, document = "ａ  b\r\n\r\nc　d", "a b\nc d"
    assert match_key(source) == match_key(document) == "abcd"
    assert align(source, document, [(0, 4), (5, 11), (4, 8)]) == [(0, 3), (4, 7), None]


def test_no_source_in_the_corpus(tmp_path: Path) -> None:
    path = _project(tmp_path)
    docs = pa.table({"doc_id": ["z"], "text": ["别的文本"]})
    with pytest.raises(BadInputFile, match="none of the 1 text sources of .* is a document"):
        load_coding(str(path), docs)


def test_nvivo_export_as_the_coding() -> None:
    """A real NVivo 12.6 (Windows) export: "Sources/" folder, CRLF text with a BOM, a code
    tree with categories at depth 2 and 3; the document is the text as ingest keeps it."""
    from pipelines.ingest.clean import normalise

    project = read_qdpx(FIXTURE)
    assert (len(project.codes), len(project.sources), len(project.selections)) == (60, 1, 97)
    assert {project.users[s["user"]] for s in project.selections} == {"floriansipos"}
    source = project.sources[0]["text"]
    text = normalise(source)  # ingest: CRLF to LF, blank lines dropped, spaces collapsed
    assert text != source
    docs = pa.table({"doc_id": ["yt"], "text": [text], "year": [2025]})
    coding = load_coding(str(FIXTURE), docs)
    spans = coding.selections["yt"]
    assert len(spans) == 97
    for sel, (start, end, _code, coder) in zip(project.selections, spans, strict=True):
        assert match_key(text[start:end]) == match_key(source[sel["start"]:sel["end"]])
        assert coder == "human:floriansipos"
    tokens = pa.table({"doc_id": pa.array([], pa.string()), "sent_id": pa.array([], pa.int32()),
                       "tokens": pa.array([], pa.list_(pa.string())),
                       "words": pa.array([], pa.list_(pa.string()))})
    out = code.compute({"ingest/documents": docs, "segment/tokens": tokens},
                       code.Params(coding_from=str(FIXTURE), unit="paragraph", orders=0))
    codings = read_all(out["codings"]).to_pylist()
    # independently: the lines of the text that each selection overlaps
    starts, pos = [], 0
    for line in text.split("\n"):
        starts.append((pos, pos + len(line)))
        pos += len(line) + 1
    expected = {(i, c) for s, e, c, _ in spans for i, (a, b) in enumerate(starts)
                if a < e and b > s}
    assert {(r["para_id"], r["code"]) for r in codings} == expected
    names = {c.name for c in coding.book.codes}
    assert {"fenyegetés", "harag", "COVID"} <= names


def test_cli_coding_from_and_its_errors(tmp_path: Path) -> None:
    import shutil

    from click.testing import CliRunner

    from cli import wenmai
    from tests.code.test_cli import _workdir

    work = _workdir(tmp_path)
    book = tmp_path / "book.yaml"
    book.write_text(book_text(("培训", "培训")), encoding="utf-8")
    run = CliRunner().invoke
    assert run(wenmai, ["--workdir", str(work), "code", "--codebook", str(book)]).exit_code == 0
    shutil.copy(work / "code" / "project.qdpx", tmp_path / "reviewed.qdpx")
    result = run(wenmai, ["--workdir", str(work), "code", "--coding-from",
                          str(tmp_path / "reviewed.qdpx"), "--orders", "5"])
    assert result.exit_code == 0, result.output
    assert "codings/  2 rows in 1 part" in result.output and "no codebook" not in result.output
    shown = run(wenmai, ["--workdir", str(work), "show", "codings"])
    assert shown.exit_code == 0 and "rules" in shown.output
    bad = run(wenmai, ["--workdir", str(work), "code", "--codebook", str(book),
                       "--classifier", "logistic"])
    assert bad.exit_code == 2 and "learns from a human coding; give coding_from" in bad.output
    missing = run(wenmai, ["--workdir", str(work), "code", "--coding-from",
                           str(tmp_path / "nope.qdpx")])
    assert missing.exit_code == 1 and "nope.qdpx does not exist" in missing.output
    assert "Traceback" not in missing.output
