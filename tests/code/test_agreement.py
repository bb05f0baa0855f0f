"""Agreement statistics against independent computations."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.code.agreement import (
    agreement_table,
    cohen_kappa,
    krippendorff_alpha,
    percent_agreement,
)

CASES = [
    (np.array([1, 1, 0, 0, 1, 0, 1, 0, 0, 0]), np.array([1, 0, 0, 0, 1, 0, 1, 1, 0, 0])),
    (np.array([1, 1, 1, 0, 1, 1]), np.array([1, 1, 0, 0, 1, 1])),
    (np.random.default_rng(3).integers(0, 2, 200), np.random.default_rng(4).integers(0, 2, 200)),
]


@pytest.mark.parametrize(("a", "b"), CASES)
def test_kappa_equals_sklearn(a: np.ndarray, b: np.ndarray) -> None:
    from sklearn.metrics import cohen_kappa_score

    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


@pytest.mark.parametrize(("a", "b"), CASES)
def test_alpha_equals_krippendorff_package(a: np.ndarray, b: np.ndarray) -> None:
    krippendorff = pytest.importorskip("krippendorff")
    expected = krippendorff.alpha(reliability_data=np.vstack([a, b]).astype(float),
                                  level_of_measurement="nominal")
    assert krippendorff_alpha(a, b) == pytest.approx(expected)


def test_hand_computation() -> None:
    # 10 units: both 3, only A 1, only B 1, neither 5
    a, b = CASES[0]
    assert percent_agreement(a, b) == pytest.approx(80.0)
    # p_o = .8, p_e = .4*.4 + .6*.6 = .52, kappa = .28/.48
    assert cohen_kappa(a, b) == pytest.approx(0.28 / 0.48)
    # n = 20 values, n1 = 8, n0 = 12, disagreements 2 -> 1 - 19*4/(2*12*8)
    assert krippendorff_alpha(a, b) == pytest.approx(1 - 19 * 4 / (2 * 12 * 8))


def test_table_rows() -> None:
    a, b = CASES[0]
    table = agreement_table({"x": a.astype(bool), "y": a.astype(bool)},
                            {"x": b.astype(bool), "y": a.astype(bool)}).to_pylist()
    assert [r["name"] for r in table] == ["x", "y", "(all, pooled)", "(mean over names)"]
    assert table[0]["both"] == 3 and table[0]["only_a"] == 1 and table[0]["only_b"] == 1
    assert table[1]["kappa"] == 1.0 and table[1]["percent_agreement"] == 100.0
    pooled = np.concatenate([a, a]), np.concatenate([b, a])
    assert table[2]["kappa"] == pytest.approx(cohen_kappa(*pooled))
    assert table[3]["kappa"] == pytest.approx((cohen_kappa(a, b) + 1.0) / 2)
