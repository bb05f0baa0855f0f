"""Tests of the segment report's dictionary rows (split, inside_longer) and English phrases."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from pipelines import segment as S
from pipelines.core import store
from pipelines.core.errors import BadParams
from pipelines.segment.lexicon import DictEntry, checked_words, count_inside, count_occurrences

BACKENDS = ("rjieba", "jieba")
# 农村教师 and 教师队伍 overlap in 农村教师队伍: the backend keeps 教师队伍 there and cuts
# 农村教师 across; 职业教育 lies inside the longer dictionary word 现代职业教育体系.
TEXT = "提升农村教师队伍的水平。农村教师很辛苦。建设现代职业教育体系，发展职业教育。"
USER_DICT = "农村教师\n教师队伍\n职业教育\n现代职业教育体系\n"


def docs(*texts: str | None) -> pa.Table:
    return pa.table({"doc_id": [f"d{i}" for i in range(len(texts))], "text": list(texts)},
                    schema=pa.schema([("doc_id", pa.string()), ("text", pa.string())]))


def compute(*texts: str | None, **params: object) -> dict[str, pa.Table]:
    out = S.compute({"ingest/documents": docs(*texts)}, S.Params(workers=1, **params))
    return {**out, "tokens": store.read_all(out["tokens"])}


def report_rows(out: dict[str, pa.Table], *kinds: str) -> list[tuple[str, str, int]]:
    return [(r["kind"], r["term"], r["count"]) for r in out["report"].to_pylist()
            if r["kind"] in kinds]


@pytest.fixture
def user_dict(tmp_path: Path) -> str:
    path = tmp_path / "user.txt"
    path.write_text(USER_DICT, encoding="utf-8")
    return str(path)


def test_count_occurrences_counts_overlaps_and_never_across_texts() -> None:
    assert count_occurrences(["教育教育部", None, "育", "教"], ["教育", "育教", "教育部"]) == {
        "教育": 2, "育教": 1, "教育部": 1}
    assert count_occurrences(["哈哈哈", "啊"], ["哈哈", "哈哈哈哈", "啊啊"]) == {
        "哈哈": 2, "哈哈哈哈": 0, "啊啊": 0}
    assert count_occurrences([], ["教育"]) == {"教育": 0}
    assert count_occurrences(["教育"], []) == {}


def test_count_occurrences_equals_a_plain_search_on_varied_text() -> None:
    text = ("现代职业教育体系建设，职业教育与职业培训；教育体系。𠀀职业教育\n" * 3
            + "Vocational 职业 教育 职业教育职业教育体系")
    words = ["职业教育", "教育体系", "现代职业教育体系", "职业", "育与职", "体系建设"]

    def plain(word: str) -> int:
        return sum(text.startswith(word, i) for i in range(len(text)))

    assert count_occurrences([text], words) == {w: plain(w) for w in words}


def test_count_inside_counts_each_longer_word_as_often_as_it_occurs() -> None:
    words = ["教育", "职业教育", "教育体系"]
    assert count_inside({"职业教育体系": 2, "教育": 5, "职业教育": 1, "Policy": 3}, words) == {
        "教育": 3, "职业教育": 2, "教育体系": 2}
    assert count_inside({"教育": 5}, words) == {}


def test_checked_words_are_multi_character_han_words_not_asked_to_split() -> None:
    entries = [DictEntry(w, f, "nz", "u.txt", i) for i, (w, f) in enumerate([
        ("职业教育", None), ("教", None), ("5G网络", None), ("教育发展", 10),
        ("产教融合", 5), ("产教融合", 0), ("双减", 0), ("双减", 3)])]
    assert checked_words(entries) == {"职业教育", "教育发展", "双减"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_report_lists_split_and_inside_longer_dictionary_words(backend: str,
                                                               user_dict: str) -> None:
    out = compute(TEXT, backend=backend, use_domain_dict=False, user_dicts=(user_dict,))
    assert [r["tokens"] for r in out["tokens"].to_pylist()] == [
        ["提升", "农村", "教师队伍", "水平"], ["农村教师", "辛苦"],
        ["建设", "现代职业教育体系", "发展", "职业教育"]]
    assert report_rows(out, "split", "inside_longer") == [
        ("split", "农村教师", 1), ("inside_longer", "职业教育", 1)]
    kinds = out["report"].column("kind").to_pylist()
    assert kinds == ["removed"] * 5 + ["split", "inside_longer"]


@pytest.mark.parametrize("case", ["keep_pos", "stopwords", "synonyms"])
def test_filters_and_synonyms_do_not_change_split_counts(case: str, user_dict: str,
                                                         tmp_path: Path) -> None:
    # dictionary words dropped by a filter were still words of the backend, and synonyms are
    # merged after the backend
    stop = tmp_path / "stop.txt"
    stop.write_text("职业教育\n现代职业教育体系\n农村教师\n", encoding="utf-8")
    syn = tmp_path / "syn.tsv"
    syn.write_text("职教\t职业教育\n教师队伍\t师资\n", encoding="utf-8")
    extra = {"keep_pos": {"keep_pos": ("v",)}, "stopwords": {"stopwords": (str(stop),)},
             "synonyms": {"synonyms": str(syn)}}[case]
    out = compute(TEXT + "发展职教。", use_domain_dict=False, user_dicts=(user_dict,), **extra)
    assert report_rows(out, "split", "inside_longer") == [
        ("split", "农村教师", 1), ("inside_longer", "职业教育", 1)]


def test_presegmented_text_and_no_dictionary_give_no_split_rows(user_dict: str) -> None:
    pre = compute("提升 农村 教师队伍 。 现代职业教育体系", presegmented=True,
                  use_domain_dict=False, user_dicts=(user_dict,))
    assert report_rows(pre, "split", "inside_longer") == []
    bare = compute(TEXT, use_domain_dict=False)
    assert report_rows(bare, "split", "inside_longer") == []


def test_shipped_domain_dictionary_splits_in_default_run() -> None:
    out = compute("提升农村教师队伍的水平。", "乡村教师培训指南。", None)
    assert report_rows(out, "split") == [("split", "农村教师", 1), ("split", "教师培训", 1)]


def test_split_counts_are_the_same_with_forked_workers(user_dict: str) -> None:
    st = S.settings_from_params(S.Params(user_dicts=(user_dict,)))
    docs_ = [(f"d{i}", TEXT * (i + 1)) for i in range(6)]
    one = S.segment_documents(docs_, st, workers=1)
    forked = S.segment_documents(docs_, st, workers=2, part_chars=100, min_chars_parallel=1)
    assert (forked.as_token, forked.inside) == (one.as_token, one.inside)
    assert one.as_token["农村教师"] == 21 and one.inside["职业教育"] == 21


# Three English documents and two mixed ones; after stopwords and lemmas the eng runs are
# [vocational education matter] [fund vocational education] [vocational education grow]
# [vocational education] (between 发展 and 职业教育) [vocational] [education].
PHRASE_TEXTS = ("Vocational education matters.", "We fund vocational education.",
                "Vocational education grows.", "我们发展Vocational Education和职业教育。",
                "Vocational发展education。")


def test_phrases_are_off_by_default() -> None:
    assert S.Params().phrases is False
    out = compute(*PHRASE_TEXTS)
    assert [r["tokens"] for r in out["tokens"].to_pylist()][3] == [
        "发展", "vocational", "education", "职业教育"]
    assert report_rows(out, "phrase") == []


def test_phrases_join_a_frequent_pair_and_leave_chinese_alone() -> None:
    # gensim's default score: (n_ab - min_count) / (n_a * n_b) * V, with n_ab = 4 pairs,
    # n_a = n_b = 5 and V = 5 words + 4 pairs = 9: (4 - 1) / 25 * 9 = 1.08
    out = compute(*PHRASE_TEXTS, phrases=True, phrase_min_count=1, phrase_threshold=1.0)
    rows = [(r["tokens"], r["pos"]) for r in out["tokens"].to_pylist()]
    assert rows == [
        (["vocational_education", "matter"], ["eng", "eng"]),
        (["fund", "vocational_education"], ["eng", "eng"]),
        (["vocational_education", "grow"], ["eng", "eng"]),
        (["发展", "vocational_education", "职业教育"], ["vn", "eng", "nz"]),
        (["vocational", "发展", "education"], ["eng", "vn", "eng"]),
    ]
    assert out["tokens"].schema == S.TOKENS_SCHEMA
    assert report_rows(out, "phrase") == [("phrase", "vocational_education", 4)]


def test_phrases_below_threshold_or_min_count_change_nothing() -> None:
    plain = compute(*PHRASE_TEXTS)
    for params in ({"phrase_min_count": 1, "phrase_threshold": 1.2},  # score 1.08
                   {"phrase_min_count": 4, "phrase_threshold": 0.01}):  # seen 4 times, not more
        out = compute(*PHRASE_TEXTS, phrases=True, **params)
        assert out["tokens"].equals(plain["tokens"])
        assert report_rows(out, "phrase") == []


def test_phrase_threshold_must_be_positive() -> None:
    with pytest.raises(BadParams, match="phrase_threshold"):
        compute(*PHRASE_TEXTS, phrases=True, phrase_threshold=0.0)


def test_documents_in_traditional_characters_are_reported_and_warned_about(
        caplog: pytest.LogCaptureFixture) -> None:
    traditional = "我們國家的經濟發展很快。這個時候，會議決定繼續實行對外開放的政策。"
    with caplog.at_level("WARNING", logger="wenmai"):
        out = compute(TEXT, traditional, "Vocational education matters.")
    rows = report_rows(out, "traditional")
    assert [term for _, term, _ in rows] == ["d1"]
    assert rows[0][2] == 16  # 們 國 經 濟 發 這 個 時 會 議 決 繼 續 實 對 開
    assert "1 document(s) are largely in traditional characters (first: d1)" in caplog.text
    assert "--to-simplified" in caplog.text
    assert report_rows(compute(TEXT), "traditional") == []


def test_terms_in_nearly_every_document_are_reported_as_common() -> None:
    texts = ["职业教育发展很快。", "农村教育发展。", "发展职业教育。", "教师发展。",
             "学校发展。", "经济增长。"]
    out = compute(*texts)
    # 发展 is in 5 of 6 documents (83 %), below 90 %: not common; add one more and it is
    assert report_rows(out, "common") == []
    out = compute(*texts[:5])
    assert report_rows(out, "common") == [("common", "发展", 5)]


def test_policy_stopwords_drop_genre_words_and_chinese_numeral_years() -> None:
    text = "一九五四年，政府应当加强农村教育的发展。2017年继续推进。"
    plain = {t for r in compute(text)["tokens"].to_pylist() for t in r["tokens"]}
    policy = {t for r in compute(text, policy_stopwords=True)["tokens"].to_pylist()
              for t in r["tokens"]}
    assert {"应当", "加强", "发展"} <= plain
    assert not {"应当", "加强", "发展"} & policy
    assert {"政府", "农村教育"} <= policy
    assert not {"一九五四年", "2017年", "2017", "年"} & plain
    assert "一九五四年" in {t for r in compute(text, keep_numbers=True)["tokens"].to_pylist()
                         for t in r["tokens"]}
