"""Bibliographic exports, JSON files, dates and their sources, UTF-16 without BOM, chrome."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest.helpers import make_docx, make_pdf, run, write

EXPORTS = Path(__file__).parents[1] / "fixtures" / "ingest" / "exports"


def test_exports_of_every_database_become_documents_with_their_fields():
    out = run(EXPORTS, exclude=("SOURCE.md",), min_chars=5)
    docs = {(d["source"], d["part"]): d for d in out["documents"]}
    got = {key: (d["title"], d["authors"], d["keywords"], d["year"], d["journal"], d["doi"])
           for key, d in docs.items() if key[0] != "news.json"}

    def lists(title, authors, keywords, *rest):  # authors and keywords are lists (DESIGN.md)
        return (title, authors and authors.split("; "), keywords and keywords.split("; "),
                *rest)

    assert got == {key: lists(*value) for key, value in {
        ("cnki_custom.txt", 0): ("农村学前教育普及的财政保障", "王强; 李娜",
                                 "学前教育; 财政投入; 农村", 2019, "教育发展研究", None),
        ("cnki_custom.txt", 1): ("职教扩招助力乡村人才振兴", "记者 周红", None, 2020, "中国教育报",
                                 None),
        ("cnki_endnote.txt", 0): ("乡村振兴背景下职业教育的功能定位", "李明; 王芳",
                                  "乡村振兴; 职业教育; 功能定位", 2021, "教育研究", None),
        ("cnki_endnote.txt", 1): ("县域职业教育发展的困境与出路", "张伟", "县域; 职业教育", 2020,
                                  "中国职业技术教育", None),
        ("cnki_refworks.txt", 0): ("教育精准扶贫的政策逻辑", "陈静; 赵磊", "精准扶贫; 教育政策",
                                   2018, "华东师范大学学报(教育科学版)", None),
        ("cnki_refworks.txt", 1): ("乡村小规模学校教师专业发展研究", "刘洋",
                                   "小规模学校; 教师专业发展", 2017, None, None),
        ("endnote.xml", 0): ("Targeted poverty alleviation through education",
                             "Chen, Jing; Zhao, Lei", "poverty alleviation; education", 2020,
                             "China Economic Review", "10.1016/j.chieco.2020.101447"),
        ("refs.enw", 0): ("Rural teachers and vocational education in China",
                          "Li, Ming; Wang, Fang", "rural education; vocational education", 2019,
                          "Comparative Education Review", "10.1086/704096"),
        ("scopus.csv", 0): ("Education and the urban-rural income gap", "Wu X.; Zhou Y.",
                            "income gap; rural education", 2023, "Journal of Rural Studies",
                            "10.1016/j.jrurstud.2023.01.002"),
        ("wos_plain.txt", 0): ("Vocational education and rural revitalization: evidence from "
                               "county panel data", "Li, M; Wang, F",
                               "rural revitalization; vocational education; county", 2022,
                               "CHINA ECONOMIC REVIEW", "10.1016/j.chieco.2022.101765"),
        ("wos_tab.txt", 0): ("Teacher rotation in rural China", "Zhang, W; Liu, Y",
                             "teacher rotation; rural schools", 2021,
                             "INTERNATIONAL JOURNAL OF EDUCATIONAL DEVELOPMENT",
                             "10.1016/j.ijedudev.2020.102301"),
    }.items()}
    assert docs[("wos_plain.txt", 0)]["text"] == ("Using county panel data, we find that "
                                                  "vocational school expansion raised rural "
                                                  "household income.")
    assert docs[("cnki_custom.txt", 0)]["date"] == "2019-06-15"
    assert {d["date_source"] for d in out["documents"]} == {"record"}
    # Scopus writes "[No abstract available]"; SOURCE.md is excluded, not read
    assert [(r["source"], r["part"], r["reason"]) for r in out["rejected"]] == [
        ("scopus.csv", 1, "empty")]


def test_json_object_with_a_list_and_html_in_a_nested_field(tmp_path):
    out = run(EXPORTS / "news.json", records_path="videoList",
              text_column="video_detail.content", min_chars=5)
    docs = out["documents"]
    assert [(d["part"], d["title"], d["date"], d["date_source"]) for d in docs] == [
        (0, "国务院常务会议部署职业教育工作", "2021-04-08", "record"),
        (1, "教育部发布乡村教师支持计划", "2021-04-09", "record")]
    assert docs[1]["text"] == "教育部发布新一轮乡村教师支持计划，\n提高乡村教师待遇。"
    assert "<" not in docs[0]["text"] and docs[0]["video_detail.tags"] == '["职业教育", "国务院"]'
    bad = run(EXPORTS / "news.json", write(tmp_path, "ok.txt", "一篇可以读取的正文文档。"),
              records_path="items", min_chars=5)
    assert [(r["source"], r["reason"]) for r in bad["rejected"]] == [
        ("news.json", "no_records_path")]


def test_json_list_file_and_several_lists_need_a_records_path(tmp_path):
    write(tmp_path, "list.json", json.dumps([{"正文": "第一篇列表里的文档正文。"},
                                             {"正文": "第二篇列表里的文档正文。"}]))
    write(tmp_path, "two.json", json.dumps({"a": [{"text": "x"}], "b": [{"text": "y"}]}))
    out = run(tmp_path, min_chars=5)
    assert [(d["source"], d["part"]) for d in out["documents"]] == [("list.json", 0),
                                                                    ("list.json", 1)]
    assert [(r["source"], r["reason"]) for r in out["rejected"]] == [("two.json",
                                                                      "no_records_path")]
    assert "a, b" in out["rejected"][0]["detail"]


def test_a_column_of_json_objects_is_never_guessed_as_the_text(tmp_path):
    rows = [{"id": i, "item": {"content": f"第{i}条新闻的正文内容在这里。" * 3, "tags": ["x"]}}
            for i in range(3)]
    write(tmp_path, "news.jsonl", "\n".join(json.dumps({"id": r["id"], "raw": json.dumps(
        r["item"], ensure_ascii=False)}, ensure_ascii=False) for r in rows))
    write(tmp_path, "ok.txt", "一篇可以读取的正文文档。")
    out = run(tmp_path, min_chars=5)
    assert [(r["source"], r["reason"]) for r in out["rejected"]] == [("news.jsonl",
                                                                      "no_text_column")]
    assert [d["source"] for d in out["documents"]] == ["ok.txt"]
    nested = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    write(tmp_path, "news.jsonl", nested)
    out = run(tmp_path / "news.jsonl", min_chars=5)  # nested fields are flattened
    assert [d["text"][:8] for d in out["documents"]] == ["第0条新闻的正文", "第1条新闻的正文",
                                                         "第2条新闻的正文"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read(tmp_path, encoding):
    text = "乡村教师队伍建设关系到农村教育质量。\n各地要落实乡村教师生活补助政策。"
    write(tmp_path, "a.txt", text, encoding)
    write(tmp_path, "b.txt", "English and 中文 mixed text.", encoding)
    out = run(tmp_path, min_chars=5)
    assert out["rejected"] == []
    assert [d["text"] for d in out["documents"]] == [text, "English and 中文 mixed text."]


def test_dates_follow_metadata_file_then_dateline_then_file_name_then_file_metadata(tmp_path):
    make_pdf(tmp_path / "2015年政策文件.pdf", "Rural vocational education policy text.",
             created="D:20260105120000")
    make_docx(tmp_path / "2016年通知.docx", ["关于做好职业教育工作的通知", "各地要抓好落实。"])
    make_docx(tmp_path / "2014年意见.docx", ["关于加强乡村教师队伍建设的意见", "正文内容。",
                                              "教育部", "2017年3月1日"])
    make_docx(tmp_path / "notice.docx", ["关于乡村学校建设的一份通知正文。"])
    make_pdf(tmp_path / "report.pdf", "Report without any date in it at all.",
             created="D:20190304000000")
    write(tmp_path, "2018年报告.txt", "政府工作报告\n2020年5月22日\n各位代表：现在作报告。")
    out = run(tmp_path, min_chars=5)
    got = {d["source"]: (d["year"], d["date_source"]) for d in out["documents"]}
    assert got == {
        "2015年政策文件.pdf": (2015, "file_name"),  # not 2026, when the PDF was made
        "2016年通知.docx": (2016, "file_name"),  # not 2013, python-docx's template date
        "2014年意见.docx": (2017, "dateline"),  # the signing date beats the file name
        "notice.docx": (2013, "file_metadata"),  # nothing better: the file's own metadata
        "report.pdf": (2019, "file_metadata"),
        "2018年报告.txt": (2020, "dateline"),
    }
    meta = write(tmp_path.parent / "meta.csv", "meta.csv",
                 "file,date\n2015年政策文件.pdf,2015-03-05\n")
    out = run(tmp_path, min_chars=5, metadata=str(meta))
    pdf = next(d for d in out["documents"] if d["source"] == "2015年政策文件.pdf")
    assert (pdf["date"], pdf["date_source"]) == ("2015-03-05", "metadata_file")


GOV_PAGE = """您的位置：首页 > 政务公开 > 政府工作报告
【字号：大 中 小】
下载 | 打印 | 全屏 | 收藏
2023年政府工作报告
发布时间：2023-01-16
各位代表：
现在，我代表省人民政府，向大会报告工作，请予审议。
过去一年，全省经济运行稳中有进，民生保障有力有效。
今年工作的总体要求是，坚持稳中求进工作总基调。
责任编辑：李四
扫一扫在手机打开当前页
【打印本页】【关闭窗口】
2023年政府工作报告 各位代表：现在，我代表省人民政府，向大会报告工作
"""


def test_government_page_chrome_goes_even_for_a_single_page(tmp_path):
    write(tmp_path, "report.txt", GOV_PAGE)
    out = run(tmp_path / "report.txt", min_chars=5)
    (doc,) = out["documents"]
    assert doc["text"] == ("2023年政府工作报告\n各位代表：\n现在，我代表省人民政府，"
                           "向大会报告工作，请予审议。\n过去一年，全省经济运行稳中有进，民生保障有力有效。\n"
                           "今年工作的总体要求是，坚持稳中求进工作总基调。")
    assert (doc["date"], doc["date_source"], doc["boilerplate_lines"]) == (
        "2023-01-16", "dateline", 8)
    lines = {r["line"] for r in out["boilerplate"] if r["kind"] == "chrome"}
    assert {"【字号：大 中 小】", "扫一扫在手机打开当前页", "责任编辑：李四",
            "2023年政府工作报告 各位代表：现在，我代表省人民政府，向大会报告工作"} <= lines


def test_repeated_lines_are_listed_and_salutations_stay(tmp_path):
    for i in range(6):
        write(tmp_path, f"r{i}.txt", f"各位代表：\n本网站由省政府办公厅主办\n第{i}份报告的正文，"
                                     f"内容各不相同，编号{i * 7}。")
    out = run(tmp_path, min_chars=5)
    assert all(d["text"].startswith("各位代表：\n第") for d in out["documents"])
    assert [(r["line"], r["documents"], r["kind"]) for r in out["boilerplate"]] == [
        ("本网站由省政府办公厅主办", 6, "repeated")]
    assert out["boilerplate"][0]["collection"] == tmp_path.name  # no absolute path (issue 22)
    out = run(tmp_path, min_chars=5, keep_lines=())  # the user removes the salutation too
    assert {r["line"] for r in out["boilerplate"]} == {"各位代表：", "本网站由省政府办公厅主办"}


def test_the_boilerplate_table_is_the_same_wherever_the_corpus_lies(tmp_path):
    tables = []
    for place in ("a", "b"):
        for i in range(6):
            write(tmp_path / place / "corpus", f"r{i}.txt", f"本网站由省政府办公厅主办\n第{i}份"
                                                            f"报告的正文，编号{i * 7}。")
        tables.append(run(tmp_path / place / "corpus", min_chars=5)["boilerplate"])
    assert tables[0] == tables[1] and tables[0][0]["collection"] == "corpus"
    assert not any(str(tmp_path) in str(r) for r in tables[0])


def test_small_collections_are_cleaned_when_asked(tmp_path):
    for i in range(3):
        write(tmp_path, f"r{i}.txt", f"本网站由省政府办公厅主办\n第{i}份报告的正文，编号{i * 7}。")
    assert run(tmp_path, min_chars=5)["boilerplate"] == []  # 3 < 5 documents: left alone
    out = run(tmp_path, min_chars=5, boilerplate_min_docs=2)
    assert [r["line"] for r in out["boilerplate"]] == ["本网站由省政府办公厅主办"]
    assert all(d["text"].startswith("第") for d in out["documents"])


def test_exclude_globs_skip_files_and_folders(tmp_path):
    write(tmp_path, "README.md", "# 说明\n这个文件夹里是语料说明文档。")
    write(tmp_path, "drafts/a.txt", "草稿不要读取的一篇文档。")
    write(tmp_path, "docs/b.txt", "需要读取的一篇正式文档。")
    out = run(tmp_path, exclude=("README.md", "drafts"), min_chars=5)
    assert [d["source"] for d in out["documents"]] == ["docs/b.txt"]
    assert out["rejected"] == []
