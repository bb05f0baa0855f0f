"""Unit tests of the ingest helpers: decoding, clean-up, metadata, bibliographic parsers."""

from __future__ import annotations

import doctest

import pytest

from pipelines.ingest import biblio as ingest_biblio
from pipelines.ingest import clean as ingest_clean
from pipelines.ingest import decode as ingest_decode
from pipelines.ingest import dedup as ingest_dedup
from pipelines.ingest import meta as ingest_meta
from pipelines.ingest.clean import (
    detect_lang,
    drop_lines,
    normalise,
    repeated_lines,
    split_articles,
    strip_chrome,
)
from pipelines.ingest.decode import Rejected, decode_bytes
from pipelines.ingest.meta import date_from_name, find_date, guess_title, top_date


@pytest.mark.parametrize("module", [ingest_biblio, ingest_clean, ingest_decode, ingest_dedup,
                                    ingest_meta])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(("data", "text", "encoding"), [
    ("职业教育".encode(), "职业教育", "utf-8"),
    (b"\xef\xbb\xbf" + "职业教育".encode(), "职业教育", "utf-8-sig"),
    ("职业教育与乡村振兴，促进共同富裕。".encode("gbk"), "职业教育与乡村振兴，促进共同富裕。",
     "gb18030"),
    ("職業教育與鄉村振興，促進共同富裕。".encode("big5"), "職業教育與鄉村振興，促進共同富裕。",
     "cp950"),
    ("教育 UTF-16".encode("utf-16"), "教育 UTF-16", "utf-16"),
])
def test_decode_bytes_detects_encodings(data, text, encoding):
    assert decode_bytes(data, name="x.txt") == (text, encoding)


def test_decode_bytes_rejects_binary_and_garbage():
    with pytest.raises(Rejected) as info:
        decode_bytes(b"\x00\x01\x02PK\x03\x04" * 10, name="a.txt")
    assert info.value.reason == "binary"
    garbage = bytes(range(0x80, 0x100)) * 3
    with pytest.raises(Rejected) as info:
        decode_bytes(garbage, name="b.txt")
    assert info.value.reason == "undecodable"
    assert "b.txt" in info.value.detail


def test_normalise_keeps_chinese_punctuation_and_maps_fullwidth_alnum():
    raw = "  第１章　ＡＢＣ：职业教育，“好”。\r\n\r\n\t\n 第二行\u200b  x  "
    assert normalise(raw) == "第1章 ABC：职业教育，“好”。\n第二行 x"


def test_strip_chrome_lines_and_phrases():
    text = "\n".join([
        "首页|新闻|通知", "扫码查看", "正文第一段。", "2022-10-28 版权声明 我要投稿",
        "Issuing time:2023-06-21 11:26", "Share to:", "上一篇:甲下一篇:乙",
        "Home · Business Area · About Us · News Center", "一、总体要求",
    ])
    assert strip_chrome(text) == ("正文第一段。\n2022-10-28\n一、总体要求", 6)


def test_repeated_lines_need_a_share_of_the_collection():
    docs = [f"本站声明\n正文{i}\n共同标题" if i < 3 else f"本站声明\n正文{i}" for i in range(5)]
    assert repeated_lines(docs) == {"本站声明": 5, "共同标题": 3}  # 5/5 and 3/5 of 5 docs
    assert repeated_lines(docs[:4]) == {}  # fewer than min_docs=5
    assert drop_lines(docs[0], {"本站声明", "共同标题"}) == ("正文0", 2)


def test_split_articles_uses_marker_lines_not_numbered_headings():
    text = "页眉\n第1篇:甲文\n一、背景\n内容\n第2篇： 乙文\n二、做法"
    pattern = r"^第\s*[0-9]+\s*篇\s*[:：]"
    preamble, arts = split_articles(text, pattern)
    assert preamble == "页眉"
    assert arts == [("甲文", "甲文\n一、背景\n内容"), ("乙文", "乙文\n二、做法")]
    assert split_articles("一、甲\n二、乙", pattern) == ("一、甲\n二、乙", [])
    assert split_articles(text, None) == (text, [])


@pytest.mark.parametrize(("text", "lang"), [
    ("职业教育促进乡村振兴", "zh"),
    ("Vocational education promotes rural revitalization", "en"),
    ("职业教育促进乡村振兴。Vocational education promotes rural revitalization.", "mixed"),
    ("2023 ...", "en"),
])
def test_detect_lang(text, lang):
    assert detect_lang(text) == lang


@pytest.mark.parametrize(("text", "date"), [
    ("发布于2022-10-28", "2022-10-28"),
    ("2023年6月21日", "2023-06-21"),
    ("2023年6月", "2023-06"),
    ("2020/3/5", "2020-03-05"),
    ("2023-13-40", "2023"),
    ("没有日期", None),
])
def test_find_date(text, date):
    assert find_date(text) == date


def test_dates_from_names_and_tops():
    assert date_from_name("1954政府工作报告_周恩来.txt") == "1954"
    assert date_from_name("义务教育法(2018-12-29).md") == "2018-12-29"
    assert date_from_name("000_e2e47d2e37578fd6.txt") is None
    assert top_date("标题\n正文很长的一段话。\nIssuing time:2023-06-21 11:26") == "2023-06-21"
    assert top_date("标题\n" + "正文\n" * 10 + "2016年7月26日") is None
    assert guess_title("2022-10-28\n电子商务扶贫培训\n正文") == "电子商务扶贫培训"


