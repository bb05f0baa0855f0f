"""The shipped codebooks: every code described, rules that do not depend on the tokens, the
false friends found in the audit (data/codebooks/SOURCE.md) left uncoded, and the audit
script's statistics against an independent computation."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.code.apply import code_partition
from pipelines.code.codebook import load_codebook
from pipelines.code.rules import Near, Word, atoms
from pipelines.core.resources import data_path
from tests.code.helpers import DOCS, TOKENS

BOOKS = ("policy_instruments.yaml", "vocational_poverty.yaml")


def _book(name: str):
    return load_codebook(data_path("codebooks", name))


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("name", BOOKS)
def test_every_code_has_a_description(name: str) -> None:
    book = _book(name)
    assert all(c.description for c in book.codes)
    assert all(c.description for c in book.categories)


@pytest.mark.parametrize("name", BOOKS)
def test_chinese_terms_are_matched_in_the_text_not_the_tokens(name: str) -> None:
    # a Chinese word or near() would depend on segmentation and the stopword lists
    for code in _book(name).codes:
        for atom in atoms(code.rule):
            if isinstance(atom, Word):
                assert not _cjk(atom.text), (code.name, atom)
            assert not isinstance(atom, Near), (code.name, atom)


def _coded(name: str, texts: list[str], tokens: dict | None = None) -> list[set[str]]:
    """The codes of each text (one paragraph each), coded at the paragraph level."""
    ids = [f"t{i}" for i in range(len(texts))]
    rows = [{"doc_id": d, "sent_id": s, "tokens": toks, "words": toks}
            for (d, s), toks in (tokens or {}).items()]
    table = pa.Table.from_pylist(rows, schema=pa.schema([
        ("doc_id", pa.string()), ("sent_id", pa.int32()), ("tokens", pa.list_(pa.string())),
        ("words", pa.list_(pa.string()))]))
    out = code_partition((ids, texts, table), _book(name), "paragraph")
    coded: list[set[str]] = [set() for _ in texts]
    for doc_id, code in zip(out["doc_id"], out["code"], strict=True):
        coded[ids.index(doc_id)].add(code)
    return coded


# Sentences written for this test in the style of the audited paragraphs (not corpus text):
# (text, codebook, codes it must have, codes it must not have).
CASES = [
    ("全年一般公共预算收入增长6.4%，税收收入增长5%。", "policy_instruments.yaml",
     set(), {"经费保障", "税收优惠"}),
    ("中央财政安排专项资金120亿元，用于改善农村义务教育薄弱学校办学条件。",
     "policy_instruments.yaml", {"经费保障", "设施建设"}, set()),
    ("防范化解金融风险，守住不发生系统性风险的底线。", "policy_instruments.yaml",
     set(), {"金融支持"}),
    ("加大对小微企业的信贷支持，扩大普惠金融服务覆盖面。", "policy_instruments.yaml",
     {"金融支持"}, set()),
    ("建成三条特高压交流输电工程。", "policy_instruments.yaml", set(), {"合作交流"}),
    ("发展农民专业合作社和合作医疗。", "policy_instruments.yaml", set(), {"合作交流"}),
    ("深化东西部协作和对口支援。", "policy_instruments.yaml", {"合作交流"}, set()),
    ("研究制定职业教育条例，加强教育执法检查。", "policy_instruments.yaml", {"法规监管"}, set()),
    ("各地提高最低工资标准。", "policy_instruments.yaml", set(), {"标准评估"}),
    ("今年发展主要预期目标是国内生产总值增长5%左右。", "policy_instruments.yaml",
     {"规划计划"}, set()),
    ("全年经济社会发展主要目标任务圆满完成。", "policy_instruments.yaml", set(), {"规划计划"}),
    ("大力发展钢铁产业，国有企业改革取得进展，政府职能加快转变。", "vocational_poverty.yaml",
     set(), {"企业参与", "区域产业基础", "政府统筹"}),
    ("支持企业与职业院校合作开展订单培养，建设实训基地。", "vocational_poverty.yaml",
     {"企业参与", "职能能力"}, set()),
    ("加强农民职业技能培训，提高贫困家庭劳动力的就业创业能力。", "vocational_poverty.yaml",
     {"新型职业农民", "职能能力", "元能力"}, set()),
]


@pytest.mark.parametrize("name", BOOKS)
def test_false_friends_and_true_positives(name: str) -> None:
    cases = [c for c in CASES if c[1] == name]
    coded = _coded(name, [c[0] for c in cases])
    for (text, _, must, must_not), got in zip(cases, coded, strict=True):
        assert must <= got, (text, got)
        assert not (must_not & got), (text, got)


@pytest.mark.parametrize("name", BOOKS)
def test_the_same_codings_whatever_the_tokens(name: str) -> None:
    # no tokens at all, the hand-made tokens of the helpers, or every two characters as a
    # token: a stopword list or a POS filter can only remove tokens, so it cannot change them
    texts = [DOCS["d1"]] + [c[0] for c in CASES]
    hand = {("t0", s): t for (d, s), t in TOKENS.items() if d == "d1"}
    pairs = {(f"t{i}", 0): [text[j:j + 2] for j in range(0, len(text), 2)]
             for i, text in enumerate(texts) if i}
    none = _coded(name, texts)
    assert none == _coded(name, texts, hand) == _coded(name, texts, pairs)
    assert any(none)


def _audit():
    path = Path(__file__).resolve().parents[2] / "bench" / "codebook_audit.py"
    spec = importlib.util.spec_from_file_location("codebook_audit", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("yes", "n"), [(8, 10), (0, 5), (5, 5), (36, 60), (1, 3)])
def test_wilson_interval_equals_scipy(yes: int, n: int) -> None:
    from scipy.stats import binomtest

    ref = binomtest(yes, n).proportion_ci(method="wilson")
    lo, hi = _audit().wilson(yes, n)
    assert math.isclose(lo, ref.low, abs_tol=1e-12) and math.isclose(hi, ref.high, abs_tol=1e-12)


def test_stratified_precision_by_hand() -> None:
    stratified = _audit().stratified
    # two codes of equal weight: p = (1/2 + 3/6) / 2 = 0.5;
    # var = (1/2)^2 (1/2 1/2)/2 + (1/2)^2 (1/2 1/2)/6 = 1/24; n_eff = 0.25 / var = 6 (< 8 judged)
    p, n_eff, lo, hi = stratified([(10, 1, 2), (10, 3, 6)])
    assert math.isclose(p, 0.5) and math.isclose(n_eff, 6)
    assert (lo, hi) == _audit().wilson(3, 6)
    # a larger n_eff is capped at the number judged
    assert stratified([(10, 3, 4), (10, 1, 4)])[1] == 8
    # weights 30 and 10: (30 * 3/4 + 10 * 1/4) / 40
    assert math.isclose(stratified([(30, 3, 4), (10, 1, 4)])[0], 0.625)
    # all right in every stratum: the interval is Wilson's on the number judged
    assert stratified([(5, 2, 2), (7, 3, 3)])[1] == 5
