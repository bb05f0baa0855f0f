"""Text clean-up for ingest: width and space normalisation, web chrome, repeated lines, language.

Only the *form* of the text changes here: full-width digits and Latin letters become ASCII,
runs of spaces collapse, blank lines go, and lines that are page furniture (share buttons,
copyright notices, navigation bars, "previous/next article") are dropped. Chinese punctuation
(，。：“”) is kept as it is, because segmentation and sentence splitting rely on it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

__all__ = [
    "normalise",
    "strip_chrome",
    "strip_chrome_lines",
    "KEEP_LINES",
    "MAX_LINE",
    "repeated_lines",
    "edge_pieces",
    "strip_edges",
    "drop_lines",
    "detect_lang",
    "split_articles",
    "strip_markdown",
]

_WIDTH = {cp: cp - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
          for cp in range(r[0], r[1] + 1)}
_SPACES = {cp: " " for cp in (0x3000, 0x00A0, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
                                0x2008, 0x2009, 0x200A, 0x202F, 0x205F, 0x1680, 0x0009)}
_INVISIBLE = {cp: None for cp in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD)}
_TABLE = {**_WIDTH, **_SPACES, **_INVISIBLE}
_RUNS = re.compile(r" {2,}")

# Chrome phrases removed wherever they stand in a line (they often share a line with a date).
_CHROME_PHRASES = re.compile(
    r"[（(]记者 [^（）()。！？]{1,30}[）)]|"  # a reporter credit inside a line: （记者 张三）
    r"扫码查看|扫一扫|版权声明|我要投稿|我要纠错|打印本页|关闭窗口|分享到[:：]?|收藏本文|"
    r"点击[:：]?\s*\d*\s*次|字号[:：]?\s*[大中小]\s*[大中小]?\s*[大中小]?|"
    r"Share to\s*[:：]?|Print this page|Close window"
)
# Whole lines that are page furniture.
_CHROME_LINES = re.compile(
    r"^(?:"
    r"上一篇[:：].*|下一篇[:：].*|"
    r"首页\s*[|｜>›»].*|(?:[^|｜]{1,12}[|｜]){3,}[^|｜]{0,12}|"
    r"(?:[^·]{1,20}·){3,}[^·]{0,20}|"
    r"(?:Issuing|Release|Publish(?:ed)?|Post(?:ed)?)\s*(?:time|date)\s*[:：].{0,30}|"
    r"(?:发布|发表|更新)(?:时间|日期)\s*[:：].{0,30}|"
    r"(?:来源|作者|责任编辑|编辑|浏览次数|阅读量?)\s*[:：]\s*\S{0,20}|"
    # editor and reporter credits: (视频编辑：张贝龙 文字编辑：温凤浩), 摄影：王五, （记者 张三）
    r"[（(]\s*(?:记者|通讯员|摄影|摄像|(?:视频|文字|图片|责任)?编辑)[^（）()。！？]{1,50}[）)]|"
    r"(?:(?:视频|文字|图片|责任|网络)编辑|编辑|责编|摄影|摄像|撰稿|监制|审核|校对)\s*[:：]"
    r"[^。！？!?]{1,30}|"
    r"展开\s*[>›]?|收起\s*[<‹]?|返回顶部|Copyright.*|©.*|版权所有.*|ICP备.*|"
    r"Home(?:\s*[|·>]\s*\S.*)?|Online customer service|Information hotline"
    r")$",
    re.IGNORECASE,
)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def normalise(text: str) -> str:
    """Normalise widths, spaces and line breaks; drop blank lines.

    >>> normalise("２０２３年　ＡＩ，教育。\\r\\n\\r\\n  a   b ")
    '2023年 AI，教育。\\na b'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_TABLE)
    lines = (_RUNS.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# Lines made only of page-tool words (下载 打印 全屏 收藏 【字号】 …), dropped near the edges of
# a page whatever the size of the collection.
_TOOL_WORDS = (
    r"下载|打印|全屏|收藏|分享|关闭|字号|字体|大|中|小|默认|返回|顶部|打印本页|关闭窗口|"
    r"打印此页|关闭本页|保存|纠错|视力保护色|护眼模式|听全文|朗读|复制链接|微信|微博|QQ空间|"
    r"扫一扫在手机打开当前页|扫一扫|在手机上打开|手机打开|背景色|放大|缩小|A\+|A-|A"
)
_TOOL_LINE = re.compile(
    rf"^(?:[【\[（(]?\s*(?:{_TOOL_WORDS})\s*[】\]）)]?\s*[|｜/:：·]?\s*)+$")
_EDGE_LINES = re.compile(
    r"^(?:"
    r"(?:您的位置|您现在的位置|您所在的位置|当前位置|所在位置)\s*[:：].*|"
    r"首页\s*[>›»/]\s*.*|"
    r"(?:责任编辑|编辑|审核|校对|责编|信息来源|文章来源|发布机构|稿源)\s*[:：].{0,40}|"
    r"【?\s*(?:打印本页|关闭窗口|打印|关闭|收藏|返回顶部)\s*】?(?:\s*【?\s*(?:打印本页|关闭窗口|"
    r"打印|关闭|收藏|返回顶部)\s*】?)*|"
    r"扫一扫在手机打开当前页|分享到?\s*[:：].{0,20}|"
    r"(?:索\s*引\s*号|主题分类|发文机关|成文日期|发布日期|发文字号|标\s*题|主\s*题\s*词)\s*[:：].{0,60}"
    r")$"
)
_EDGE = 12
#: Lines longer than this are content, never a repeated template line.
MAX_LINE = 60
# Salutations and headings stay even when they repeat across a collection.
KEEP_LINES = (  # no commas: a list option is comma-separated on the command line
    r"^(?:各位代表|各位委员|同志们|女士们|先生们|朋友们|尊敬的[^。！!]+?)[，\x2c：:！!]?$",
    r"^[一二三四五六七八九十]+、",
    r"^第[一二三四五六七八九十百0-9]+[章节条部分篇]",
)


def strip_chrome_lines(text: str) -> tuple[str, list[str]]:
    """Remove web chrome from normalised text; return the text and the removed lines.

    Chrome phrases and furniture lines go anywhere; page tools (下载 打印 【字号】), breadcrumbs
    (您的位置：首页 > …), 扫一扫在手机打开当前页, 责任编辑：… and metadata boxes go within the
    first and last twelve lines; a trailing fragment that repeats the opening (title and
    first paragraph, as share widgets print it) goes too.

    >>> text, removed = strip_chrome_lines(
    ...     "您的位置：首页 > 通知\\n【字号：大 中 小】\\n下载 | 打印 | 全屏\\n关于培训的通知\\n"
    ...     "各单位：培训定于五月举行。\\n责任编辑：王五\\n【打印本页】【关闭窗口】\\n"
    ...     "关于培训的通知 各单位：培训定于")
    >>> text
    '关于培训的通知\\n各单位：培训定于五月举行。'
    >>> removed[:3], removed[3:]
    (['您的位置：首页 > 通知', '【字号：大 中 小】', '下载 | 打印 | 全屏'], \
['责任编辑：王五', '【打印本页】【关闭窗口】', '关于培训的通知 各单位：培训定于'])
    """
    lines = text.split("\n")
    n = len(lines)
    kept: list[str] = []
    removed: list[str] = []
    for i, line in enumerate(lines):
        edge = i < _EDGE or i >= n - _EDGE
        if _CHROME_LINES.match(line) or (edge and (_EDGE_LINES.match(line)
                                                   or _TOOL_LINE.match(line))):
            removed.append(line)
            continue
        cleaned = _RUNS.sub(" ", _CHROME_PHRASES.sub(" ", line)).strip(" |｜")
        if not cleaned or (edge and _TOOL_LINE.match(cleaned)):
            removed.append(line)
            continue
        kept.append(cleaned)
    tail = _repeated_opening(kept)
    if tail:
        removed.extend(kept[-tail:])
        kept = kept[:-tail]
    return "\n".join(kept), removed


def _repeated_opening(lines: list[str]) -> int:
    """How many last lines repeat the start of the text (0 if none)."""
    if len(lines) < 3:
        return 0
    opening = "".join("".join(lines[:8]).split())
    for k in range(min(4, len(lines) // 2), 0, -1):
        tail = "".join("".join(lines[-k:]).split()).rstrip(".。…")
        if len(tail) >= 10 and opening.startswith(tail):
            return k
    return 0


def strip_chrome(text: str) -> tuple[str, int]:
    """Remove web chrome phrases and lines from normalised text.

    Returns:
        The cleaned text and the number of lines removed.

    >>> strip_chrome("首页|新闻\\n2022-10-28 版权声明 我要投稿\\n正文。\\n上一篇:甲下一篇:乙")
    ('2022-10-28\\n正文。', 2)
    """
    cleaned, removed = strip_chrome_lines(text)
    return cleaned, len(removed)


# A lead-in sharing the first line with the first sentence (央视网消息（新闻联播）：…, 本报讯：…),
# and a closing parenthesis sharing the last line (…。（《新闻联播》 03-15）): candidates for
# prefixes and suffixes repeated across a collection.
_HEAD = re.compile(r"^(.{2,30}?[：:】])\s*(?=\S|$)")
_TAIL = re.compile(r"(?<=\S)\s*([（(][^（()）]{2,40}[）)])$")
#: Marks of a prefix or a suffix among a collection's line keys.
PREFIX, SUFFIX = "\x01^", "\x01$"


def edge_pieces(text: str) -> list[str]:
    """The first line's lead-in and the last line's closing parenthesis, marked with
    :data:`PREFIX`/:data:`SUFFIX` so that they are counted beside whole lines.

    >>> [p[2:] for p in edge_pieces("央视网消息（新闻联播）：今天开会。\\n会议指出。（记者 张三）")]
    ['央视网消息（新闻联播）：', '（记者 张三）']
    >>> edge_pieces("今天开会。"), [p[2:] for p in edge_pieces("央视网消息（新闻联播）：\\n正文")]
    ([], ['央视网消息（新闻联播）：'])
    """
    lines = text.split("\n")
    head, tail = _HEAD.match(lines[0]), _TAIL.search(lines[-1])
    return ([PREFIX + head.group(1)] if head else []) + ([SUFFIX + tail.group(1)] if tail else [])


def strip_edges(text: str, pieces: set[str]) -> tuple[str, list[str]]:
    """Remove the marked prefixes and suffixes in ``pieces`` from the edges of ``text``;
    return the text and the pieces removed.

    >>> lead = PREFIX + "央视网消息（新闻联播）："
    >>> strip_edges("央视网消息（新闻联播）：今天开会。\\n散会。", {lead})[0]
    '今天开会。\\n散会。'
    """
    lines = text.split("\n")
    removed = []
    for piece in edge_pieces(text):
        if piece not in pieces:
            continue
        if piece.startswith(PREFIX):  # the lead-in, or the whole first line if it is one
            lines[0] = lines[0][len(piece) - 2:].lstrip()
        else:
            lines[-1] = lines[-1][:len(lines[-1]) - len(piece) + 2].rstrip()
        removed.append(piece)
    return "\n".join(line for line in lines if line), removed


def repeated_lines(texts: Sequence[str], *, min_docs: int = 5, share: float = 0.6,
                   max_len: int = MAX_LINE, keep: Sequence[str] = KEEP_LINES) -> dict[str, int]:
    """Short lines found in at least ``share`` of a collection's documents (page templates).

    Args:
        texts: The normalised texts of one collection.
        min_docs: Collections smaller than this are left alone.
        share: Fraction of documents a line must appear in.
        max_len: Longer lines are content, never template.
        keep: Regexes of lines that always stay (salutations, headings).

    Returns:
        The lines to drop, each with the number of documents it was found in.
    """
    if len(texts) < max(min_docs, 2):
        return {}
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({line for line in text.split("\n") if len(line) <= max_len})
    floor = max(2, share * len(texts))
    kept = [re.compile(p) for p in keep]
    return {line: n for line, n in counts.items()
            if n >= floor and not any(k.match(line) for k in kept)}


def drop_lines(text: str, lines: set[str]) -> tuple[str, int]:
    """Remove every line of ``text`` that is in ``lines``; return text and count removed."""
    if not lines:
        return text, 0
    kept = [line for line in text.split("\n") if line not in lines]
    return "\n".join(kept), text.count("\n") + 1 - len(kept) if text else 0


def detect_lang(text: str) -> str:
    """``zh``, ``en`` or ``mixed`` from the ratio of Han characters to Latin letters.

    Three Latin letters weigh as one Han character (an English translation of a Chinese
    passage has about three times as many letters as the original has characters).

    >>> detect_lang("职业教育"), detect_lang("vocational education"), detect_lang("职业 vocational")
    ('zh', 'en', 'mixed')
    """
    if len(text) > 30_000:  # three evenly spaced samples are enough for a ratio
        step = (len(text) - 10_000) // 2
        text = text[:10_000] + text[step:step + 10_000] + text[-10_000:]
    han = len(_HAN.findall(text))
    latin = len(_LATIN.findall(text)) / 3
    if han + latin == 0:
        return "zh" if han else "en"
    zh_share = han / (han + latin)
    if zh_share >= 0.85:
        return "zh"
    if zh_share <= 0.15:
        return "en"
    return "mixed"


def split_articles(text: str, pattern: str | None) -> tuple[str, list[tuple[str, str]]]:
    """Split a collection file at lines matching ``pattern``.

    Args:
        text: Normalised text.
        pattern: Regex matched at each line start; ``None`` or empty disables splitting.

    Returns:
        ``(preamble, [(title, body), ...])``; the list is empty when fewer than two lines
        match (the file is one document). The title is the rest of the marker line; the body
        starts with the title line.

    >>> split_articles("头\\n第1篇:甲\\n一、x\\n第2篇：乙\\ny", r"第\\d+篇[:：]")
    ('头', [('甲', '甲\\n一、x'), ('乙', '乙\\ny')])
    """
    if not pattern:
        return text, []
    marker = re.compile(pattern)
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if marker.match(line)]
    if len(starts) < 2:
        return text, []
    articles = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        title = lines[start][marker.match(lines[start]).end():].strip()
        body = ([title] if title else []) + lines[start + 1:end]
        articles.append((title, "\n".join(body)))
    return "\n".join(lines[:starts[0]]), articles


_MD_RULES = [
    (re.compile(r"<!--.*?-->", re.S), ""),
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*", re.M), ""),
    (re.compile(r"^[ \t]*>[ \t]?", re.M), ""),
    (re.compile(r"^[ \t]*(?:[-*+]|\d+\.)[ \t]+", re.M), ""),
    (re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.M), ""),
    (re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*(?::?-*:?)?[ \t]*$", re.M), ""),
    (re.compile(r"^[ \t]*\|(.*)\|[ \t]*$", re.M), lambda m: m.group(1).replace("|", " ")),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"`([^`]*)`"), r"\1"),
]


def strip_markdown(text: str) -> str:
    """Remove Markdown and inline HTML markup, keeping the words.

    >>> strip_markdown("# 标题\\n**摘要** 见[链接](http://x)<sup>1</sup>\\n- 项")
    '标题\\n摘要 见链接1\\n项'
    >>> strip_markdown("| 项目 | 标准 |\\n|---|---|\\n| 学费 | 免收 |")
    ' 项目   标准 \\n\\n 学费   免收 '
    """
    for pattern, repl in _MD_RULES:
        text = pattern.sub(repl, text)
    return text