def test_parse_noteexpress_joins_continuation_lines_and_authors():
    text = ("{Reference Type}: Journal Article\n{Title}: 甲\n{Author}: 张三;;李四\n"
            "{Author Address}: 武汉,\n湖北\n{Year}: 2005\n{Keywords}: 教育;乡村\n"
            "{Abstract}: 摘要(#br)第二段\n\n\n{Reference Type}: Thesis\n{Title}: 乙\n")
    assert ingest_biblio.parse_noteexpress(text) == [
        {"Reference Type": "Journal Article", "title": "甲", "authors": ["张三", "李四"],
         "Author Address": "武汉,湖北", "year": "2005", "keywords": ["教育", "乡村"],
         "text": "摘要\n第二段"},
        {"Reference Type": "Thesis", "title": "乙"},
    ]


def test_parse_bibtex_and_ris_several_records():
    bib = "@article{a, title={T1}, year={2001}}\n@comment{x}\n@book{b,\n title = \"T2\"\n}"
    assert [r["title"] for r in ingest_biblio.parse_bibtex(bib)] == ["T1", "T2"]
    ris = "TY  - JOUR\nTI  - A\nER  - \nTY  - BOOK\nTI  - B\nAB  - x\ny\nER  - \n"
    assert ingest_biblio.parse_ris(ris) == [{"type": "JOUR", "title": "A"},
                                            {"type": "BOOK", "title": "B", "text": "x y"}]


def test_near_duplicates_finds_the_earlier_copy():
    base = "".join(chr(0x4E00 + (i * 37) % 2000) for i in range(400))
    other = "".join(chr(0x4E00 + (i * 53) % 3000) for i in range(400))
    texts = [base, other, base + "多一句。"]  # 396 of 400 shingles shared: J = 396/400
    found = ingest_dedup.near_duplicates(texts, 0.8)
    assert list(found) == [2]
    assert found[2][0] == 0
    assert found[2][1] == 0.99  # exact Jaccard of the shingle sets
    assert ingest_dedup.near_duplicates(texts[:2], 0.8) == {}


def test_batch_signatures_equal_one_at_a_time():
    import random

    rng = random.Random(3)
    pool = "职业教育乡村振兴人才培养技术技能产教融合校企合作 abcdefg"
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 300))) for _ in range(200)]
    rows = ingest_dedup.batch_signatures(texts)
    for text, row in zip(texts, rows, strict=True):
        sig = ingest_dedup.signature(text)
        assert (sig is None and (row == 2**64 - 1).all()) or (row == sig).all()


def test_lsh_bands_match_datasketch_rule():
    from datasketch.lsh import _optimal_param

    for threshold in (0.3, 0.6, 0.9, 0.95):
        assert ingest_dedup.lsh_params(threshold) == _optimal_param(
            max(0.05, threshold - 0.1), 128, 0.2, 0.8)


def test_near_duplicates_agree_with_all_pairs_on_a_small_set():
    import random

    rng = random.Random(7)
    words = ["职业教育", "乡村振兴", "教师队伍", "经费保障", "学前教育", "精准扶贫", "质量提升"]
    texts: list[str] = []
    for i in range(300):
        if texts and rng.random() < 0.3:
            base = rng.choice(texts)
            k = rng.randrange(len(base))
            texts.append(base[:k] + "新" + base[k + 1:])
        else:
            texts.append("".join(rng.choice(words) for _ in range(12)) + str(i))
    threshold = 0.8
    found = ingest_dedup.near_duplicates(texts, threshold)
    kept: list[int] = []
    expected: dict[int, int] = {}
    for i, text in enumerate(texts):  # all pairs: the reference definition
        sims = [(ingest_dedup.jaccard(text, texts[j]), -j) for j in kept]
        best = max(sims, default=(0.0, 0))
        if best[0] >= threshold:
            expected[i] = -best[1]
        else:
            kept.append(i)
    assert all(sim >= threshold for _, sim in found.values())
    agree = sum(1 for i, j in expected.items() if found.get(i, (None,))[0] == j)
    assert agree / len(expected) >= 0.95  # LSH may miss a few pairs at the threshold
    assert len(set(found) - set(expected)) <= 0.05 * len(expected)


def test_lsh_candidates_stay_linear_in_a_huge_bucket():
    import numpy as np

    n, bands = 5000, 12
    keys = np.zeros((n, bands), dtype=np.uint64)  # every document in one bucket of every band
    later, earlier, shared = ingest_dedup._candidates(keys, per_bucket=8)
    assert len(later) <= n * 8  # never the n * (n - 1) / 2 = 12.5 M pairs
    assert ((later > earlier) & (later - earlier <= 8)).all()
    assert (shared == bands).all()


def test_signature_of_a_long_text_is_the_same_window_by_window(monkeypatch):
    import random

    rng = random.Random(2)
    text = "".join(rng.choice("职业教育乡村振兴人才培养技术技能abc ") for _ in range(5000))
    whole = ingest_dedup.signature(text)
    monkeypatch.setattr(ingest_dedup, "_WINDOW", 97)
    assert (ingest_dedup.signature(text) == whole).all()
    rows = ingest_dedup.batch_signatures([text, "乡村教师队伍建设关系到农村教育质量。"])
    assert (rows[0] == whole).all()
