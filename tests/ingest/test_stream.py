"""Ingest streams documents through spool files: the tables do not depend on how the stream is
cut (parse chunks, signature batches, parts), and the parent holds no texts."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from pipelines.ingest import dedup, stream
from tests.ingest.helpers import run, write

HAN = [chr(0x4E00 + i) for i in range(0, 3000, 7)]


def _corpus(folder: Path) -> None:
    """Files with template lines, exact and near copies, short texts and metadata."""
    rng = random.Random(3)
    texts = ["\n".join("".join(rng.choice(HAN) for _ in range(rng.randint(40, 90))) + "。"
                       for _ in range(rng.randint(2, 5))) for _ in range(90)]
    for i, body in enumerate(texts[:60]):
        header = "首页 政策 文件\n【字号：大 中 小】\n" if i % 3 else ""
        footer = "\n主办单位：某某省教育厅" if i % 4 else ""
        write(folder, f"pages/p{i:03d}.txt", f"{header}第{i}号文件\n{body}{footer}")
    write(folder, "pages/copy.txt", f"第5号文件\n{texts[5]}")  # exact copy after clean-up
    write(folder, "pages/near.txt", f"第7号文件\n{texts[7]}补一句。")  # near copy
    write(folder, "pages/short.txt", "短。")
    rows = [{"title": f"记录{i}", "text": texts[i], **({"region": "华东"} if i % 5 else {})}
            for i in range(60, 90)]
    rows.append({"title": "重复", "text": texts[70]})  # exact copy of row 10
    rows.append({"title": "近似", "text": texts[3] + "补一句。", "only_near": "x"})  # near p003
    write(folder, "table/rows.jsonl", "\n".join(json.dumps(r, ensure_ascii=False)
                                                for r in rows))


def test_the_tables_do_not_depend_on_how_the_stream_is_cut(tmp_path, monkeypatch):
    _corpus(tmp_path / "in")
    inputs = (tmp_path / "in" / "pages", tmp_path / "in" / "table")
    whole = run(*inputs, min_chars=10, boilerplate_min_docs=2, near_duplicates=0.8)
    assert {r["kind"] for r in whole["duplicates"]} == {"exact", "near"}
    assert {r["kind"] for r in whole["boilerplate"]} == {"repeated", "chrome"}
    assert "region" in whole["documents"][0]
    assert "only_near" not in whole["documents"][0]  # a column only of a removed duplicate
    assert [r["reason"] for r in whole["rejected"]] == ["too_short"]
    # a spool chunk per document, signatures three at a time, parts of four documents
    monkeypatch.setattr(stream, "SPOOL_CHARS", 1)
    monkeypatch.setattr(stream, "BATCH_DOCS", 3)
    monkeypatch.setattr(stream, "SIGNATURE_CHARS", 200)
    monkeypatch.setattr(stream, "PART_DOCS", 4)
    cut = run(*inputs, min_chars=10, boilerplate_min_docs=2, near_duplicates=0.8)
    assert cut == whole


def test_parts_are_cut_by_documents_and_bytes(monkeypatch):
    docs = [{"text": ("甲" * n).encode()} for n in (10, 10, 10, 30, 1, 1)]
    monkeypatch.setattr(stream, "PART_DOCS", 3)
    monkeypatch.setattr(stream, "PART_BYTES", 60)  # 20 characters of 3 bytes
    sizes = [[len(d["text"]) for d in part] for part in stream.parts_of(iter(docs))]
    assert sizes == [[30, 30], [30, 90], [3, 3]]  # bytes


def test_streamed_near_duplicates_equal_the_in_memory_ones(tmp_path):
    rng = random.Random(5)
    base = ["".join(rng.choice(HAN) for _ in range(300)) for _ in range(40)]
    texts = []
    for i in range(200):
        t = base[i % 40]
        cut = rng.randint(0, 30)
        texts.append(t[cut:] + "".join(rng.choice(HAN) for _ in range(rng.randint(0, 40))))
    expected = dedup.near_duplicates(texts, 0.7)
    assert len(expected) > 100
    chunks = []
    for start in range(0, len(texts), 17):  # spooled in chunks of 17 documents
        path = tmp_path / f"c{start}.pkl"
        stream._dump(path, [{"text": t.encode()} for t in texts[start:start + 17]])
        chunks.append((path, len(texts[start:start + 17])))
    bands, rows = dedup.lsh_params(0.7)
    keys, empty = zip(*(dedup.band_keys(texts[s:s + 9], bands, rows)
                        for s in range(0, len(texts), 9)), strict=True)
    later, earlier, shared = dedup.candidates(np.concatenate(keys), np.concatenate(empty))
    reader = stream._Texts(chunks, later, earlier)
    assert dedup.resolve(later, earlier, shared, 0.7, reader) == expected
    assert len(reader.cache) < len(texts) / 2  # texts are dropped after their last pair


def test_line_keys_are_stable_across_processes():
    assert stream.line_key("各位代表：") == stream.line_key("各位代表：")
    assert stream.line_key("") != stream.line_key(" ")
    # a fixed value: the same in a spawned worker or on a Dask node as here
    assert stream.line_key("abc") == int.from_bytes(
        __import__("hashlib").blake2b(b"abc", digest_size=8).digest(), "little")


@pytest.mark.parametrize("near", [0.0, 0.9])
def test_the_parent_keeps_no_texts(tmp_path, near):
    _corpus(tmp_path / "in")
    folder = tmp_path / "spool"
    folder.mkdir()
    from pipelines.ingest.readers import ReadOptions

    items = [(str(p), p.name, 0) for p in sorted((tmp_path / "in" / "pages").iterdir())]
    part = stream.parse_part((0, items), str(folder), None, ReadOptions(), 50.0, 500.0, False)
    dd = stream.Deduplicator(folder, {}, min_chars=10, near=near, keep=(),
                             finish=lambda doc: doc.update(lang="zh", year=None))
    for name in part.chunks:
        for doc in stream.load(folder / name):
            dd.add(doc)
    dd.near_duplicates()
    assert dd.batch == []  # all spooled
    held = [v for v in vars(dd).values() if isinstance(v, (list, dict))]
    assert not any(isinstance(x, dict) and "text" in x for v in held for x in
                   (v if isinstance(v, list) else v.values()))
    kept = list(dd.kept(set()))
    assert len(kept) == len(dd.ids) and all(isinstance(d["text"], bytes) for d in kept)
