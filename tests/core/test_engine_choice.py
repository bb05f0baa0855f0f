"""Choosing the engine: the [engine] section, the command line, and per-stage selection."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.core import engine
from pipelines.core.config import load_config
from pipelines.core.engine import EngineSpec, engine_from_config, for_stage, use
from pipelines.core.errors import BadParams, ConfigError


def test_section_and_command_line() -> None:
    spec = engine_from_config({"name": "dask", "scheduler": "tcp://head:8786",
                               "stages": ["segment"]})
    assert spec == EngineSpec("dask", "tcp://head:8786", 0, ("segment",))
    assert engine_from_config({"name": "dask", "workers": 3}, name="processes") == \
        EngineSpec("processes", None, 3, ())
    assert engine_from_config(None, scheduler="tcp://x:1", name="dask").scheduler == "tcp://x:1"
    assert engine_from_config({}) == EngineSpec()


@pytest.mark.parametrize(("section", "message"), [
    ({"sheduler": "tcp://x:1"}, "unknown key 'sheduler'"),
    ({"workers": "2"}, "workers must be a int"),
    ({"stages": "segment"}, "stages must be a list"),
])
def test_bad_section_is_named(section: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        engine_from_config(section)


def test_bad_engine_name_and_stray_scheduler() -> None:
    with pytest.raises(BadParams, match="unknown; choose one of local, processes, dask"):
        engine_from_config({"name": "spark"})
    with pytest.raises(BadParams, match="only used by the dask engine"):
        EngineSpec("processes", "tcp://x:1")


def test_config_file_engine_section(tmp_path: Path, toy_stage) -> None:
    cfg = tmp_path / "wenmai.toml"
    cfg.write_text('[engine]\nname = "processes"\nstages = ["toy"]\n', encoding="utf-8")
    config = load_config(cfg, {"toy": toy_stage})
    assert engine_from_config(config.engine).stages == ("toy",)
    cfg.write_text('[engine]\nstages = ["tpoics"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'tpoics', which is not a stage"):
        load_config(cfg, {"toy": toy_stage})


def test_the_engine_applies_to_its_stages_only() -> None:
    assert engine.active().name == "local"
    with use(EngineSpec("processes", stages=("segment",))):
        with for_stage("segment"):
            assert engine.active().name == "processes"
            assert not engine.can_fork()  # segment takes its map_partitions path
        with for_stage("topics"):
            assert engine.active().name == "local"
        assert engine.active().name == "processes"
    assert engine.active().name == "local"


def test_dask_engine_without_dask_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from pipelines.core.errors import WenmaiError

    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails
    # said when the engine is chosen, before any stage runs
    with pytest.raises(WenmaiError, match=r"pip install 'wenmai\[dask\]'"), use(EngineSpec("dask")):
        engine.map_partitions(len, [[1], [2, 3]], workers=2)


def test_engine_option_after_a_stage_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    import contextlib

    from click.testing import CliRunner

    import cli.options
    from cli import wenmai
    from tests.conftest import SAMPLE

    chosen: list[EngineSpec] = []

    @contextlib.contextmanager
    def record(spec: EngineSpec):
        chosen.append(spec)
        with use(EngineSpec()):  # run locally, the test only checks what was chosen
            yield

    monkeypatch.setattr(cli.options, "use", record)
    result = CliRunner().invoke(wenmai, ["--workdir", str(tmp_path / "w"), "ingest",
                                         str(SAMPLE / "docs"), "--engine", "processes"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(wenmai, ["--workdir", str(tmp_path / "w"), "ingest",
                                         str(SAMPLE / "docs"), "--scheduler", "tcp://h:8786"])
    assert result.exit_code == 0, result.output
    assert chosen == [EngineSpec("processes"), EngineSpec("dask", "tcp://h:8786")]
    result = CliRunner().invoke(wenmai, ["--workdir", str(tmp_path / "w"), "report",
                                         "--engine", "dask"])  # a stage without partitions
    assert result.exit_code == 2 and "No such option '--engine'" in result.output


def test_a_local_cluster_is_not_started_to_count_its_workers() -> None:
    with use(EngineSpec("dask", workers=3)):
        assert engine.resolve_workers(0) == 3
        assert engine._active._client is None  # a stage that stays serial starts nothing
