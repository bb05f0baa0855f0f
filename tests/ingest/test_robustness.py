"""One bad file is one rejected row: a zoo of broken, hostile and odd inputs, made in the test.

Every input must end up in documents, rejected or duplicates; no input may abort the run.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from pipelines.ingest import files as ingest_files
from pipelines.ingest import readers as ingest_readers
from tests.ingest.helpers import make_docx, make_pdf, run, write

GOOD = "职业教育是国民教育体系和人力资源开发的重要组成部分。"
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def _patch_central(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite a field of every central-directory and local header (``offset`` from the
    signature) -- the zip layout of APPNOTE.TXT §4.3.7 and §4.3.12."""
    out = bytearray(data)
    for sig, shift in ((b"PK\x01\x02", offset + 2), (b"PK\x03\x04", offset)):
        start = 0
        while (i := out.find(sig, start)) >= 0:
            struct.pack_into(fmt, out, i + shift, value)
            start = i + 4
    return bytes(out)


def _office(kind: str, xml: bytes) -> bytes:
    """A .docx or .xlsx whose main part is ``xml`` (content types per ECMA-376 Part 2)."""
    part = "word/document.xml" if kind == "docx" else "xl/workbook.xml"
    ctype = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
             if kind == "docx" else
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
    types = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
             'formats-package.relationships+xml"/><Default Extension="xml" ContentType='
             f'"application/xml"/><Override PartName="/{part}" ContentType="{ctype}"/></Types>')
    rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            f'Target="{part}"/></Relationships>')
    return _zip({"[Content_Types].xml": types.encode(), "_rels/.rels": rels.encode(),
                 part: xml})


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;")
                                                * 10) for i in range(1, 10))
          + b"]><xml><records><record><abstract>&lol9;</abstract></record></records></xml>")
XXE = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b"<xml><records><record><abstract>&x;</abstract></record></records></xml>")


