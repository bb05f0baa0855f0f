"""Tests of loading and validating user dictionaries, stopword lists and synonym tables."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from pipelines import segment as S
from pipelines.core.errors import BadInputFile
from pipelines.core.resources import data_path
from pipelines.segment.backends import build_backend
from pipelines.segment.lexicon import (
    DictEntry,
    load_stopwords,
    load_synonyms,
    load_user_dict,
)
from pipelines.segment.text import sentence_lang, split_sentences


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_dict_fields_defaults_and_comments(tmp_path: Path) -> None:
    path = write(tmp_path, "u.txt", "\ufeff# comment\n职教人才 2000 nz\n组团帮扶\n双减 n\n\n")
    assert load_user_dict(path) == [
        DictEntry("职教人才", 2000, "nz", str(path), 2),
        DictEntry("组团帮扶", None, "nz", str(path), 3),
        DictEntry("双减", None, "n", str(path), 4),
    ]


@pytest.mark.parametrize("line", ["职业教育 100 nz extra", "职业教育 12abc", "职业教育 12 NZ"])
def test_malformed_dict_line_names_file_and_line(tmp_path: Path, line: str) -> None:
    path = write(tmp_path, "u.txt", f"乡村振兴 100 nz\n{line}\n")
    with pytest.raises(BadInputFile, match=r"u\.txt, line 2: "):
        load_user_dict(path)


def test_non_utf8_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes("职业教育\n乡村振兴\n".encode("gbk"))
    with pytest.raises(BadInputFile, match=r"gbk\.txt, line 1: not UTF-8"):
        load_stopwords(path)


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputFile, match="cannot read"):
        load_user_dict(tmp_path / "nope.txt")


def test_entry_the_backend_still_splits(tmp_path: Path) -> None:
    path = write(tmp_path, "low.txt", "教育发展 1 nz\n")
    message = r"low\.txt, line 1: rjieba still splits '教育发展' into 教育 / 发展"
    with pytest.raises(BadInputFile, match=message):
        build_backend("rjieba", load_user_dict(path))
    p = S.Params(use_domain_dict=False, user_dicts=(str(path),), backend="jieba", workers=1)
    with pytest.raises(BadInputFile, match=r"low\.txt, line 1: jieba still splits"):
        S.compute({"ingest/documents": pa.table({"doc_id": ["a"], "text": ["x"]})}, p)


def test_stopword_list_one_word_per_line(tmp_path: Path) -> None:
    assert load_stopwords(write(tmp_path, "s.txt", "的\n\n，\nthe \n")) == ["的", "，", "the"]
    with pytest.raises(BadInputFile, match=r"s2\.txt, line 2: .* one stopword per line"):
        load_stopwords(write(tmp_path, "s2.txt", "的\n按, 按照, 俺\n"))


def test_synonym_table(tmp_path: Path) -> None:
    path = write(tmp_path, "syn.tsv", "# c\n职教\t职业教育\nvocational education\t职业教育\n")
    pairs = load_synonyms(path)
    assert [(p.variant, p.canonical, p.line) for p in pairs] == [
        ("职教", "职业教育", 2), ("vocational education", "职业教育", 3)]
    with pytest.raises(BadInputFile, match=r"bad\.tsv, line 1: .*variant<TAB>canonical"):
        load_synonyms(write(tmp_path, "bad.tsv", "职教 职业教育\n"))


def test_shipped_files_load_and_domain_terms_stay_whole() -> None:
    entries = load_user_dict(data_path("dicts", "education_policy.txt"))
    assert len(entries) >= 400
    words = {e.word for e in entries}
    assert {"职业教育", "精准扶贫", "乡村振兴", "校企合作", "产教融合", "双师型", "建档立卡",
            "东西部协作", "现代职业教育体系"} <= words
    assert len(load_stopwords(data_path("stopwords", "zh.txt"))) == 794
    assert len(load_stopwords(data_path("stopwords", "en.txt"))) == 318
    # build_backend checks every entry stays whole; no domain word is a stopword
    build_backend("rjieba", entries)
    stop = set(load_stopwords(data_path("stopwords", "zh.txt")))
    assert not words & stop


def test_split_sentences_offsets_and_rules() -> None:
    text = "职业教育很重要！对吗？\n  We agree. It works.Next one\n\n“好。”最后"
    got = [(s.para_id, s.sent_id, s.start, s.end, s.text) for s in split_sentences(text)]
    assert got == [
        (0, 0, 0, 8, "职业教育很重要！"),
        (0, 1, 8, 11, "对吗？"),
        (1, 2, 2, 11, "We agree."),
        (1, 3, 12, 21, "It works."),
        (1, 4, 21, 29, "Next one"),
        (3, 5, 0, 4, "“好。”"),
        (3, 6, 4, 6, "最后"),
    ]
    assert len(split_sentences("3.5 percent rose")) == 1


def test_sentence_lang_majority() -> None:
    assert sentence_lang("本文采用LDA模型分析政策文本") == "zh"
    assert sentence_lang("职业教育 vocational education") == "zh"  # 4 Han vs 2 words: tie
    assert sentence_lang("The 职业教育 of rural China") == "en"
