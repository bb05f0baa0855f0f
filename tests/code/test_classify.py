"""Learning codes from a hand-coded sample: CV against scikit-learn's own, scores, the stage."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pipelines import code
from pipelines.code.classify import METHODS, cv_predict, make_model, scores
from pipelines.core.errors import BadParams
from pipelines.core.store import read_all
from tests.code.helpers import book_text, tables, value


def _separable() -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    """12 documents of 3 units; a unit is coded exactly when it holds the word 'apple'."""
    rng = np.random.default_rng(0)
    filler = ["city", "road", "plan", "year", "work", "team"]
    units, y, groups = [], [], []
    for doc in range(12):
        for k in range(3):
            coded = (doc + k) % 3 == 0
            words = list(rng.choice(filler, size=4)) + (["apple"] if coded else ["pear"])
            units.append(words)
            y.append(coded)
            groups.append(doc)
    return units, np.array(y), np.array(groups)


@pytest.mark.parametrize("method", METHODS)
def test_separable_words_give_f1_one(method: str) -> None:
    units, y, groups = _separable()
    pred = cv_predict(units, y, groups, method, folds=4, seed=3)
    got = scores(y, pred)
    assert (got["precision"], got["recall"], got["f1"]) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("method", METHODS)
def test_cv_equals_cross_val_predict(method: str) -> None:
    """Noisy labels: the out-of-fold predictions are scikit-learn's, split for split."""
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

    rng = np.random.default_rng(7)
    vocab = [f"w{i}" for i in range(30)]
    units = [list(rng.choice(vocab, size=rng.integers(2, 9))) for _ in range(90)]
    y = np.array([("w1" in u or "w2" in u) != (rng.random() < 0.15) for u in units])
    groups = np.repeat(np.arange(30), 3)
    cv = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=11)
    expected = cross_val_predict(make_model(method, 11), units, y, groups=groups, cv=cv)
    got = cv_predict(units, y, groups, method, folds=5, seed=11)
    assert got.tolist() == expected.tolist()
    for _train, test in cv.split(np.zeros(len(y)), y, groups):  # stratified: each fold has both
        assert y[test].any() and not y[test].all()
        assert len(set(groups[test]) & set(groups[_train])) == 0  # a document in one fold


def test_scores_equal_sklearn() -> None:
    from sklearn.metrics import precision_recall_fscore_support

    rng = np.random.default_rng(1)
    y, pred = rng.random(50) < 0.3, rng.random(50) < 0.4
    p, r, f, _ = precision_recall_fscore_support(y, pred, average="binary")
    got = scores(y, pred)
    assert got["precision"] == pytest.approx(p) and got["recall"] == pytest.approx(r)
    assert got["f1"] == pytest.approx(f)
    assert np.isnan(scores(np.zeros(3, bool), np.zeros(3, bool))["precision"])


# -- the stage ----------------------------------------------------------------------------------

def _corpus(n: int = 10) -> tuple[dict[str, str], dict]:
    """n documents of two sentences; even sentences are about training (培训)."""
    docs, tokens = {}, {}
    for i in range(n):
        doc = f"d{i:02d}"
        first = ["学校", "开展", "培训"] if i % 2 == 0 else ["学校", "修建", "操场"]
        second = ["教师", "参加", "培训"] if i % 3 == 0 else ["政府", "加大", "投入"]
        docs[doc] = f"{i}号" + "".join(first) + "。" + "".join(second) + "。"  # texts differ
        tokens[(doc, 0)], tokens[(doc, 1)] = first, second
    return docs, tokens


def _without_selections(qdpx: bytes, names: list[str]) -> bytes:
    """The project with every selection of the sources named ``names`` removed."""
    src = zipfile.ZipFile(io.BytesIO(qdpx))
    qde = src.read("project.qde").decode("utf-8")
    for name in names:
        qde = re.sub(rf'(<TextSource [^>]*name="title {name}"[^>]*?)\s*(/>|>.*?</TextSource>)',
                     r"\1 />", qde, flags=re.S)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in src.infolist():
            out.writestr(info, qde if info.filename == "project.qde" else src.read(info))
    return buf.getvalue()


def test_stage_learns_from_the_sample_and_codes_the_rest(tmp_path: Path) -> None:
    docs, tokens = _corpus()
    book = tmp_path / "book.yaml"
    book.write_text(book_text(("培训", "培训"), ("投入", "投入")), encoding="utf-8")
    inputs = tables(docs, tokens)
    ruled = code.compute(inputs, code.Params(codebook=str(book), orders=0))
    project = tmp_path / "human.qdpx"
    rest = ["d08", "d09"]
    project.write_bytes(_without_selections(value(ruled["project.qdpx"]), rest))
    out = code.compute(inputs, code.Params(codebook=str(book), coding_from=str(project),
                                           classifier="logistic", folds=3, orders=0))
    table = out["code_classifier"].to_pylist()
    rules = {r["code"]: r for r in table if r["method"] == "rules"}
    assert rules["培训"]["f1"] == 1.0 and rules["培训"]["units"] == 16  # 8 documents x 2
    learnt = [r for r in table if r["method"] == "logistic" and r["code"] == "培训"][0]
    assert learnt["folds"] == 3 and learnt["codes_rest"] and learnt["f1"] == 1.0
    codings = read_all(out["codings"]).to_pylist()
    by_coder = {(r["doc_id"], r["code"], r["coder"]) for r in codings}
    # the hand-coded documents keep the human coding; the other two are coded by the model
    assert {c for d, _, c in by_coder if d not in rest} == {"rules"}
    assert {(d, k) for d, k, c in by_coder if d in rest} == {("d08", "培训"), ("d08", "投入"),
                                                             ("d09", "培训")}
    assert {c for d, _, c in by_coder if d in rest} == {"model"}
    model_rows = [r for r in codings if r["coder"] == "model" and r["code"] == "培训"]
    assert all("培训" in r["matched"] for r in model_rows)
    freq = {(r["level"], r["name"]): r["units"] for r in out["code_frequencies"].to_pylist()}
    assert freq[("code", "培训")] == sum(1 for r in codings if r["code"] == "培训")
    # exported, the model's codings are the "wenmai model" user's, and read back as the model's
    again = tmp_path / "again.qdpx"
    again.write_bytes(value(out["project.qdpx"]))
    back = code.compute(inputs, code.Params(coding_from=str(again), orders=0))
    assert read_all(back["codings"]).drop_columns(["matched"]).equals(
        read_all(out["codings"]).drop_columns(["matched"]))


def test_classifier_needs_coded_units(tmp_path: Path) -> None:
    from pipelines.core.errors import BadInputFile

    docs, tokens = _corpus(4)
    book = tmp_path / "book.yaml"
    book.write_text(book_text(("培训", "培训")), encoding="utf-8")
    inputs = tables(docs, tokens)
    ruled = code.compute(inputs, code.Params(codebook=str(book), orders=0))
    project = tmp_path / "empty.qdpx"
    project.write_bytes(_without_selections(value(ruled["project.qdpx"]), list(docs)))
    with pytest.raises(BadInputFile, match="codes no unit .* nothing to learn from"):
        code.compute(inputs, code.Params(coding_from=str(project), classifier="logistic"))


def test_classifier_needs_a_human_coding() -> None:
    with pytest.raises(BadParams, match="classifier=logistic learns from a human coding"):
        code.Params(codebook="x.yaml", classifier="logistic")
