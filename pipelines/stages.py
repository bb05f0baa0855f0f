"""The stages in the order they run."""

from __future__ import annotations

from types import ModuleType

from pipelines import code, figures, ingest, network, report, segment, terms, topics

__all__ = ["ORDER", "STAGES"]

ORDER: tuple[ModuleType, ...] = (ingest, segment, terms, topics, network, code, figures, report)
STAGES: dict[str, ModuleType] = {m.NAME: m for m in ORDER}
