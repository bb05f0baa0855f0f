"""Rules and kwic see every word: the counting filters (stopword lists, short words, POS) do
not change a single coding of the shipped codebooks, and kwic finds a policy stopword."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from pipelines import code
from pipelines import segment as S
from pipelines.code.codebook import load_codebook
from pipelines.code.rules import Near, Word, atoms
from pipelines.core.resources import data_path
from pipelines.core.store import read_all
from pipelines.kwic import kwic
from tests.code.helpers import book_text

#: A codebook of bare words and near() (the shipped ones match Chinese as phrases, which no
#: token filter can reach): these words are the ones the policy list drops from counting.
WORD_RULES = book_text(("鼓励引导", "鼓励 or 引导"), ("规划计划", "计划 or 规划 or 任务"),
                       ("设施建设", "near(建设, 设施, 4)"), ("经费保障", "经费 and 保障"))


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The shipped codebooks and one written with bare words."""
    words = tmp_path_factory.mktemp("book") / "words.yaml"
    words.write_text(WORD_RULES, encoding="utf-8")
    return [*SHIPPED, words]

SHIPPED = sorted(data_path("codebooks").glob("*.yaml"))
SAMPLE = sorted(data_path("sample", "docs").glob("*.txt"))


@pytest.fixture(scope="module")
def documents() -> pa.Table:
    """The shipped sample corpus (real web texts on vocational education and poverty)."""
    texts = [p.read_text(encoding="utf-8").replace("\r\n", "\n") for p in SAMPLE]
    return pa.table({"doc_id": [p.stem for p in SAMPLE], "text": texts,
                     "title": [p.name for p in SAMPLE],
                     "year": pa.array([2020 + i % 2 for i in range(len(SAMPLE))], pa.int32())})


def _rule_words() -> list[str]:
    """Every word (and ``near`` word) the shipped codebooks' rules name."""
    words: set[str] = set()
    for path in SHIPPED:
        for c in load_codebook(path).codes:
            for a in atoms(c.rule):
                for w in (a.a, a.b) if isinstance(a, Near) else (a,):
                    if isinstance(w, Word):
                        words.add(w.text)
    return sorted(words)


@pytest.fixture(scope="module")
def token_tables(documents: pa.Table, tmp_path_factory: pytest.TempPathFactory
                 ) -> dict[str, pa.Table]:
    """segment/tokens with no stopword list at all, and with every list and filter on: the
    shipped lists, the policy list, and an extra list holding every word the rules name."""
    extra = tmp_path_factory.mktemp("stop") / "rule_words.txt"
    extra.write_text("\n".join(_rule_words() + ["鼓励", "计划"]) + "\n", encoding="utf-8")
    bare = S.Params(workers=1, use_default_stopwords=False, policy_stopwords=False,
                    min_length=1)
    full = S.Params(workers=1, use_default_stopwords=True, policy_stopwords=True,
                    stopwords=(str(extra),), min_length=3, keep_pos=("n",))
    return {name: read_all(S.compute({"ingest/documents": documents}, p)["tokens"])
            for name, p in (("bare", bare), ("full", full))}


def test_the_filters_really_differ(token_tables: dict[str, pa.Table]) -> None:
    bare = {w for row in token_tables["bare"].column("tokens").to_pylist() for w in row}
    full = {w for row in token_tables["full"].column("tokens").to_pylist() for w in row}
    assert "鼓励" in bare and "鼓励" not in full  # the policy list drops it from counting
    assert len(full) < len(bare) / 2
    assert token_tables["bare"].column("words").equals(token_tables["full"].column("words"))


@pytest.mark.parametrize("which", [0, 1, 2], ids=["policy_instruments", "vocational_poverty",
                                                   "bare_words"])
@pytest.mark.parametrize("unit", ["sentence", "paragraph"])
def test_codings_do_not_depend_on_the_stopword_lists(
        documents: pa.Table, token_tables: dict[str, pa.Table], books: list[Path], which: int,
        unit: str) -> None:
    book = books[which]
    out = {}
    for name, tokens in token_tables.items():
        result = code.compute({"ingest/documents": documents, "segment/tokens": tokens},
                              code.Params(codebook=str(book), unit=unit, orders=0))
        out[name] = read_all(result["codings"])
    assert out["bare"].num_rows > 20  # the codebook does code this corpus
    assert out["bare"].equals(out["full"])
    if unit == "sentence" and which == 2:  # the warning names the rule words filters drop
        filtered = {}
        for name, tokens in token_tables.items():
            result = code.compute({"ingest/documents": documents, "segment/tokens": tokens},
                                  code.Params(codebook=str(book), orders=0))
            filtered[name] = {w for r in result["code_rules"].to_pylist()
                              for w in r["filtered_words"]}
        assert not filtered["bare"] and {"鼓励", "计划"} <= filtered["full"]


def test_counting_tokens_would_have_changed_the_codings(
        documents: pa.Table, token_tables: dict[str, pa.Table], books: list[Path]) -> None:
    # the same rules on the counting tokens (what the stage read before): codings are lost
    counted = {}
    for name, tokens in token_tables.items():
        as_words = tokens.drop_columns(["words"]).append_column(
            "words", tokens.column("tokens"))
        result = code.compute({"ingest/documents": documents, "segment/tokens": as_words},
                              code.Params(codebook=str(books[2]), orders=0))
        counted[name] = read_all(result["codings"]).num_rows
    assert counted["full"] < counted["bare"]


def test_kwic_finds_a_policy_stopword(documents: pa.Table,
                                      token_tables: dict[str, pa.Table]) -> None:
    hits = kwic(documents, token_tables["full"], "鼓励", width=5)
    texts = documents.column("text").to_pylist()
    assert hits.num_rows == sum(t.count("鼓励") for t in texts) > 0
    assert set(hits.column("keyword").to_pylist()) == {"鼓励"}
