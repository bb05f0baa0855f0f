from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.core.config import Config, load_config, resolve_params
from pipelines.core.errors import BadParams, ConfigError


@pytest.fixture
def stages(toy_stage):
    return {"toy": toy_stage}


def test_values_from_file_and_cli_override(tmp_path: Path, stages, toy_stage) -> None:
    cfg = tmp_path / "proj" / "wenmai.toml"
    cfg.parent.mkdir()
    cfg.write_text('workdir = "out"\n[toy]\nfactor = 3\nsource = "nums.txt"\n', encoding="utf-8")
    config = load_config(cfg, stages)
    assert config.workdir == (cfg.parent / "out").resolve()
    params = resolve_params(toy_stage, config, {})
    assert params.factor == 3
    assert params.source == str(cfg.parent.resolve() / "nums.txt")  # relative to the file
    params = resolve_params(toy_stage, config, {"factor": 5})
    assert params.factor == 5  # the command line wins


def test_unknown_key_is_named(tmp_path: Path, stages) -> None:
    cfg = tmp_path / "wenmai.toml"
    cfg.write_text("[toy]\nfactr = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key 'factr'; allowed keys: factor"):
        load_config(cfg, stages)


def test_unknown_section_is_named(tmp_path: Path, stages) -> None:
    cfg = tmp_path / "wenmai.toml"
    cfg.write_text("[topix]\nk = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key or section 'topix'"):
        load_config(cfg, stages)


def test_bad_value_is_named_with_allowed(tmp_path: Path, stages) -> None:
    cfg = tmp_path / "wenmai.toml"
    cfg.write_text('[toy]\nlabel = "z"\n', encoding="utf-8")
    with pytest.raises(BadParams, match=r"label='z' is not allowed; choose from x, y"):
        load_config(cfg, stages)


def test_missing_and_broken_files(tmp_path: Path, stages) -> None:
    with pytest.raises(ConfigError, match="does not exist; create one with `wenmai init`"):
        load_config(tmp_path / "nope.toml", stages)
    broken = tmp_path / "broken.toml"
    broken.write_text("[toy\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(broken, stages)


def test_no_config_gives_defaults(toy_stage) -> None:
    params = resolve_params(toy_stage, Config(None), {})
    assert params.factor == 2 and params.words == ()
