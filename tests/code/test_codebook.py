"""Codebook validation: each problem is one error naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.code.codebook import load_codebook
from pipelines.core.errors import BadInputFile
from pipelines.core.resources import data_path

GOOD = """\
name: test
groups:
  - name: G
    categories:
      - name: C
        codes:
          - name: A
            description: a memo
            rule: 政府
          - name: B
            rule: '@A and 企业'
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "book.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_codebook_loads(tmp_path: Path) -> None:
    book = load_codebook(write(tmp_path, GOOD))
    assert [c.name for c in book.codes] == ["A", "B"]
    assert book.code("A").description == "a memo"
    assert book.members("C") == ("A", "B") and book.members("G") == ("A", "B")
    assert book.order == ("A", "B")


@pytest.mark.parametrize(("old", "new", "line", "message"), [
    ("            description: a memo", "            memo: a memo", 8, "unknown key 'memo'"),
    ("rule: 政府", "rule: /[unclosed/", 9, "bad regular expression"),
    ("name: B", "name: A", 10, "duplicate name 'A' \\(first used on line 7\\)"),
    ("'@A and 企业'", "'@Z and 企业'", 11, "refers to @Z"),
    ("'@A and 企业'", "'@B'", 11, "circle: B -> B"),
    ("rule: 政府", "rule: '@B'", 9, "circle"),
    ("          - name: B\n            rule: '@A and 企业'\n", "          - name: B\n", 10,
     "code 'B' has no 'rule'"),
    ("groups:", "groupz:", 2, "unknown key 'groupz'"),
    ("rule: 政府", "rule: [政府]", 9, "must be non-empty text"),
])
def test_errors_name_file_and_line(tmp_path: Path, old: str, new: str, line: int,
                                   message: str) -> None:
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(BadInputFile, match=f"{path}:{line}: .*{message}"):
        load_codebook(path)


def test_not_yaml_and_missing(tmp_path: Path) -> None:
    with pytest.raises(BadInputFile, match=r"book.yaml:3: not valid YAML"):
        load_codebook(write(tmp_path, "groups:\n  - name: [a\n  - b: c: d\n"))
    quoted = GOOD.replace("rule: 政府", 'rule: "政府" or 企业')
    with pytest.raises(BadInputFile, match=r"book.yaml:9: not valid YAML .*single quotes"):
        load_codebook(write(tmp_path, quoted))
    with pytest.raises(BadInputFile, match="does not exist"):
        load_codebook(tmp_path / "nope.yaml")


@pytest.mark.parametrize("name", ["vocational_poverty.yaml", "policy_instruments.yaml"])
def test_shipped_codebooks_load(name: str) -> None:
    book = load_codebook(data_path("codebooks", name))
    assert book.source
    if name == "vocational_poverty.yaml":
        assert len(book.groups) == 4 and len(book.codes) == 17
    else:
        assert [g.name for g in book.groups] == ["供给型", "环境型", "需求型"]
