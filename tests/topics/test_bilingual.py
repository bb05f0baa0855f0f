"""The shipped bilingual concept table: well-formed, anchored in the domain dictionary, usable."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli import wenmai
from pipelines.core import store
from pipelines.segment.lexicon import load_synonyms

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "data" / "synonyms" / "bilingual_concepts.tsv"
DICT = ROOT / "data" / "dicts" / "education_policy.txt"


def test_every_concept_is_a_dictionary_entry_and_variants_are_unique():
    pairs = load_synonyms(TABLE)
    entries = {line.split()[0] for line in DICT.read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")}
    assert len(pairs) >= 200
    assert {p.canonical for p in pairs} <= entries
    variants = [p.variant.lower() for p in pairs]
    assert len(variants) == len(set(variants))
    assert {"vocational education", "targeted poverty alleviation",
            "rural revitalization"} <= set(variants)


def test_segment_maps_english_onto_the_chinese_concepts(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "en.txt").write_text("Targeted poverty reduction helps poor villages. Vocational "
                                 "education improves human capital in western regions.\n",
                                 encoding="utf-8")
    (docs / "zh.txt").write_text("精准扶贫帮助贫困村。职业教育提高西部地区的人力资本。\n",
                                 encoding="utf-8")
    work = tmp_path / "work"
    for args in (["ingest", str(docs)], ["segment", "--synonyms", str(TABLE)]):
        result = CliRunner().invoke(wenmai, ["-q", "--workdir", str(work), *args])
        assert result.exit_code == 0, result.output
    tokens = store.read_table(work, "segment/tokens").to_pylist()
    concepts = {"精准扶贫", "贫困村", "职业教育", "人力资本", "西部地区"}
    by_lang = {}
    for row in tokens:
        by_lang.setdefault(row["lang"], set()).update(t for t in row["tokens"] if t in concepts)
    assert by_lang.get("en") == concepts and by_lang.get("zh") == concepts