def _build_zoo(root: Path) -> dict[str, str]:
    """Write every bad input under ``root``; return {source: expected reason}."""
    expect: dict[str, str] = {}

    def put(name: str, data: bytes, reason: str) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        expect[name] = reason

    make_pdf(root / "aes.pdf", "Secret text.", encrypt=(
        b"<< /Filter /Standard /V 4 /R 4 /Length 128 /P -1 /CF << /StdCF << /CFM /AESV2 "
        b"/AuthEvent /DocOpen /Length 16 >> >> /StmF /StdCF /StrF /StdCF "
        b"/O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> >>"))
    expect["aes.pdf"] = "encrypted"
    put("bad_xml.docx", _office("docx", b"<w:document><w:body><w:p>"), "parse_error")
    put("bad_xml.xlsx", _office("xlsx", b"<workbook><sheets><sheet"), "parse_error")
    good_docx = _office("docx", b'<w:document xmlns:w="http://schemas.openxmlformats.org/'
                        b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>' + b"x" * 4000
                        + b"</w:t></w:r></w:p></w:body></w:document>")
    i = good_docx.find(b"word/document.xml") + len(b"word/document.xml")
    put("bad_deflate.docx", good_docx[:i + 5] + b"\xff" * 40 + good_docx[i + 45:],
        "parse_error")
    member = _zip({"a.txt": GOOD.encode() * 50})
    j = member.find(b"a.txt") + len(b"a.txt")
    put("bad_deflate.zip", member[:j + 5] + b"\xff" * 30 + member[j + 35:], "parse_error")
    put("deep.jsonl", b"[" * 100_000 + b"\n", "too_deep")
    stored = _zip({"a.txt": GOOD.encode()}, zipfile.ZIP_STORED)
    k = stored.find(GOOD.encode())
    put("bad_crc.zip", stored[:k] + b"X" + stored[k + 1:], "parse_error")
    put("lying_size.zip", _patch_central(_zip({"a.txt": GOOD.encode() * 50}), 22, "<I", 10),
        "parse_error")
    put("encrypted.zip", _patch_central(_zip({"a.txt": GOOD.encode()}), 6, "<H", 1),
        "encrypted")
    put("method.zip", _patch_central(_zip({"a.txt": GOOD.encode()}), 8, "<H", 97),
        "unsupported_format")
    put("laughs.xml", LAUGHS, "parse_error")
    put("xxe.xml", XXE, "parse_error")
    put("laughs.docx", _office("docx", LAUGHS), "parse_error")
    put("not_zip.zip", b"PK\x03\x04 this is not a zip at all", "parse_error")
    put("truncated.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "parse_error")
    put("nul.txt", b"\x00\x01\x02\x03" * 100, "binary")
    put("empty.json", b"   ", "empty")
    put("scalar.json", b"42", "parse_error")
    bad_name = os.fsencode(root) + b"/bad\xffname.txt"
    with open(bad_name, "wb") as handle:
        handle.write((GOOD + "文件名不是UTF-8。").encode())
    expect["bad\ufffdname.txt"] = "doc"
    os.symlink(root / "loop_b.txt", root / "loop_a.txt")
    os.symlink(root / "loop_a.txt", root / "loop_b.txt")
    expect["loop_a.txt"] = expect["loop_b.txt"] = "broken_link"
    os.symlink(root / "missing.txt", root / "dangling.txt")
    expect["dangling.txt"] = "broken_link"
    os.mkfifo(root / "fifo.txt")
    expect["fifo.txt"] = "not_a_file"
    os.symlink("/dev/zero", root / "zero.txt")
    expect["zero.txt"] = "symlink"  # a link out of the folder is never followed
    put("ok.txt", GOOD.encode(), "doc")
    return expect


def test_the_zoo_rejects_each_bad_input_and_keeps_the_good_ones(tmp_path):
    expect = _build_zoo(tmp_path)
    out = run(tmp_path, min_chars=5)
    got = {r["source"]: r["reason"] for r in out["rejected"]}
    got.update({d["source"]: "doc" for d in out["documents"]})
    # a zip's member is rejected under its own name; count it for its archive
    for source in list(got):
        if ".zip/" in source:
            got[source.split(".zip/")[0] + ".zip"] = got.pop(source)
    assert got == expect
    assert all(r["detail"] for r in out["rejected"])


def test_a_device_or_fifo_given_as_an_input_is_not_a_file(tmp_path):
    os.symlink("/dev/zero", tmp_path / "zero.txt")
    os.mkfifo(tmp_path / "fifo.txt")
    write(tmp_path, "ok.txt", GOOD)
    out = run(tmp_path / "zero.txt", tmp_path / "fifo.txt", tmp_path / "ok.txt", min_chars=5)
    assert [(r["source"], r["reason"]) for r in out["rejected"]] == [
        ("fifo.txt", "not_a_file"), ("zero.txt", "not_a_file")]


def test_a_readers_unexpected_exception_rejects_only_its_file(tmp_path, monkeypatch):
    def boom(data, name, opts):
        raise ZeroDivisionError("a bug in a reader")

    monkeypatch.setitem(ingest_readers.READERS, ".md", boom)
    write(tmp_path, "a.md", "会出错的文档。")
    write(tmp_path, "b.txt", GOOD)
    out = run(tmp_path, min_chars=5)
    assert [(r["source"], r["reason"]) for r in out["rejected"]] == [("a.md", "reader_error")]
    assert "ZeroDivisionError: a bug in a reader" in out["rejected"][0]["detail"]
    assert [d["source"] for d in out["documents"]] == ["b.txt"]


def test_unreadable_files_and_folders_are_recorded(tmp_path, monkeypatch):
    write(tmp_path, "locked/a.txt", GOOD)
    write(tmp_path, "secret.txt", GOOD + "另一篇。")
    write(tmp_path, "ok.txt", GOOD + "第三篇。")
    if AS_ROOT:  # root reads everything: make the OS say no as it would to a user
        real_scandir, real_open = os.scandir, open

        def scandir(path="."):
            if Path(path).name == "locked":
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        def fake_open(path, *args, **kwargs):
            if str(path).endswith("secret.txt"):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(os, "scandir", scandir)
        monkeypatch.setattr(ingest_files, "open", fake_open, raising=False)
    else:
        (tmp_path / "locked").chmod(0)
        (tmp_path / "secret.txt").chmod(0)
    try:
        out = run(tmp_path, min_chars=5)
    finally:
        (tmp_path / "locked").chmod(0o755)
        (tmp_path / "secret.txt").chmod(0o644)
    assert [(r["source"], r["reason"]) for r in out["rejected"]] == [
        ("locked", "unreadable"), ("secret.txt", "unreadable")]
    assert [d["source"] for d in out["documents"]] == ["ok.txt"]


def test_every_path_of_a_tree_is_in_documents_rejected_or_duplicates(tmp_path):
    tree = tmp_path / "corpus"
    write(tree, "a.txt", GOOD)
    write(tree, "copy.txt", GOOD)
    write(tree, ".hidden.txt", GOOD + "隐藏。")
    write(tree, ".git/config", "[core]")
    write(tree, "sub/b.txt", GOOD + "子目录。")
    write(tree, "sub/.DS_Store", "\x00\x01")
    write(tree, "notes.rtf", "{\\rtf1 x}")
    write(tmp_path, "elsewhere/c.txt", GOOD + "别处。")
    os.symlink(tmp_path / "elsewhere", tree / "linked")
    os.symlink(tmp_path / "elsewhere" / "c.txt", tree / "outside.txt")
    os.symlink(tree / "sub" / "b.txt", tree / "inside.txt")
    os.symlink(tree / "gone.txt", tree / "dangling.txt")
    out = run(tree, min_chars=5)
    seen = ({d["source"] for d in out["documents"]} | {r["source"] for r in out["rejected"]}
            | {d["source"] for d in out["duplicates"]})
    every = set()
    for dirpath, dirnames, filenames in os.walk(tree):
        links = [d for d in dirnames if (Path(dirpath) / d).is_symlink()]
        for name in links + filenames:
            every.add((Path(dirpath) / name).relative_to(tree).as_posix())
    # a path is accounted for itself or through the hidden/linked folder recorded for it
    missing = {p for p in every if p not in seen and p.split("/")[0] not in seen}
    assert missing == set()
    reasons = {r["source"]: r["reason"] for r in out["rejected"]}
    assert reasons == {".hidden.txt": "hidden", ".git": "hidden", "sub/.DS_Store": "hidden",
                       "linked": "symlink", "dangling.txt": "broken_link",
                       "notes.rtf": "unsupported_format", "outside.txt": "symlink"}
    assert {d["source"] for d in out["documents"]} == {"a.txt", "inside.txt"}
    assert sorted((d["source"], d["kept_source"]) for d in out["duplicates"]) == [
        ("copy.txt", "a.txt"), ("sub/b.txt", "inside.txt")]


def test_hidden_and_symlink_counts_reach_the_summary_line(tmp_path, caplog):
    write(tmp_path, "a.txt", GOOD)
    write(tmp_path, ".b.txt", GOOD)
    os.symlink(tmp_path, tmp_path / "self")
    with caplog.at_level("INFO", logger="wenmai"):
        run(tmp_path, min_chars=5)
    assert "1 documents, 2 rejected (1 hidden, 1 symlink not read), 0 duplicates" in caplog.text


def test_zip_bomb_is_cut_off_streamed_with_its_ratio(tmp_path):
    (tmp_path / "bomb.zip").write_bytes(_zip({"a.txt": b"0" * 30_000_000,
                                              "ok.txt": GOOD.encode()}))
    tracemalloc.start()
    out = run(tmp_path, min_chars=5, max_file_mb=2)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [d["source"] for d in out["documents"]] == ["bomb.zip/ok.txt"]
    (rej,) = out["rejected"]
    assert (rej["source"], rej["reason"]) == ("bomb.zip/a.txt", "too_large")
    assert "ratio over" in rej["detail"] and ":1" in rej["detail"]
    assert peak < 12_000_000  # never the 30 MB member whole


def test_a_member_under_every_cap_but_inflating_1000_to_1_is_refused(tmp_path):
    (tmp_path / "bomb.zip").write_bytes(_zip({"a.txt": GOOD.encode() * 500_000,  # 40 MB
                                              "ok.txt": GOOD.encode()}))
    start = time.perf_counter()
    out = run(tmp_path, min_chars=5)  # max_file_mb 50, max_archive_mb 500: both above it
    seconds = time.perf_counter() - start
    (rej,) = out["rejected"]
    assert (rej["source"], rej["reason"]) == ("bomb.zip/a.txt", "too_large")
    # stopped after its first 1 MB chunk, never the 40 MB
    found = re.search(r"inflates more than 100:1 \(([\d,]+) bytes from ([\d,]+) and "
                      r"counting\).*a decompression bomb", rej["detail"])
    inflated, packed = (int(g.replace(",", "")) for g in found.groups())
    assert inflated <= 100 * packed + 2**20  # stopped within a chunk of the ratio
    assert [d["source"] for d in out["documents"]] == ["bomb.zip/ok.txt"]
    assert seconds < 10


def test_an_archive_is_capped_in_total(tmp_path):
    import random

    rng = random.Random(0)  # text of 32 characters: about 4:1, so only the caps stop it
    members = {f"m{i}.txt": "".join(chr(0x4E00 + rng.randrange(32))
                                    for _ in range(1_100_000)).encode() for i in range(4)}
    (tmp_path / "many.zip").write_bytes(_zip(members))
    out = run(tmp_path, min_chars=5, max_file_mb=4, max_archive_mb=7)
    got = {r["source"]: r["reason"] for r in out["rejected"]}
    assert [d["source"] for d in out["documents"]] == ["many.zip/m0.txt", "many.zip/m1.txt"]
    assert got == {"many.zip/m2.txt": "too_large", "many.zip/m3.txt": "too_large"}


def test_docx_and_xlsx_bombs_are_refused_as_too_large(tmp_path):
    body = (b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
            b'main"><w:body><w:p><w:r><w:t>' + b"a" * 20_000_000
            + b"</w:t></w:r></w:p></w:body></w:document>")
    (tmp_path / "bomb.docx").write_bytes(_office("docx", body))
    (tmp_path / "bomb.xlsx").write_bytes(_office("xlsx", b"<workbook>" + b" " * 20_000_000
                                                 + b"</workbook>"))
    make_docx(tmp_path / "fine.docx", [GOOD])
    out = run(tmp_path, min_chars=5, max_file_mb=5)
    assert {r["source"]: r["reason"] for r in out["rejected"]} == {
        "bomb.docx": "too_large", "bomb.xlsx": "too_large"}
    assert "inflates more than 100:1" in out["rejected"][0]["detail"]
    assert [d["source"] for d in out["documents"]] == ["fine.docx"]


@pytest.mark.parametrize("payload", [json.dumps({"a": 1}), "[1, 2, 3]"])
def test_json_without_text_is_one_reject(tmp_path, payload):
    write(tmp_path, "x.json", payload)
    write(tmp_path, "ok.txt", GOOD)
    out = run(tmp_path, min_chars=5)
    assert [r["source"] for r in out["rejected"]] == ["x.json"]


def test_the_zoo_through_the_command_line_writes_every_table(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cli import wenmai
    from pipelines.core import store

    (tmp_path / "in").mkdir()
    expect = _build_zoo(tmp_path / "in")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(wenmai, ["ingest", "in", "--min-chars", "5"])
    assert result.exit_code == 0, result.output
    rejected = store.read_table(tmp_path / "work", "ingest/rejected").to_pylist()
    documents = store.read_table(tmp_path / "work", "ingest/documents").to_pylist()
    assert len(rejected) + len(documents) == len(expect)
    assert "bad\ufffdname.txt" in {d["source"] for d in documents}
    status = CliRunner().invoke(wenmai, ["status"])
    assert status.exit_code == 0 and "Traceback" not in status.output
