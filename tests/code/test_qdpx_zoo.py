"""Received .qdpx projects that used to end a run with "failed unexpectedly", hang or grow
without bound (issue 30): each is one clear line, within bounded time."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from pipelines.code.refi import read_qdpx
from pipelines.core.errors import BadInputFile

NS = "urn:QDA-XML:project:1.0"


def _qdpx(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _project(codes: str = "", sources: str = "") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{NS}" name="p">'
            f"<CodeBook><Codes>{codes}</Codes></CodeBook><Sources>{sources}</Sources></Project>")


def _source(start: str, end: str, text: str = "职业教育促进乡村振兴") -> str:
    return (f'<TextSource guid="s1" name="a"><PlainTextContent>{text}</PlainTextContent>'
            f'<PlainTextSelection guid="x" startPosition="{start}" endPosition="{end}">'
            '<Coding guid="y"><CodeRef targetGUID="c0"/></Coding></PlainTextSelection>'
            "</TextSource>")


CASES = [
    ("position 2**63", lambda: {"project.qde": _project('<Code guid="c0" name="k"/>',
                                                         _source("0", str(2**63)))},
     r"a selection in source 'a' spans 0\.\.9223372036854775808; positions must satisfy "
     r"0 <= start <= end <= 10"),
    ("GBK project.qde", lambda: {"project.qde": _project().replace("utf-8", "GBK")
                                 .encode("gbk")},
     r"project\.qde cannot be read \(multi-byte encodings are not supported\); REFI-QDA "
     "projects are UTF-8"),
    ("two project.qde", lambda: {"project.qde": _project(), "b/project.qde": _project()},
     r"holds 2 project files \(b/project\.qde, project\.qde\); a \.qdpx holds one"),
    ("source bomb 1000:1", lambda: {
        "project.qde": _project(sources='<TextSource guid="s" name="a" '
                                'plainTextPath="internal://a.txt"/>'),
        "sources/a.txt": "职" * 30_000_000},
     r"sources/a\.txt inflates more than 100:1"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_hostile_project_is_one_clear_line(tmp_path: Path, case) -> None:
    _, members, message = case
    path = _qdpx(tmp_path / "bad.qdpx", members())
    start = time.perf_counter()
    with pytest.raises(BadInputFile, match=message) as err:
        read_qdpx(path)
    assert time.perf_counter() - start < 10 and "\n" not in str(err.value)


def test_a_code_tree_20000_deep_is_read_without_recursion(tmp_path: Path) -> None:
    codes = "".join(f'<Code guid="c{i}" name="k{i}">' for i in range(20_000)) + \
        "</Code>" * 20_000
    path = _qdpx(tmp_path / "deep.qdpx", {"project.qde": _project(codes, _source("0", "2"))})
    got = read_qdpx(path)
    assert len(got.codes) == 20_000 and got.parents["C19999"] == "C19998"
    assert [{k: s[k] for k in ("source", "start", "end", "code")} for s in got.selections] == [
        {"source": "S1", "start": 0, "end": 2, "code": "k0"}]
