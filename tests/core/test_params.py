from __future__ import annotations

import pytest

from pipelines.core import params as P
from pipelines.core.errors import BadParams
from tests.conftest import ToyParams


def _spec(name: str) -> P.ParamSpec:
    return {s.name: s for s in P.specs(ToyParams)}[name]


def test_specs_read_kinds_and_metadata() -> None:
    specs = {s.name: s for s in P.specs(ToyParams)}
    assert specs["factor"].kind is int and specs["factor"].max == 10
    assert specs["words"].kind is tuple
    assert specs["source"].optional and specs["source"].path
    assert specs["workers"].key is False
    assert specs["factor"].option == "--factor"


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("factor", "3", 3),
        ("words", "a, b,,c", ("a", "b", "c")),
        ("words", ["a,b", "c"], ("a", "b", "c")),
        ("label", "y", "y"),
    ],
)
def test_coerce(name: str, raw: object, expected: object) -> None:
    assert P.coerce(_spec(name), raw, where="toy") == expected


def test_coerce_rejects_wrong_kind_naming_key() -> None:
    with pytest.raises(BadParams, match=r"toy: factor must be an integer, got 'many'"):
        P.coerce(_spec("factor"), "many", where="toy")
    with pytest.raises(BadParams, match="factor must be an integer"):
        P.coerce(_spec("factor"), 2.5, where="toy")


def test_validate_choices_and_range() -> None:
    with pytest.raises(BadParams, match=r"label='z' is not allowed; choose from x, y"):
        P.validate(_spec("label"), "z", where="toy")
    with pytest.raises(BadParams, match="factor=11 is above the maximum 10"):
        P.validate(_spec("factor"), 11, where="toy")
    P.validate(_spec("factor"), 10, where="toy")


def test_to_dict_key_only_drops_workers() -> None:
    params = ToyParams(words=("a",))
    assert P.to_dict(params)["words"] == ["a"]
    assert "workers" not in P.to_dict(params, key_only=True)
