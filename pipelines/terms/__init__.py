"""The terms stage: segment/tokens (and ingest/documents) → terms/terms, keywords,
group_keywords.

The contract lives in ``stage.py``; ``count`` (batch-by-batch counting: pass 1 totals, pass 2
the counts of a few documents at a time), ``parts`` (the units of the tokens dataset and the
work of each, run as engine tasks: its counts, its keywords written as parts), ``keywords``
(pass 2: each document's keywords, each group's counts), ``score`` (keyness, TF-IDF, the top
keywords of a block of units) and ``groups`` (documents per ``--by`` group) are its private
helpers.
"""

from pipelines.terms.stage import (
    GROUP_KEYWORDS_SCHEMA,
    INPUTS,
    KEYWORDS_SCHEMA,
    LIBRARIES,
    NAME,
    OUTPUTS,
    SCHEMAS,
    STREAMED,
    TERMS_SCHEMA,
    Params,
    compute,
    external_inputs,
    keyness,
)

__all__ = [
    "NAME",
    "INPUTS",
    "OUTPUTS",
    "LIBRARIES",
    "STREAMED",
    "SCHEMAS",
    "TERMS_SCHEMA",
    "KEYWORDS_SCHEMA",
    "GROUP_KEYWORDS_SCHEMA",
    "Params",
    "compute",
    "external_inputs",
    "keyness",
]
