"""A topic label with markup in it cannot break the LDAvis page's inline script."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines import topics
from tests.topics.test_stage import _corpus, _params

LABELS = ["<!--<script>", '</script><img src=x onerror=alert(1)>&amp;"教育"']


def test_markup_in_labels_stays_inside_the_script(tmp_path: Path) -> None:
    labels = tmp_path / "labels.tsv"
    labels.write_text("".join(f"{i}\t{text}\n" for i, text in enumerate(LABELS)),
                      encoding="utf-8")
    page = topics.compute(_corpus(), _params(k="2", labels=str(labels)))["ldavis_k2.html"]
    head, _, rest = page.partition("<script>")
    script, _, tail = rest.partition("</script>")
    # the first </script> is the page's own, and nothing in the script can change the
    # HTML parser's state (an open "<!--" + "<script" makes it skip the real end tag)
    assert tail == "</body></html>\n" or tail.strip() == "</body></html>"
    assert "<!--" not in script and "<script" not in script.lower()
    data = json.loads(script.split("const D = ", 1)[1].split(";\n", 1)[0])
    assert [t["label"] for t in data["topics"]] == LABELS
