"""The versions of the software that computed a stage's tables, recorded in its manifest.

Each stage names the distributions whose code decides its tables in ``LIBRARIES`` (segment:
rjieba, jieba, ...; topics: tomotopy, gensim, scikit-learn, ...); every manifest records those,
pyarrow (which writes every table) and Python. wenmai's own version is in the manifest and in
the freshness key: a new wenmai makes every stage stale. Other library versions do not: a stage
whose recorded versions differ from the installed ones stays fresh, and ``wenmai status`` and
``wenmai run`` say which versions differ (docs/install.md explains the choice).
"""

from __future__ import annotations

import functools
import platform
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version

__all__ = ["ALWAYS", "NOT_INSTALLED", "installed_version", "versions", "differences"]

#: Recorded for every stage: pyarrow writes (and reads) every table.
ALWAYS = ("pyarrow",)
NOT_INSTALLED = "not installed"


@functools.cache
def installed_version(name: str) -> str:
    """The installed version of distribution ``name`` (``"not installed"`` when absent).

    Cached: a lookup scans ``sys.path`` (about 3 ms), ``wenmai status`` asks for some forty,
    and what is installed does not change while a command runs.
    """
    if name == "python":
        return platform.python_version()
    try:
        return version(name)
    except PackageNotFoundError:
        return NOT_INSTALLED


def versions(libraries: Iterable[str]) -> dict[str, str]:
    """Python's version and each library's (plus :data:`ALWAYS`), by name in sorted order."""
    names = sorted({"python", *ALWAYS, *libraries})
    return {name: installed_version(name) for name in names}


def differences(recorded: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """The libraries whose recorded version is not the installed one.

    Returns:
        One phrase per library, e.g. ``"tomotopy 0.12.7 (installed: 0.13.0)"``, in name
        order; nothing when they agree.
    """
    return [f"{name} {recorded.get(name, 'not recorded')} (installed: {now})"
            for name, now in sorted(current.items()) if recorded.get(name) != now]
