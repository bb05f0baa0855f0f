"""Where the files shipped in ``data/`` live (dictionaries, stopwords, fonts, sample corpus).

The repository keeps them in ``data/`` at its top (DESIGN.md); the wheel installs the same
folder as ``pipelines/data/`` (``[tool.setuptools.package-dir]`` in ``pyproject.toml``). An
installed wheel finds it through :mod:`importlib.resources`; a checkout (and an editable
install, which imports the checkout's ``pipelines/``) has no ``pipelines/data/`` and uses the
``data/`` beside ``pipelines/``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from pipelines.core.errors import BadParams

__all__ = ["DATA_DIR", "BUILTIN", "data_path", "data_dir", "builtin_path"]

#: How a parameter names a shipped file (``builtin:bilingual_concepts``); the same spelling
#: works in an installed wheel and in a checkout, where a path into ``data/`` would not.
BUILTIN = "builtin:"

#: A file every copy of the shipped data has; it tells the data folder from any other ``data/``.
_MARKER = ("dicts", "education_policy.txt")


def data_dir() -> Path:
    """The folder of the shipped data: the installed ``pipelines/data/``, else the checkout's
    ``data/``.

    The installed folder is tried first: beside an installed ``pipelines/`` lies
    ``site-packages/``, where another distribution may have put a ``data/`` of its own.
    Files are read by path (jieba, the font manager), so only a package on the file system
    is supported, which is how pip and pipx install wheels.
    """
    installed = files("pipelines").joinpath("data")
    candidates = [Path(str(installed)), Path(__file__).resolve().parents[2] / "data"]
    for folder in candidates:
        if folder.joinpath(*_MARKER).is_file():
            return folder.resolve()
    return candidates[-1]  # a broken install: the errors then name the file that is missing


DATA_DIR = data_dir()


def data_path(*parts: str) -> Path:
    """Path of a shipped file, e.g. ``data_path("stopwords", "zh.txt")``."""
    return DATA_DIR.joinpath(*parts)


def builtin_path(value: str, folder: str, suffix: str, *, what: str) -> Path:
    """``value`` as a path, or for ``builtin:NAME`` the shipped ``data/<folder>/NAME<suffix>``.

    Raises:
        BadParams: no shipped file has that name (the message lists those that do).
    """
    if not value.startswith(BUILTIN):
        return Path(value)
    name = value.removeprefix(BUILTIN)
    path = data_path(folder, name if name.endswith(suffix) else name + suffix)
    if not path.is_file() or path.parent != data_path(folder):
        shipped = sorted(BUILTIN + p.stem for p in data_path(folder).glob(f"*{suffix}"))
        raise BadParams(f"{what}: {value!r} is not shipped with wenmai; choose a file or one "
                        f"of {', '.join(shipped)}")
    return path
