"""A codebook is a program: every hostile codebook of issue 30 is refused with one line naming
the file and line, or runs in time linear in units x rule size, each case bounded in time and
memory here."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
import pytest

from pipelines.code.apply import Evaluator, RuleTimeout, build_units
from pipelines.code.codebook import MAX_CODES, load_codebook, parse_codebook
from pipelines.code.rules import Near, Word
from pipelines.core.errors import BadInputFile


@contextmanager
def bounded(seconds: float = 5.0, megabytes: float = 200.0) -> Iterator[None]:
    """The block finishes within ``seconds`` and allocates at most ``megabytes`` at its peak."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert peak < megabytes * 2**20, f"peaked at {peak / 2**20:.0f} MB"


def book_text(*rules: str, extra: str = "") -> str:
    codes = "".join(f"      - name: c{i}\n        rule: {rule}\n" for i, rule in enumerate(rules))
    return f"groups:\n- name: g\n  categories:\n  - name: k\n    codes:\n{codes}{extra}"


REFUSED: list[tuple[str, Callable[[], str], str]] = [
    ("near window 2**63-1", lambda: book_text("near(a, b, 9223372036854775807)"),
     r"<zoo>:7: rule of code 'c0': near\(a, b, 9223372036854775807\): the window is at most "
     r"1000 tokens"),
    ("chain of 20,000 and", lambda: book_text(" and ".join(["a"] * 20_000)),
     r"<zoo>:7: rule of code 'c0': .*more than 10,000"),
    ("chain of 1,500 and", lambda: book_text(" and ".join(["甲"] * 1_500)),
     r"<zoo>:7: rule of code 'c0': the rule has more than 2000 terms"),
    ("20 MB phrase", lambda: book_text('\'"' + "政" * 20_000_000 + '"\''),
     r"<zoo> is larger than 4 MB"),
    ("100 kB phrase", lambda: book_text('\'"' + "政" * 100_000 + '"\''),
     r"<zoo>:7: rule of code 'c0': the rule has 100,002 characters"),
    ("2,000 @ references", lambda: book_text(*[f"'@c{i + 1}'" for i in range(1_999)], "a"),
     r"<zoo>:\d+: rule of code 'c\d+' reaches codes through more than 20 levels"),
    ("10,000 codes", lambda: book_text(*["a"] * 10_000),
     rf"<zoo>:\d+: more than {MAX_CODES:,} codes"),
    ("brackets 100 deep", lambda: book_text("(" * 100 + "a" + ")" * 100),
     r"<zoo>:7: rule of code 'c0': brackets, not and scopes nest deeper than 50"),
    ("not 100 deep", lambda: book_text("not " * 100 + "a"),
     r"nest deeper than 50 levels"),
    ("repetition 2**32", lambda: book_text("/a{4294967296}/"),
     r"<zoo>:7: rule of code 'c0': bad regular expression /a\{4294967296\}/: repetition"),
    ("backreference", lambda: book_text(r"/(a)\1/"),
     r"<zoo>:7: rule of code 'c0': bad regular expression .*invalid escape sequence"),
    ("lookahead", lambda: book_text("/(?=a)b/"),
     r"bad regular expression .*no backreferences or lookaround"),
    ("lone surrogate", lambda: book_text('"\\ud800"'),
     r"<zoo>:7: (rule of code 'c0' holds '\\ud800', which is no character|not valid YAML "
     r"\(found invalid Unicode character escape code\))"),
    ("rule: ~", lambda: book_text("~"), r"<zoo>:7: rule of code 'c0' must be non-empty text"),
    ("YAML 10,000 deep", lambda: "groups: " + "[" * 10_000 + "]" * 10_000,
     r"<zoo>(:\d+)?: (nested too deeply|not valid YAML \(.*nesting depth)"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_hostile_codebook_is_refused_before_any_text_is_read(case) -> None:
    _, make, message = case
    text = make()
    with bounded(seconds=20, megabytes=400), pytest.raises(BadInputFile, match=message) as err:
        parse_codebook(text, "<zoo>")
    assert "\n" not in str(err.value) and "<zoo>" in str(err.value)


def test_a_codebook_file_too_large_is_refused_unread(tmp_path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(book_text('"' + "政" * 2_000_000 + '"'), encoding="utf-8")
    with bounded(1.0, 10), pytest.raises(BadInputFile, match=r"big.yaml is larger than 4 MB"):
        load_codebook(path)


def _units(sentences: list[list[str]], texts: list[str] | None = None):
    texts = texts or ["。".join("".join(s) for s in sentences) + "。"]
    rows = [{"doc_id": "d", "sent_id": i, "tokens": toks, "words": toks}
            for i, toks in enumerate(sentences)]
    return build_units(["d"], texts, pa.Table.from_pylist(rows))


def test_nested_quantifiers_run_in_linear_time() -> None:
    text = "。".join(["a" * 5_000] * 200) + "。"
    units = build_units(["d"], [text], pa.table({"doc_id": pa.array([], pa.string()),
                                                 "sent_id": pa.array([], pa.int64()),
                                                 "tokens": pa.array([], pa.list_(pa.string())),
                                                 "words": pa.array([], pa.list_(pa.string()))}))
    book = parse_codebook(book_text("/(a+)+b/", "sentence(/(a|aa)+c/ and a)", "/(a+)+/"))
    ev = Evaluator(units, book)
    with bounded(seconds=5):
        found = [ev.evaluate(c.rule, "sentence").sum() for c in book.codes]
    assert found == [0, 0, 200]  # Python's re backtracks for ages on the first two


def test_a_wide_near_window_costs_what_a_narrow_one_does() -> None:
    rng = np.random.default_rng(0)
    sentences = [[str(w) for w in rng.integers(0, 20, 60)] for _ in range(2_000)]
    units = _units(sentences)
    book = parse_codebook(book_text("near(1, 2, 3)", "near(1, 2, 1000)"))
    ev = Evaluator(units, book)
    with bounded(seconds=5):
        narrow = ev.evaluate(book.code("c0").rule, "sentence")
        wide = ev.evaluate(book.code("c1").rule, "sentence")
    # against the definition, token by token
    for n, got in ((3, narrow), (1000, wide)):
        want = [any(a == "1" and b == "2" and i != j and abs(i - j) <= n
                    for i, a in enumerate(s) for j, b in enumerate(s)) for s in sentences]
        assert got.tolist() == want


@pytest.mark.parametrize("n", [1, 2, 5])
def test_near_equals_its_definition_on_random_sentences(n: int) -> None:
    rng = np.random.default_rng(n)
    sentences = [[str(w) for w in rng.integers(0, 4, rng.integers(1, 12))] for _ in range(300)]
    ev = Evaluator(_units(sentences), parse_codebook(book_text("a")))
    got = ev._near(Near(Word("0"), Word("0"), n))  # the same word twice: a different token
    want = [any(a == b == "0" and i != j and abs(i - j) <= n for i, a in enumerate(s)
                for j, b in enumerate(s)) for s in sentences]
    assert got.tolist() == want


def test_shared_references_are_evaluated_once() -> None:
    # 500 codes that all use the same two codes: linear, not 500 x their cost
    rules = ["经费 and 投入", "'@c0 or 培训'"] + ["'@c1 and not @c0'"] * 500
    book = parse_codebook(book_text(*rules))
    units = _units([["经费", "投入"], ["培训"]] * 5_000)
    ev = Evaluator(units, book)
    with bounded(seconds=10):
        results = [ev.evaluate(c.rule, "sentence") for c in book.codes]
    assert results[2].sum() == 5_000 and all((r == results[2]).all() for r in results[3:])


def test_a_rule_that_runs_too_long_is_stopped_naming_it(tmp_path) -> None:
    path = tmp_path / "slow.yaml"
    path.write_text(book_text("经费", "/(经费|投入)+培训/"), encoding="utf-8")
    book = load_codebook(path, rule_timeout=1e-9)
    ev = Evaluator(_units([["经费", "投入"]] * 10), book)
    ev.start(book.code("c1"))
    with pytest.raises(RuleTimeout, match=rf"^code: {path}:9: the rule of code 'c1' ran longer "
                       r"than --rule-timeout 1e-09 s on one batch of 1 documents"):
        ev.evaluate(book.code("c1").rule, "sentence")
