"""A scraped news collection as its scraper wrote it: days of CCTV 新闻联播 items
(``videoList`` with ``video_title`` and ``video_detail.content``; china-data/xwlb, MIT, see
tests/fixtures/ingest/real/SOURCE.md). Expectations are read from the JSON itself."""

from __future__ import annotations

import json
import re

import pytest

from pipelines.core.errors import EmptyCorpus
from tests.ingest.helpers import run
from tests.ingest.reference import REAL

NEWS = REAL / "news"
DAY_2012, DAY_BRIEF, DAY_2021 = (NEWS / f"xwlb_{d}.json" for d in ("20120702", "20210302",
                                                                    "20210315"))


def _items(path):
    return json.loads(path.read_text("utf-8"))["videoList"]


def test_titles_are_the_items_own_titles_without_the_media_label():
    out = run(NEWS, text_column="video_detail.content,brief")
    got = {(d["source"], d["part"]): d["title"] for d in out["documents"]}
    for path in (DAY_2012, DAY_BRIEF, DAY_2021):
        for i, item in enumerate(_items(path)):
            want = re.sub(r"^\[视频\]", "", item["video_title"]).strip()
            assert got.get((path.name, i), want) == want  # every kept item, its own title
    assert len(got) >= 45


def test_a_title_column_named_by_the_user_wins_and_a_wrong_one_is_a_reject():
    out = run(DAY_2021, text_column="video_detail.content", title_column="video_detail.title")
    assert out["documents"][0]["title"] == re.sub(r"^\[视频\]", "",
                                                  _items(DAY_2021)[0]["video_detail"]["title"])
    with pytest.raises(EmptyCorpus, match=r"2 no_title_column.*has no column 'nope'.*set "
                                          "title_column to one of them"):
        run(DAY_2021, DAY_2012, text_column="video_detail.content", title_column="nope")


def test_an_empty_content_falls_back_to_the_brief():
    empty = [i for i, it in enumerate(_items(DAY_BRIEF)) if not it["video_detail"]["content"]]
    assert empty and all(_items(DAY_BRIEF)[i]["brief"] for i in empty)
    only = run(DAY_BRIEF, text_column="video_detail.content")
    assert sorted(r["part"] for r in only["rejected"]) == empty
    both = run(DAY_BRIEF, text_column="video_detail.content,brief")
    texts = {d["part"]: d["text"] for d in both["documents"]}
    assert [texts[i] for i in empty] == [_items(DAY_BRIEF)[i]["brief"] for i in empty]


def test_the_lead_in_repeated_at_the_start_of_items_is_learnt_and_listed():
    for path, lead in ((DAY_2021, "央视网消息（新闻联播）："),
                       (DAY_2012, "中国网络电视台消息(新闻联播)：")):
        starts = sum(1 for it in _items(path)
                     if re.sub(r"<[^>]+>|\s", "", it["video_detail"]["content"]).startswith(
                         re.sub(r"\s", "", lead)))
        out = run(path, text_column="video_detail.content")
        rows = [r for r in out["boilerplate"] if r["kind"] == "prefix"]
        assert [(r["line"], r["documents"]) for r in rows] == [(lead, starts)]
        assert rows[0]["collection"].endswith(path.name)  # relative, never absolute
        assert not any(lead in d["text"][:40] for d in out["documents"])


def test_editor_credits_go_by_pattern():
    credits = [re.search(r"\((视频编辑：[^)]*)\)", it["video_detail"]["content"])
               for it in _items(DAY_2012)]
    out = run(DAY_2012, text_column="video_detail.content")
    assert sum(map(bool, credits)) >= 15
    assert not any("编辑：" in d["text"] for d in out["documents"])
    chrome = {r["line"] for r in out["boilerplate"] if r["kind"] == "chrome"}
    assert "(视频编辑：张贝龙 文字编辑：温凤浩)" in chrome
