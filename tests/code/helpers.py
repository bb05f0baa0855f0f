"""Tiny documents and their tokens for the code stage tests."""

from __future__ import annotations

import pyarrow as pa

from pipelines.core.sentences import split_sentences

#: Two documents; the tokens are hand-made (as segment would give them, stopwords removed);
#: the rows' ``words`` are the same lists (rules read ``words``).
DOCS = {
    "d1": "政府加大经费投入。企业参与培训！\n学校开展教师培训。",
    "d2": "Teachers need training. 乡村振兴需要人才。",
}
TOKENS = {
    ("d1", 0): ["政府", "加大", "经费", "投入"],
    ("d1", 1): ["企业", "参与", "培训"],
    ("d1", 2): ["学校", "开展", "教师", "培训"],
    ("d2", 0): ["teacher", "need", "training"],
    ("d2", 1): ["乡村振兴", "需要", "人才"],
}


def tables(docs: dict[str, str] = DOCS, tokens: dict = TOKENS,
           years: dict[str, int] | None = None) -> dict[str, pa.Table]:
    """``ingest/documents`` and ``segment/tokens`` of the documents."""
    years = years or {d: 2020 + i for i, d in enumerate(docs)}
    rows = []
    for doc_id, text in docs.items():
        for s in split_sentences(text):
            toks = tokens.get((doc_id, s.sent_id), [])
            if toks:
                rows.append({"doc_id": doc_id, "para_id": s.para_id, "sent_id": s.sent_id,
                             "tokens": toks, "pos": ["n"] * len(toks), "lang": "zh",
                             "words": toks})
    documents = pa.table({"doc_id": list(docs), "title": [f"title {d}" for d in docs],
                          "year": pa.array([years[d] for d in docs], pa.int32()),
                          "source": [f"{d}.txt" for d in docs],
                          "text": list(docs.values())})
    return {"ingest/documents": documents, "segment/tokens": pa.Table.from_pylist(rows)}


def value(out: object) -> object:
    """An output value as a table or bytes (a dataset read whole, a spooled file's bytes)."""
    from pipelines.core.store import SpooledFile, StoredTable

    if isinstance(out, StoredTable):
        return out.read()
    if isinstance(out, SpooledFile):
        return out.path.read_bytes()
    return out


def book_text(*codes: tuple[str, str]) -> str:
    """A codebook YAML with one group and category holding ``(name, rule)`` codes."""
    lines = ["name: test", "groups:", "  - name: G", "    categories:", "      - name: C",
             "        codes:"]
    for name, rule in codes:
        lines += [f"          - name: {name}", f"            rule: '{rule}'"]
    return "\n".join(lines) + "\n"
