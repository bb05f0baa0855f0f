"""The shipped policy-genre stopword list: well formed, reviewed, and reproducible."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from pipelines.core.resources import data_path
from pipelines.template import config_template

SCRIPT = Path(data_path("stopwords", "make_zh_policy.py"))


def _script():
    spec = importlib.util.spec_from_file_location("make_zh_policy", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_list_is_sorted_unique_and_keeps_the_reviewed_content_words() -> None:
    words = data_path("stopwords", "zh_policy.txt").read_text(encoding="utf-8").split("\n")
    assert words[-1] == ""
    words = words[:-1]
    assert words == sorted(set(words)) and len(words) > 50
    assert {"发展", "加强", "应当", "规定", "进行"} <= set(words)
    assert not set(words) & _script().KEEP


def test_init_template_turns_the_list_on() -> None:
    assert "\npolicy_stopwords = true\n" in config_template()


def test_list_is_what_the_script_makes_from_the_shared_corpora(shared: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True,
                          text=True, env={"WENMAI_SHARED": str(shared), "PATH": ""})
    assert done.returncode == 0, done.stderr[-500:]
