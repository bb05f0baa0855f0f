"""Where the files shipped in ``data/`` live (dictionaries, stopwords, fonts, sample corpus)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA_DIR", "data_path"]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def data_path(*parts: str) -> Path:
    """Path of a shipped file, e.g. ``data_path("stopwords", "zh.txt")``."""
    return DATA_DIR.joinpath(*parts)
