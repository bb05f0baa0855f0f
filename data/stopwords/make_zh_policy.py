"""Regenerate ``zh_policy.txt``, the policy-genre stopword list, from the shared corpora.

Rule (documented in ``SOURCE.md``): segment four collections of Chinese policy text with
wenmai's default segment settings (rjieba, the shipped dictionary and stopwords, numbers
dropped), and keep every Chinese term found in at least ``SHARE`` of the documents of at
least ``MIN_COLLECTIONS`` of them. The candidates are printed with their shares; the words
in ``KEEP`` were reviewed as content words a policy study must see (教育, 农村, 经济 ...)
and stay out of the list.

Usage (from the repository root, with ../shared present)::

    python data/stopwords/make_zh_policy.py            # rewrites data/stopwords/zh_policy.txt
    python data/stopwords/make_zh_policy.py --check    # exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipelines import ingest, segment  # noqa: E402
from pipelines.core.runner import run_stage  # noqa: E402
from pipelines.core.store import read_table  # noqa: E402

#: The shared corpora: ``$WENMAI_SHARED`` or ``../shared`` beside the repository.
CORPORA = Path(os.environ.get("WENMAI_SHARED", ROOT.parent / "shared")) / "corpora"
LAWS = CORPORA / "laws-education-rural-cn"
#: name -> (inputs, text_column)
COLLECTIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "gov-reports-1954-2017": ((str(CORPORA / "gov-reports-1954-2017" / "govReports"),), None),
    "cpc-congress-reports": ((str(CORPORA / "gov-reports-wikisource-1954-2025"
                                  / "cpc_congress_reports.jsonl"),), "content"),
    "national-laws": (tuple(str(p) for p in sorted(LAWS.glob("*"))
                            if p.is_dir() and p.name != "DLC"), None),
    "local-regulations": ((str(LAWS / "DLC"),), None),
}
SHARE = 0.5
MIN_COLLECTIONS = 3
#: Reviewed: frequent in policy text, but what a policy study is about. Never stopwords.
KEEP = frozenset({
    # the subjects of education, rural and economic policy
    "教育", "学校", "学生", "教师", "专业", "培养", "培训", "经费", "农村", "农业", "农民",
    "经济", "国民经济", "财政", "资金", "企业", "市场", "生产", "劳动", "技术", "信息",
    "科学", "文化", "健康", "卫生", "生活", "资源", "设施", "项目", "质量", "标准", "地区",
    # institutions and governance, which policy studies analyse
    "社会", "社会主义", "改革", "政府", "国务院", "人民政府", "政策", "制度", "法律", "法规",
    "权利", "合法权益", "管理", "服务", "监督", "行政", "领导", "规划", "安全", "保护",
    "中国", "人民", "群众", "干部", "国际",
})
OUT = Path(__file__).with_name("zh_policy.txt")


def doc_share(inputs: tuple[str, ...], text_column: str | None, work: Path) -> dict[str, float]:
    """Share of the collection's documents that contain each Chinese term."""
    run_stage(ingest, work, ingest.Params(inputs=inputs, text_column=text_column, workers=1))
    run_stage(segment, work, segment.Params(workers=1))
    tokens = read_table(work, "segment/tokens", columns=["doc_id", "tokens"])
    docs: dict[str, set[str]] = {}
    for doc_id, toks in zip(tokens.column("doc_id").to_pylist(),
                            tokens.column("tokens").to_pylist(), strict=True):
        docs.setdefault(doc_id, set()).update(toks)
    df = Counter(t for terms in docs.values() for t in terms)
    return {t: n / len(docs) for t, n in df.items()
            if any("\u4e00" <= c <= "\u9fff" for c in t)}


def candidates() -> list[tuple[str, list[float]]]:
    """Every term meeting the rule, with its share in each collection."""
    shares = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (inputs, column) in enumerate(COLLECTIONS.values()):
            shares.append(doc_share(inputs, column, Path(tmp) / str(i)))
    terms = sorted({t for s in shares for t in s})
    out = []
    for t in terms:
        row = [s.get(t, 0.0) for s in shares]
        if sum(v >= SHARE for v in row) >= MIN_COLLECTIONS:
            out.append((t, row))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs")
    args = parser.parse_args()
    if not CORPORA.is_dir():
        print(f"{CORPORA} is not present; nothing to do", file=sys.stderr)
        return 2
    found = candidates()
    print("term\t" + "\t".join(COLLECTIONS) + "\tkept as content word")
    for t, row in found:
        print(t + "\t" + "\t".join(f"{v:.2f}" for v in row) + ("\tKEEP" if t in KEEP else ""))
    words = sorted(t for t, _ in found if t not in KEEP)
    text = "\n".join(words) + "\n"
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUT} is out of date", file=sys.stderr)
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {len(words)} words to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
