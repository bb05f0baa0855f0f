"""wenmai pipelines: the stages and the shared pieces (config, store, runner, engine)."""

from importlib.metadata import PackageNotFoundError, version


def _version() -> str:
    """wenmai's version, from one place: ``version`` in pyproject.toml, as installed (pip and
    ``make setup`` record it in the distribution's metadata)."""
    try:
        return version("wenmai")
    except PackageNotFoundError:  # a checkout on sys.path that was never installed
        import tomllib
        from pathlib import Path

        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        with open(pyproject, "rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])


__version__ = _version()
