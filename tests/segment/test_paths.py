"""Tests of the fast paths of the segment stage: they must give what the plain paths give."""

from __future__ import annotations

import random
import re

import pytest

from pipelines.core.resources import data_path
from pipelines.segment import stage as S
from pipelines.segment.text import LATIN_WORD, sentence_ends, split_sentences
from pipelines.segment.worker import Segmenter, Settings

BACKENDS = ("rjieba", "jieba")

# Sentence ends, quotes, full stops before white space and glued to capitals, English words
# with hyphens and apostrophes, numbers, full-width text, blank lines, tabs and \r\n.
TRICKY = [
    "职业教育很重要。We agree. Yes!\n\n  第二段：增长3.5%。 下一步，“好”）？ 产教结合……一是",
    "2022-10-28 a.b education.The U.S. economy's growth.The policies 5G e-commerce COVID-19\r\n"
    "職業\tABC-d'x ’s’ rjieba\u3000 ok 。。。 !!\n第1篇 二十年 Ｆｕｌｌ １９８９年。职教与 "
    "vocational education; Targeted poverty alleviation.精准脱贫",
    "",
    "The rural schools need teachers. 乡村振兴战略！“职业教育”。",
]
OLD_SENT_END = re.compile(r"[。！？!?；;…]+[”’\"'」』）)》]*|\.+(?=\s|$)|(?<=[a-z])\.(?=[A-Z])")
OLD_LATIN = re.compile(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*(?:[-'’][A-Za-z0-9]+)*")


def settings(**params: object) -> Settings:
    return S.settings_from_params(S.Params(**params))


def both_paths(st: Settings, texts: list[str]) -> tuple:
    docs = [(f"d{i}", t) for i, t in enumerate(texts)]
    fast = Segmenter(st).run(docs)
    plain = Segmenter(st)
    plain.by_sentence = True
    slow = plain.run(docs)
    return fast, slow


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("extra", [
    {},
    {"synonyms": str(data_path("synonyms", "example.tsv")), "keep_pos": ("n", "v", "eng")},
    {"keep_numbers": True, "lowercase": False, "lemmatize": False, "min_length": 1},
])
def test_paragraph_at_once_equals_sentence_by_sentence(backend: str, extra: dict) -> None:
    fast, slow = both_paths(settings(backend=backend, **extra), TRICKY)
    assert fast.table.equals(slow.table)
    assert fast.table.num_rows > 10
    assert fast.removed == slow.removed and fast.oov == slow.oov


def test_words_straddling_a_sentence_end_fall_back_to_sentences() -> None:
    st = settings()
    seg = Segmenter(st)
    tag_raw = seg._tag_raw

    def glued(text: str) -> list[tuple[str, str]]:
        # a backend that glues every 。 to the next word: the words no longer line up with
        # the sentence ends, so the paragraph must be segmented sentence by sentence
        out: list[tuple[str, str]] = []
        for word, tag in tag_raw(text):
            if out and out[-1][0].endswith("。"):
                out[-1] = (out[-1][0] + word, out[-1][1])
            else:
                out.append((word, tag))
        return out

    seg._tag_raw = glued
    seg.backend.cut_words = lambda text: [w for w, _ in glued(text)]
    texts = ["我们推进职业教育。学生人数增长。", "第一句。\n第二段没有句号"]
    docs = [(f"d{i}", t) for i, t in enumerate(texts)]
    assert seg.run(docs).rows == Segmenter(st).run(docs).rows == [
        ("d0", 0, 0, ["推进", "职业教育"], ["v", "nz"], "zh"),
        ("d0", 0, 1, ["学生", "人数", "增长"], ["n", "n", "v"], "zh"),
        ("d1", 0, 0, ["第一句"], ["m"], "zh"),
        ("d1", 1, 1, ["第二段", "没有", "句号"], ["m", "v", "n"], "zh"),
    ]
    assert [w for w, _ in glued("增长。学生")] == ["增长", "。学生"]


def test_rewritten_regexes_match_the_originals() -> None:
    rng = random.Random(7)
    alphabet = list("。！？!?；;….. aZbY”’\"'」』）)》\tx19-好")
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert sentence_ends(text) == [m.end() for m in OLD_SENT_END.finditer(text)] + [len(text)]
        assert ([m.span() for m in LATIN_WORD.finditer(text)]
                == [m.span() for m in OLD_LATIN.finditer(text)])
        assert bool(LATIN_WORD.fullmatch(text)) == bool(OLD_LATIN.fullmatch(text))


def test_sentence_ends_and_split_sentences_agree() -> None:
    para = "好。 Yes! education.The end... 。"
    assert sentence_ends(para) == [2, 7, 18, 28, 30, 30]  # the last piece is empty
    assert [s.text for s in split_sentences(para)] == ["好。", "Yes!", "education.", "The end...",
                                                      "。"]


def test_partitions_are_cut_by_text_alone_and_keep_order() -> None:
    import pyarrow as pa

    texts = ["x" * 9, "x", "x" * 8, None, "x" * 10, ""]
    table = pa.table({"doc_id": list("abcdef"), "text": texts})
    cut = [[d for d, _ in p] for p in S.partitions(table, 10)]
    assert cut == [["a", "b"], ["c", "d", "e"], ["f"]]
    assert [[d for d, _ in p] for p in S.partitions(table, 1)] == [
        ["a"], ["b"], ["c"], ["d", "e"], ["f"]]
    assert list(S.partitions(table.slice(0, 0), 10)) == []


def test_forked_and_spawned_workers_give_identical_results(
        monkeypatch: pytest.MonkeyPatch) -> None:
    texts = TRICKY * 3
    docs = [(f"d{i}", t) for i, t in enumerate(texts)]
    st = settings()
    one = S.segment_documents(docs, st, workers=1, part_chars=200)
    forked = S.segment_documents(docs, st, workers=2, part_chars=200, min_chars_parallel=1)
    assert forked.table.equals(one.table)
    for name in ("removed", "oov", "words", "occurrences", "as_token", "inside", "documents",
                 "traditional", "docs_kept", "written"):
        assert getattr(forked, name) == getattr(one, name), name
    monkeypatch.setattr(S, "can_fork", lambda: False)
    spawned = S.segment_documents(docs, st, workers=2, part_chars=200, min_chars_parallel=1)
    assert spawned.table.equals(one.table)
    assert (spawned.removed, spawned.oov) == (one.removed, one.oov)


def test_small_corpus_stays_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.core import engine

    def no_workers(*_args: object) -> None:
        raise AssertionError("a small corpus must not start workers")

    monkeypatch.setattr(engine, "_stream_forked", no_workers)
    monkeypatch.setattr(engine, "_stream_spawned", no_workers)
    docs = [("d0", "我们推进职业教育。"), ("d1", "乡村振兴。")]
    assert S.segment_documents(docs, settings(), workers=2).rows == [
        ("d0", 0, 0, ["推进", "职业教育"], ["v", "nz"], "zh"),
        ("d1", 0, 0, ["乡村振兴"], ["nz"], "zh"),
    ]


def test_jieba_hmm_memo_gives_the_words_of_plain_jieba() -> None:
    import jieba.posseg

    from pipelines.segment.backends import build_backend

    backend = build_backend("jieba", [])
    plain = jieba.posseg.POSTokenizer(backend._tok)  # same dictionary, HMM not memoised
    text = "培森村委第一书记玉奇贵说，玉奇贵和培森村委。"
    want = [("培森", "nrt"), ("村委", "n"), ("第一书记", "nz"), ("玉奇贵", "nr"), ("说", "v"),
            ("，", "x"), ("玉奇贵", "nr"), ("和培森", "nr"), ("村委", "n"), ("。", "x")]
    assert [(p.word, p.flag) for p in plain.cut(text)] == want
    assert backend.tag(text) == want
    assert backend.tag(text + text) == want + want  # the runs now come from the memo


def sample_texts() -> list[str]:
    """The shipped sample documents (real policy text, Chinese and English)."""
    folder = data_path("sample", "docs")
    return [p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()) if p.is_file()]


# Words rjieba's HMM finds in context but cuts differently when tagged alone (中苏, 所处).
HMM_TEXT = "中苏两国的这种真诚合作。我国所处的国际环境不同于过去。\n  \n分得了土地"


def vector_and_loop(st: Settings, texts: list[str]) -> tuple:
    docs = [(f"d{i}", t) for i, t in enumerate(texts)]
    vector = Segmenter(st)
    loop = Segmenter(st)
    loop.vectorised = False
    return vector.run(docs), loop.run(docs)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("extra", [
    {},
    {"keep_pos": ("n", "v", "eng")},
    {"keep_numbers": True, "lowercase": False, "lemmatize": False, "min_length": 1},
    {"use_domain_dict": False, "use_default_stopwords": False},
])
def test_vectorised_pass_equals_the_per_token_loop(backend: str, extra: dict) -> None:
    texts = TRICKY + [HMM_TEXT] + sample_texts()
    vector, loop = vector_and_loop(settings(backend=backend, **extra), texts)
    assert vector.table.equals(loop.table)
    assert vector.table.num_rows > 300
    for name in ("removed", "oov", "words", "occurrences", "as_token", "inside"):
        assert getattr(vector, name) == getattr(loop, name), name


def test_vectorised_pass_gives_words_their_tag_in_context() -> None:
    seg = Segmenter(settings(min_length=1))
    assert seg.backend.word_tag("中苏") is None  # alone, rjieba cuts it differently
    rows = seg.run([("d0", HMM_TEXT)]).rows
    assert rows[0][3][:2] == ["中苏", "两国"]
    assert rows[0][4][0] == dict(seg.backend.tag_raw(HMM_TEXT))["中苏"] == "ns"
    assert [r[:3] for r in rows] == [("d0", 0, 0), ("d0", 0, 1), ("d0", 2, 2)]


def test_vectorised_pass_of_nothing_is_an_empty_table() -> None:
    for texts in ([], ["", " \n\t"], ["。。。！"]):
        vector, loop = vector_and_loop(settings(), texts)
        assert vector.table.num_rows == 0 and vector.table.equals(loop.table)
        assert vector.removed == loop.removed


def test_first_rjieba_segmenter_takes_the_import_time_instance_and_no_words_leak() -> None:
    import rjieba

    from pipelines.segment.backends import build_backend
    from pipelines.segment.lexicon import DictEntry

    first = build_backend("rjieba", [DictEntry("甲乙丙丁戊", 100, "nz", "t", 1)])
    second = build_backend("rjieba", [])
    assert first._jb is not second._jb
    assert first.has_word("甲乙丙丁戊") and not second.has_word("甲乙丙丁戊")
    assert second._jb is not rjieba._DEFAULT_JIEBA  # it was taken before, by this test or another


def test_is_punctuation_is_no_letter_or_digit_of_any_unicode_category() -> None:
    import sys
    import unicodedata

    from pipelines.segment.text import is_punctuation

    chars = map(chr, range(sys.maxunicode + 1))
    assert all(is_punctuation(c) == (unicodedata.category(c)[0] not in "LN") for c in chars)
    assert is_punctuation("，。…—") and not is_punctuation("，5") and not is_punctuation("_a")


def test_rjieba_tags_words_in_one_call_as_it_tags_each_alone() -> None:
    from pipelines.segment.backends import build_backend

    backend = build_backend("rjieba", [])
    words = sorted({w for t in TRICKY + [HMM_TEXT] + sample_texts()
                    for w in backend.cut_words(t)}) + ["中苏", "所处", "甲乙丙丁戊己", "ａｂ１"]
    assert len(words) > 1000
    assert backend.word_tags(words) == [backend.word_tag(w) for w in words]
    assert backend.word_tags(["中苏"]) == [None]  # cut differently alone: tag in context


def test_rjieba_tags_words_alone_when_one_call_does_not_spell_them() -> None:
    from pipelines.segment.backends import build_backend

    backend = build_backend("rjieba", [])
    real = backend._jb

    class Joining:  # a backend that glues the line ends to the words
        def tag(self, text: str, hmm: bool) -> list[tuple[str, str]]:
            return [(text, "x")] if "\n" in text else real.tag(text, hmm)

    alone = [real.tag(w, True)[0][1] for w in ("教育", "改革")]
    backend._jb = Joining()
    assert backend.word_tags(["教育", "改革"]) == alone != ["x", "x"]


def test_vectorised_pass_equals_the_per_token_loop_on_random_mixed_text() -> None:
    # words, English words of every kind, numbers, end marks, white space, traditional and
    # rare characters: the languages of the sentences (counted in arrays) and the words
    # (dictionary-encoded in Arrow) must come out as the per-token loop gives them
    rng = random.Random(11)
    pieces = ["职业教育", "乡村振兴", "的", "和", "中苏", "两国", "所处", "職業", "教師", "㈠",
              "Policies", "the", "U.S.", "e-commerce", "COVID-19", "5G", "China's", "ABC",
              "2020", "3.5%", "１９８９", "二十", "。", "！", "？", ". ", "…", "；", "，", "“",
              "”", " ", "\t", "\u3000", "a.B", "x", "𠀀", "é", "。 Yes!"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
             + ("\n" if rng.random() < 0.3 else "") for _ in range(300)]
    for extra in ({}, {"keep_numbers": True, "min_length": 1, "lemmatize": False}):
        vector, loop = vector_and_loop(settings(**extra), texts)
        assert vector.table.equals(loop.table)
        assert vector.table.num_rows > 200
        assert set(vector.table.column("lang").to_pylist()) == {"zh", "en"}
        for name in ("removed", "oov", "words", "occurrences", "as_token", "inside"):
            assert getattr(vector, name) == getattr(loop, name), name


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("extra", [
    {},
    {"keep_pos": ("n", "v", "eng")},
    {"keep_numbers": True, "lowercase": False, "lemmatize": False, "min_length": 1},
    {"use_domain_dict": False, "policy_stopwords": True, "min_length": 3},
])
def test_decisions_in_one_batch_equal_the_decisions_one_by_one(backend: str, extra: dict
                                                                ) -> None:
    from pipelines.segment.types import FILTERS, _Drop
    from pipelines.segment.worker import KEPT, WHITE

    seg = Segmenter(settings(backend=backend, **extra))
    texts = TRICKY + [HMM_TEXT] + sample_texts()
    keys = sorted({k for t in texts for k in seg._text_keys(t)})
    odd = ["〇", "二十", "一九五四年", "第三", "年", "十三五", "两", "的", "职业教育", "农村教师",
           "\ufa6e\ufa6f", "𠀀", "職業教育", "教育ⅱ", "二〇二〇年", "，", "\u3000"]
    keys += [(w, t) for w in odd for t in ("m", "n", "x", "nz", "un", "")]
    assert len(keys) > 2000
    batch = seg.decide_many(keys)
    for i, key in enumerate(keys):
        d = seg.decide_type(key)
        if d is None:
            expect = (WHITE, "", "", False, None)
        elif d.__class__ is str or d.__class__ is _Drop:
            name = d if d.__class__ is str else d.reason
            word = d.word if d.__class__ is _Drop and seg.checked else None
            if word is not None and not any(c in word for c in seg.checked):
                word = None
            expect = (1 + FILTERS.index(name), "", "", False, word)
        else:
            word = d[0] if seg.checked and any(c in d[0] for c in seg.checked) else None
            expect = (KEPT, d[0], d[1], seg._is_oov(*d), word)
        got = (int(batch.reason[i]), batch.tokens[i], batch.tags[i], bool(batch.oov[i]),
               batch.split[i])
        assert got == expect, key


def test_piece_ends_of_the_joined_paragraphs_equal_those_of_each_paragraph() -> None:
    from pipelines.segment.vector import _Paragraphs

    rng = random.Random(5)
    alphabet = list("。！？!?；;….. aZbY”’\"'」』）)》\tx19-好\n")
    for _ in range(3000):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
                 for _ in range(rng.randint(1, 4))]
        paras = _Paragraphs([(str(i), t) for i, t in enumerate(texts)])
        counts, ends = paras.pieces()
        expect = [sentence_ends(p) for p in paras.text]
        assert counts.tolist() == [len(e) for e in expect]
        assert ends.tolist() == [e for each in expect for e in each]


def _docs_table(texts: list[str]):
    import pyarrow as pa

    return pa.table({"doc_id": [f"d{i:03d}" for i in range(len(texts))], "text": texts})


def _parts(out: dict) -> list[bytes]:
    return [f.read_bytes() for f in out["tokens"].files]


def test_stored_documents_in_parts_give_the_parts_of_a_table_in_memory(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as pq

    from pipelines.core import store

    texts = (TRICKY + sample_texts()) * 2
    table = _docs_table(texts)
    monkeypatch.setattr(S, "PART_CHARS", {"rjieba": 3000, "jieba": 3000})
    monkeypatch.setattr(S, "READ_ROWS", 3)  # partitions cut across the input's batches
    files = []
    for i, start in enumerate(range(0, len(texts), 7)):  # the documents as a dataset of parts
        files.append(tmp_path / f"part-{i:05d}.parquet")
        pq.write_table(table.slice(start, 7), files[-1])
    stored = store.StoredTable(files, "ingest/documents")
    one = S.compute({"ingest/documents": table}, S.Params(workers=1))
    assert len(one["tokens"].files) > 5
    for source, workers in ((stored, 1), (stored, 2), (table, 2)):
        out = S.compute({"ingest/documents": source},
                        S.Params(workers=workers))
        assert _parts(out) == _parts(one)
        assert out["report"].equals(one["report"])
    whole = Segmenter(settings()).run(list(zip(table.column("doc_id").to_pylist(), texts,
                                               strict=True)))
    assert store.read_all(one["tokens"]).equals(whole.table)


def test_phrases_joined_part_by_part_equal_phrases_on_the_whole_table(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.core import store
    from pipelines.segment.phrases import join_phrases

    texts = ["Vocational education matters. We fund vocational education.",
             "Vocational education grows. 我们发展Vocational Education和职业教育。"] * 6
    params = {"phrases": True, "phrase_min_count": 1, "phrase_threshold": 0.1}
    monkeypatch.setattr(S, "PART_CHARS", {"rjieba": 100, "jieba": 100})
    out = S.compute({"ingest/documents": _docs_table(texts)}, S.Params(workers=1, **params))
    assert len(out["tokens"].files) > 3
    plain = S.segment_documents(list(zip([f"d{i:03d}" for i in range(12)], texts, strict=True)),
                                settings(), part_chars=10**9)
    joined, made = join_phrases(plain.table, min_count=1, threshold=0.1)
    assert store.read_all(out["tokens"]).equals(joined)
    assert made["vocational_education"] > 10
    phrase_rows = [r for r in out["report"].to_pylist() if r["kind"] == "phrase"]
    assert {r["term"]: r["count"] for r in phrase_rows} == dict(made)
