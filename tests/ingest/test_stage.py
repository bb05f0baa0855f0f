"""Tests of the ingest stage on tiny fixture files and (when present) the shared corpora."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from pathlib import Path

import pytest

from pipelines import ingest
from pipelines.core import runner, store
from pipelines.core.errors import BadParams, EmptyCorpus, MissingInput
from tests.conftest import SHARED
from tests.ingest.helpers import run, write

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ingest"
GOOD = str(FIXTURES / "encodings" / "utf8.txt")
SEEDS = SHARED / "seeds"
GOV = SHARED / "corpora" / "gov-reports-1954-2017" / "govReports"


@pytest.mark.parametrize(("name", "reason"), [
    ("empty.txt", "empty"),
    ("binary.txt", "binary"),
    ("undecodable.txt", "undecodable"),
    ("too_short.txt", "too_short"),
    ("parse_error.jsonl", "parse_error"),
    ("unsupported_format.rtf", "unsupported_format"),
    ("no_text_column.csv", "no_text_column"),
    ("no_text_layer.pdf", "no_text_layer"),
])
def test_each_bad_file_is_rejected_with_its_reason_and_the_run_goes_on(name, reason):
    out = run(FIXTURES / "rejects" / name, GOOD, min_chars=10)
    assert [(r["source"], r["reason"]) for r in out["rejected"]] == [(name, reason)]
    assert name in out["rejected"][0]["detail"]
    assert [d["source"] for d in out["documents"]] == ["utf8.txt"]


def test_too_large_file_is_rejected(tmp_path):
    write(tmp_path, "big.txt", "职业教育" * 1000)  # 12 000 bytes
    write(tmp_path, "small.txt", "乡村振兴战略的实施意见。")
    out = run(tmp_path, max_file_mb=0.01, min_chars=5)
    assert [(r["source"], r["reason"]) for r in out["rejected"]] == [("big.txt", "too_large")]
    assert out["rejected"][0]["detail"] == ("big.txt is 0.0 MB, above max_file_mb=0.01; raise "
                                            "max_file_mb to read it.")


def test_encodings_are_detected():
    docs = {d["source"]: d["text"] for d in run(FIXTURES / "encodings", min_chars=5)["documents"]}
    assert docs == {
        "big5.txt": "職業教育與鄉村振興，促進共同富裕。",
        "gbk.txt": "政府工作报告提出，要大力发展职业教育，促进农民增收。",
        "utf16.txt": "English and 中文 mixed in UTF-16 text file.",
        "utf8.txt": "职业教育是国民教育体系和人力资源开发的重要组成部分。\n"
                    "乡村振兴需要培养大批高素质技术技能人才。",
        "utf8_bom.txt": "乡村教师队伍建设关系到农村教育质量。",
    }


def test_formats_are_read_with_titles_dates_and_metadata():
    out = run(FIXTURES / "formats", min_chars=10)
    docs = {(d["source"], d["part"]): d for d in out["documents"]}
    assert sorted(docs) == [
        ("archive.zip/a.txt", 0), ("archive.zip/sub/b.txt", 0), ("notes.md", 0),
        ("page.html", 0), ("paper.pdf", 0), ("records.jsonl", 0), ("records.jsonl", 2),
        ("refs.bib", 0), ("refs.ris", 0), ("report.docx", 0), ("sheet.xlsx", 0),
        ("sheet.xlsx", 1),
        ("table.tsv", 0),
    ]
    assert docs[("notes.md", 0)]["text"] == (
        "标题一\n摘要 这是一个关于乡村教育的说明文档。\n第一点：加强师资")
    html = docs[("page.html", 0)]
    assert html["title"] == "县职教中心开展电商培训"
    assert "首页" not in html["text"] and "版权所有" not in html["text"]
    assert "一百二十名农民" in html["text"]
    assert (docs[("report.docx", 0)]["title"], docs[("report.docx", 0)]["date"]) == (
        "职教报告", "2021-05-06")
    pdf = docs[("paper.pdf", 0)]
    assert (pdf["text"], pdf["title"], pdf["date"], pdf["lang"]) == (
        "Rural vocational education report text.", "Rural Report", "2019-03-04", "en")
    sheet = docs[("sheet.xlsx", 1)]
    assert (sheet["text"], sheet["地区"], sheet["编号"]) == (
        "溧阳市职教人才组团式帮扶白河县。", "江苏", "2")
    tsv = docs[("table.tsv", 0)]
    assert (tsv["title"], tsv["year"], tsv["id"]) == ("甲文", 2020, "1")
    assert (docs[("records.jsonl", 0)]["title"], docs[("records.jsonl", 0)]["year"]) == ("一", 2019)
    assert docs[("records.jsonl", 2)]["lang"] == "en"
    ris = docs[("refs.ris", 0)]
    assert (ris["title"], ris["authors"], ris["keywords"], ris["year"], ris["journal"]) == (
        "Rural schools", ["Li, Ming", "Wang, Fang"], ["rural", "teachers"], 2018,
        "Education Review")
    bib = docs[("refs.bib", 0)]
    assert (bib["title"], bib["authors"], bib["text"]) == ("乡村教师流失问题研究", ["李明", "王芳"],
                                                          "乡村教师流失严重影响农村教育质量。")
    assert sorted((r["source"], r["part"], r["reason"]) for r in out["rejected"]) == [
        ("records.jsonl", 1, "parse_error"), ("table.tsv", 1, "empty")]


def test_zip_members_too_large_or_nested_are_rejected(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "a.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.txt", "职业教育" * 1000)
        archive.writestr("inner.zip", b"PK")
        archive.writestr("ok.txt", "压缩包里可以读取的一篇文档。")
    out = run(tmp_path, max_file_mb=0.01, min_chars=5)
    assert [d["source"] for d in out["documents"]] == ["a.zip/ok.txt"]
    assert [(r["source"], r["reason"]) for r in out["rejected"]] == [
        ("a.zip/big.txt", "too_large"), ("a.zip/inner.zip", "unsupported_format")]


def test_csv_with_a_long_text_cell_and_a_chosen_text_column(tmp_path):
    long_text = "乡村教育" * 50_000  # 200 000 characters, beyond csv's default field limit
    write(tmp_path, "long.csv", f"name,body,note\n甲,{long_text},短注释\n")
    (doc,) = run(tmp_path / "long.csv", near_duplicates=0.0)["documents"]
    assert (doc["n_chars"], doc["name"], doc["note"]) == (200_000, "甲", "短注释")
    (doc,) = run(tmp_path / "long.csv", text_column="note", min_chars=1)["documents"]
    assert (doc["text"], doc["body"][:4]) == ("短注释", "乡村教育")
    with pytest.raises(EmptyCorpus):
        run(tmp_path / "long.csv", text_column="missing")


def test_exact_duplicates_keep_the_first_copy(tmp_path):
    write(tmp_path, "a.txt", "职业教育　促进乡村振兴。\n")
    write(tmp_path, "b.txt", "\n职业教育  促进乡村振兴。")  # same after normalisation
    out = run(tmp_path, min_chars=5)
    doc_id = hashlib.sha1("职业教育 促进乡村振兴。".encode()).hexdigest()[:16]
    assert [(d["doc_id"], d["source"]) for d in out["documents"]] == [(doc_id, "a.txt")]
    assert out["duplicates"] == [{"doc_id": doc_id, "duplicate_of": doc_id, "similarity": 1.0,
                                  "kind": "exact", "source": "b.txt", "part": 0,
                                  "kept_source": "a.txt", "kept_part": 0}]


def test_near_duplicates_are_removed_unless_disabled(tmp_path):
    base = "".join(chr(0x4E00 + (i * 37) % 2000) for i in range(400))
    write(tmp_path, "a.txt", base)
    write(tmp_path, "b.txt", base + "多一句。")
    out = run(tmp_path, near_duplicates=0.9)
    assert [d["source"] for d in out["documents"]] == ["a.txt"]
    (dup,) = out["duplicates"]
    assert (dup["kind"], dup["source"], dup["duplicate_of"]) == (
        "near", "b.txt", out["documents"][0]["doc_id"])
    assert dup["similarity"] == 0.99  # 396 shared of 400 shingles
    assert len(run(tmp_path, near_duplicates=0.0)["documents"]) == 2


def test_lines_repeated_across_a_collection_are_dropped_and_counted(tmp_path):
    notice = "本站文章均为原创，转载请注明"
    for i in range(5):
        write(tmp_path, f"{i}.txt", f"第{i}号文件正文，讨论职业教育。\n{notice}")
    out = run(tmp_path, min_chars=5)
    assert [(d["text"], d["boilerplate_lines"]) for d in out["documents"]] == [
        (f"第{i}号文件正文，讨论职业教育。", 1) for i in range(5)]


def test_collection_file_is_split_at_article_markers(tmp_path):
    text = ("合集标题\n2022-10-28 版权声明 我要投稿\n第1篇:甲篇标题\n一、背景\n甲篇正文内容。\n"
            "第2篇：乙篇标题\n二、做法\n乙篇正文内容。\n上一篇:某文下一篇:某文")
    write(tmp_path, "collection.txt", text)
    docs = run(tmp_path, min_chars=5)["documents"]
    assert [(d["part"], d["title"], d["date"], d["year"], d["text"]) for d in docs] == [
        (0, "甲篇标题", "2022-10-28", 2022, "甲篇标题\n一、背景\n甲篇正文内容。"),
        (1, "乙篇标题", "2022-10-28", 2022, "乙篇标题\n二、做法\n乙篇正文内容。"),
    ]
    assert len(run(tmp_path, min_chars=5, split_pattern="")["documents"]) == 1


def test_metadata_csv_is_joined_by_file_name(tmp_path):
    write(tmp_path / "docs", "1999年报告.txt", "这是一份关于农村教育的报告正文。")
    meta = write(tmp_path, "meta.csv", "文件名,title,year,group\n1999年报告.txt,新标题,2001,甲组\n")
    params = ingest.Params(inputs=(str(tmp_path / "docs"),), metadata=str(meta), min_chars=5,
                           workers=1)
    (doc,) = store.read_all(ingest.compute({}, params)["documents"]).to_pylist()
    assert (doc["title"], doc["date"], doc["year"], doc["group"]) == (
        "新标题", "2001", 2001, "甲组")
    assert ingest.external_inputs(params) == [tmp_path / "docs" / "1999年报告.txt", meta]


def test_to_simplified_converts_traditional_text(tmp_path):
    write(tmp_path, "t.txt", "職業教育與鄉村振興")
    (doc,) = run(tmp_path, min_chars=5, to_simplified=True)["documents"]
    assert doc["text"] == "职业教育与乡村振兴"


def test_glob_inputs_and_sorted_deterministic_output(tmp_path):
    for name in ("b.txt", "a.txt", "c.md"):
        write(tmp_path, name, f"{name} 的内容是关于职业教育的一段文字。")
    out = run(str(tmp_path / "*.txt"), min_chars=5)
    assert [d["source"] for d in out["documents"]] == ["a.txt", "b.txt"]
    assert out == run(str(tmp_path / "*.txt"), min_chars=5)


def test_process_pool_gives_the_same_tables(tmp_path):
    for i in range(16):
        write(tmp_path, f"{i:02d}.txt", f"第{i}篇不同的文档，关于乡村教育与职业培训。" * (i + 1))
    assert run(tmp_path, workers=2) == run(tmp_path, workers=1)


def test_errors_name_what_to_do(tmp_path):
    with pytest.raises(BadParams, match=r"set `inputs = \[\"docs/\"\]` under \[ingest\]"):
        run()
    with pytest.raises(MissingInput, match="nowhere.txt does not exist"):
        run(tmp_path / "nowhere.txt")
    with pytest.raises(BadParams, match="split_pattern"):
        ingest.Params(inputs=("x",), split_pattern="第(")
    write(tmp_path, "short.txt", "短")
    with pytest.raises(EmptyCorpus, match=r"no usable documents in .*\(1 rejected"):
        run(tmp_path)


def test_runner_writes_the_tables(tmp_path):
    params = ingest.Params(inputs=(str(FIXTURES / "encodings"),), min_chars=5, workers=1)
    result = runner.run_stage(ingest, tmp_path / "work", params)
    assert result.ran
    table = store.read_table(tmp_path / "work", "ingest/documents", ingest.DOCUMENTS_SCHEMA)
    assert table.num_rows == 5
    assert not runner.run_stage(ingest, tmp_path / "work", params).ran
    assert runner.run_stage(ingest, tmp_path / "work", dataclasses.replace(params, min_chars=20)
                            ).ran


@pytest.mark.skipif(not SEEDS.is_dir(), reason="needs ../shared/seeds")
def test_seed_documents():
    out = run(SEEDS)
    docs = out["documents"]
    assert len(docs) == 13 and out["rejected"] == [] and out["duplicates"] == []
    collection = [d for d in docs if d["source"].startswith("004_")]
    assert [d["part"] for d in collection] == list(range(9))
    assert collection[0]["title"] == "电子商务扶贫培训"
    assert collection[3]["title"] == "萧县电子商务精准扶贫实施方案"
    # the page's dateline, except two articles signed with their own date at the end (落款)
    assert [(d["date"], d["date_source"]) for d in collection if d["date"] != "2022-10-28"] == [
        ("2018-06-11", "dateline"), ("2016-07-26", "dateline")]
    assert not any("上一篇" in d["text"] for d in docs)
    langs = {d["source"][:3]: d["lang"] for d in docs}
    assert (langs["000"], langs["001"], langs["002"], langs["004"]) == ("en", "mixed", "en", "zh")
    seed1 = next(d for d in docs if d["source"].startswith("001_"))
    assert not seed1["text"].startswith("首页") and "扫码查看" not in seed1["text"]
    assert seed1["year"] == 2024
    seed2 = next(d for d in docs if d["source"].startswith("002_"))
    assert seed2["date"] == "2023-06-21" and "Share to" not in seed2["text"]


@pytest.mark.skipif(not GOV.is_dir(), reason="needs ../shared/corpora")
def test_gov_reports_years_come_from_file_names():
    docs = run(GOV, near_duplicates=0.0)["documents"]
    names = sorted(p.name for p in GOV.glob("*.txt"))
    assert [d["source"] for d in docs] == names
    assert [d["year"] for d in docs] == [int(n[:4]) for n in names]
    assert {d["lang"] for d in docs} == {"zh"}


@pytest.mark.skipif(not (SHARED / "corpora").is_dir(), reason="needs ../shared/corpora")
def test_cnki_noteexpress_records_become_documents():
    # Counted by hand from the files: 55 `{Reference Type}` records (1 + 5 + 15 + 21 + 12 + 1),
    # 8 without an abstract (CoverAllTest15Entries 6, LotsOfEnglish 1, mixed 1), and one record
    # in both mixed.net and withLineBreakInAddress.net: 46 documents, 8 rejected, 1 duplicate.
    out = run(SHARED / "corpora" / "cnki-noteexpress-samples", exclude=("*.md",))
    docs = out["documents"]
    assert (len(docs), len(out["rejected"]), len(out["duplicates"])) == (46, 8, 1)
    assert {r["reason"] for r in out["rejected"]} == {"empty"}  # records without an abstract
    per_file = Counter(d["source"] for d in docs) + Counter(r["source"] for r in out["rejected"])
    per_file.update(d["source"] for d in out["duplicates"])
    assert per_file == {"ChineseColon.net": 1, "Classic5Test.net": 5,
                        "CoverAllTest15Entries.net": 15, "LotsOfEnglish.net": 21,
                        "mixed.net": 12, "withLineBreakInAddress.net": 1}
    assert all(d["title"] for d in docs)
    # three records have no {Year} field (online-first papers); checked in the files
    assert sorted((d["source"], d["part"]) for d in docs if d["year"] is None) == [
        ("Classic5Test.net", 2), ("Classic5Test.net", 4), ("mixed.net", 0)]
    dup = out["duplicates"][0]
    assert (dup["source"], dup["kept_source"]) == ("withLineBreakInAddress.net", "mixed.net")
    kept = next(d for d in docs if d["source"] == "mixed.net" and d["part"] == dup["kept_part"])
    assert kept["title"] == "基于公共行政理念的政府公共关系发展历程探析"
    assert kept["author_address"].endswith(",湖北武汉430074")  # the address's second line
    assert {d["date_source"] for d in docs if d["year"]} == {"record"}
    first = docs[1]
    assert (first["source"], first["part"], first["year"], first["journal"]) == (
        "Classic5Test.net", 0, 2019, "Journal of Contemporary Accounting & Economics")
    assert first["title"] == ("Share-option based compensation expense, shareholder returns "
                              "and financial crisis")
    assert first["authors"] == ["Alaa Alhaj-Ismail", "Sami Adwan", "John Stittle"]
    assert first["text"].startswith("This paper contributes to the literature")
