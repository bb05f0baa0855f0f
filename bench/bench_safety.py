"""The safety zoo: crafted manifests, config paths, work folders, spreadsheet formulas, LDAvis
labels, kills during the output swap and kills of a parent with workers.

Usage::

    .venv/bin/python bench/bench_safety.py [--kills 40] [--cli-kills 12] [--parent-kills 8]

Each input is tried through the CLI (``CliRunner``) or the function the CLI calls, and
classified: ``refused`` (one ``Error:`` line, exit 1 or 2), ``ok`` (accepted, harmless), a
``crash`` (a traceback or "failed unexpectedly") or ``corrupt`` (a file outside the work folder
touched, a live formula, a broken page, tables of two runs, a worker outliving its parent).
Prints one line per family and the totals; exits 1 if any crash or corrupt state was seen.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from cli import wenmai  # noqa: E402
from pipelines.core.errors import WenmaiError  # noqa: E402

SAMPLE = ROOT / "data" / "sample"
TALLY: dict[str, Counter] = {}


def record(family: str, outcome: str, detail: object = "") -> None:
    TALLY.setdefault(family, Counter())[outcome] += 1
    if outcome in ("crash", "corrupt"):
        print(f"{family}: {outcome}: {str(detail)[:300]!r}", file=sys.stderr)


def cli(*args: str):
    return CliRunner().invoke(wenmai, list(args))


def classify(result, harmless: bool) -> str:
    text = (result.stderr or "") + (result.output or "")
    if "Traceback" in text or "failed unexpectedly" in text or result.exit_code not in (0, 1, 2):
        return "crash"
    if not harmless:
        return "corrupt"
    if result.exit_code == 0:
        return "ok"
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    return "refused" if lines and lines[-1].startswith("Error:") else "crash"


def manifests(tmp: Path) -> None:
    """Crafted ingest manifests, then `ingest --force` and `status`."""
    project = tmp / "proj"
    shutil.copytree(SAMPLE, project)
    cfg = ["--config", str(project / "wenmai.toml")]
    victim_dir = tmp / "home"
    victim_dir.mkdir()
    names = ["../../home/thesis.docx", "../../../../../../" + str(victim_dir / "thesis.docx"),
             str(victim_dir / "thesis.docx"), "link.docx", "linkdir/thesis.docx",
             "..\\..\\home\\thesis.docx", "C:\\thesis.docx", "a\x00b", "", ".", "..",
             "manifest.json", "sub/../../x", "x" * 5000, "教育/../../../home/thesis.docx",
             "/dev/zero", "/proc/self/mem", "~/thesis.docx"]
    shapes = ['[]', '"outputs"', '{"outputs": []}', '{"outputs": {"a": "b"}}',
              '{"outputs": {"documents.parquet": {"sha256": 5, "size": "x"}}}',
              'not json', '{"stage": "ingest", "outputs": {"documents.parquet": null}}',
              '{"outputs": {"documents.parquet": {"size": 1e999}}}']
    trials = [("name", n) for n in names] + [("shape", s) for s in shapes]
    for i, (kind, value) in enumerate(trials):
        work = tmp / f"w{i}"
        (victim_dir / "thesis.docx").write_bytes(b"mine")
        assert cli(*cfg, "--workdir", str(work), "ingest").exit_code == 0
        folder = work / "ingest"
        with_links = folder / "link.docx", folder / "linkdir"
        with_links[0].symlink_to(victim_dir / "thesis.docx")
        with_links[1].symlink_to(victim_dir, target_is_directory=True)
        path = folder / "manifest.json"
        if kind == "name":
            data = json.loads(path.read_text(encoding="utf-8"))
            data["outputs"][value] = {"size": 4, "mtime_ns": 1, "sha256": "0" * 64}
            path.write_text(json.dumps(data), encoding="utf-8")
        else:
            path.write_text(value, encoding="utf-8")
        for args in (("ingest", "--force"), ("status",), ("segment",)):
            result = cli(*cfg, "--workdir", str(work), *args)
            intact = (victim_dir / "thesis.docx").read_bytes() == b"mine"
            record("manifest", classify(result, intact), (value, args, result.stderr))


def configs(tmp: Path) -> None:
    """Config files whose paths point outside the project (or stay inside)."""
    project = tmp / "cfgproj"
    (project / "docs").mkdir(parents=True)
    (project / "docs" / "a.txt").write_text("职业教育" * 50, encoding="utf-8")
    (project / "out").symlink_to(tmp, target_is_directory=True)
    values = ["/etc", "/", "..", "../x", "~", "~/.ssh", "docs/../../x", "out", "out/x.txt",
              "/tmp/*.txt", "docs/*/../../../x", "docs", "docs/*.txt", "docs/a.txt",
              "\\\\server\\share", "C:/Windows", "./docs", "docs//a.txt", "教育/../..",
              "*", "**/*.txt", "[ab]/../..", "/dev/zero"]
    for value in values:
        for line in (f'[ingest]\ninputs = [{json.dumps(value)}]\n',
                     f'[segment]\nuser_dicts = [{json.dumps(value)}]\n',
                     f'workdir = {json.dumps(value)}\n'):
            cfg = project / "wenmai.toml"
            cfg.write_text(line, encoding="utf-8")
            result = cli("--config", str(cfg), "status")
            record("config", classify(result, True), (line, result.stderr))


def workdirs(tmp: Path) -> None:
    """Folders that are not work folders, given to a writing stage."""
    docs = str(SAMPLE / "docs")
    home = tmp / "home2"
    home.mkdir()
    (home / "thesis.docx").write_bytes(b"mine")
    (home / "ingest").mkdir()
    (home / "ingest" / "notes.txt").write_text("mine")
    a_file = tmp / "file.txt"
    a_file.write_text("x")
    locked = tmp / "locked"
    locked.mkdir()
    (locked / "x").write_text("x")
    locked.chmod(0)
    link = tmp / "link"
    link.symlink_to(home, target_is_directory=True)
    for folder in ("/", str(home), str(a_file), str(locked), str(link), str(SAMPLE),
                   str(tmp / "new" / "deep"), str(ROOT)):
        result = cli("--workdir", folder, "ingest", docs)
        intact = (home / "ingest" / "notes.txt").exists() and not (SAMPLE / "ingest").exists() \
            and not (ROOT / "ingest").exists() and not Path("/ingest").exists()
        outcome = classify(result, intact)
        if outcome == "ok" and folder not in (str(tmp / "new" / "deep"),):
            outcome = "corrupt"  # wrote into a folder with other files
        record("workdir", outcome, (folder, result.stderr))
    locked.chmod(0o700)


ATTACKS = ["=1+1", "=HYPERLINK(\"http://x.example\",\"x\")", "=cmd|' /C calc'!A0", "+1",
           "-1+1", "@SUM(A1)", "\t=1", "\r=1", "=\n1", "＝1", " =1", "'=1", "=" * 40000,
           "-", "+", "@", "=教育", "\u200b=1", "DDE(\"cmd\";\"/C calc\";\"x\")"]


def exports(tmp: Path) -> None:
    """Document texts that a spreadsheet would run, through `show --format csv|xlsx`."""
    import csv
    import io

    import openpyxl
    import pyarrow as pa

    from pipelines.core import store

    work = tmp / "exp"
    store.write_outputs(work, "ingest", {"documents": pa.table({
        "doc_id": [str(i) for i in range(len(ATTACKS))], "text": ATTACKS,
        "tokens": [[a] for a in ATTACKS]})})
    text = cli("--workdir", str(work), "show", "documents", "--format", "csv").output
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        live = [c for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        record("export", "corrupt" if live else "ok")
    out = tmp / "x.xlsx"
    result = cli("--workdir", str(work), "show", "documents", "--format", "xlsx", "-o", str(out))
    sheet = openpyxl.load_workbook(out).active
    for row in list(sheet.iter_rows())[1:]:
        live = [c for c in row if c.data_type == "f" or str(c.value or "")[:1] == "="]
        record("export", "corrupt" if live or result.exit_code else "ok")


LABELS = ["<!--<script>", "</script>", "<script>alert(1)</script>", "</SCRIPT >", "<!--",
          "-->", "]]>", "&lt;/script&gt;", "\u2028\u2029", "<\\/script>", "\"};alert(1);//",
          "${alert(1)}", "`", "<img src=x onerror=alert(1)>", "教育</script><!--"]


def labels(tmp: Path) -> None:
    """Topic labels with markup, through the LDAvis page of a tiny topic model."""
    from pipelines import topics
    from tests.topics.test_stage import _corpus, _params

    corpus = _corpus()
    for first, second in zip(LABELS[::2], LABELS[1::2] + ["x"], strict=False):
        path = tmp / "labels.tsv"
        path.write_text(f"0\t{first}\n1\t{second}\n", encoding="utf-8")
        try:
            page = topics.compute(corpus, _params(k="2", labels=str(path)))["ldavis_k2.html"]
        except WenmaiError:  # the labels reader's one-line error (a U+2028 splits a line)
            record("ldavis", "refused")
            continue
        except Exception as err:  # noqa: BLE001 - counted
            record("ldavis", "crash", (first, second, err))
            continue
        script, _, tail = page.partition("<script>")[2].partition("</script>")
        data = json.loads(script.split("const D = ", 1)[1].split(";\n", 1)[0])
        whole = "<!--" not in script and "<script" not in script.lower() and \
            tail.strip() == "</body></html>" and \
            [t["label"] for t in data["topics"]] == [first, second]
        record("ldavis", "ok" if whole else "corrupt")


def kills(tmp: Path, n: int) -> None:
    """SIGKILL a stage writer at random moments of its output swaps."""
    from pipelines.core import store, swap

    writer = ROOT / "tests" / "core" / "crash_writer.py"
    rng = random.Random(5)
    for i in range(n):
        mode = "exchange" if i % 2 else "fallback"
        work = tmp / f"k{i}"
        work.mkdir()
        proc = subprocess.Popen([sys.executable, str(writer), str(work), mode, "0"],
                                env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()
        time.sleep(rng.uniform(0, 0.5))
        proc.kill()
        proc.wait()
        try:
            swap.recover(work, "ingest")
            manifest = json.loads((work / "ingest" / "manifest.json").read_text())
            for name in manifest["outputs"]:
                if name.endswith(".parquet"):
                    store.verified_sha256(work, "ingest/" + name[:-8])
            import pyarrow.parquet as pq
            runs = {pq.read_table(p, columns=["run"])["run"][0].as_py()
                    for p in (work / "ingest").glob("*.parquet")}
            files = {p.name for p in (work / "ingest").iterdir()}
            ok = runs == {manifest["params"]["run"]} and files == set(
                manifest["outputs"]) | {"manifest.json"}
            record("kill", "ok" if ok else "corrupt")
        except Exception:  # noqa: BLE001 - counted
            record("kill", "corrupt")


def cli_kills(tmp: Path, n: int) -> None:
    """SIGKILL `wenmai ingest --force` at random moments; then `segment` must refuse or see
    one whole ingest run (every file listed by the manifest, with its hash)."""
    from pipelines.core import store

    rng = random.Random(9)
    project = tmp / "cliproj"
    shutil.copytree(SAMPLE, project)
    base = [sys.executable, "-c", "import cli; cli.main()", "--config",
            str(project / "wenmai.toml")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for i in range(n):
        work = tmp / f"c{i}"
        subprocess.run([*base, "--workdir", str(work), "ingest"], env=env, check=True,
                       capture_output=True)
        proc = subprocess.Popen([*base, "--workdir", str(work), "ingest", "--force",
                                 "--to-simplified"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 8.0))  # the run takes about 7 s here
        proc.kill()
        proc.wait()
        result = cli("--workdir", str(work), "segment")
        outcome = classify(result, True)
        if result.exit_code == 0:
            manifest = store.read_manifest(work, "ingest")
            folder = work / "ingest"
            files = {p.name for p in folder.iterdir()}
            whole = manifest is not None and files == set(manifest["outputs"]) | {
                "manifest.json"} and all(store.file_sha256(folder / name) == rec["sha256"]
                                         for name, rec in manifest["outputs"].items())
            outcome = "ok" if whole else "corrupt"
        record("cli-kill", outcome, result.stderr)


def parent_kills(tmp: Path, n: int) -> None:
    """Kill a parent whose pool workers are busy; count workers that outlive it by 5 s."""
    script = tmp / "parent.py"
    script.write_text(
        "import os, sys, time\nfrom pipelines.core.engine import map_partitions\n"
        "def slow(part, folder):\n    open(os.path.join(folder, str(os.getpid())), 'w')\n"
        "    time.sleep(120)\n"
        "if __name__ == '__main__':\n    map_partitions(slow, [1, 2], sys.argv[1], workers=2)\n")
    for i in range(n):
        pids = tmp / f"p{i}"
        pids.mkdir()
        proc = subprocess.Popen([sys.executable, str(script), str(pids)],
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 60
        while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL if i % 2 else signal.SIGTERM)
        proc.wait()
        time.sleep(5)
        alive = []
        for p in pids.iterdir():
            stat = Path(f"/proc/{p.name}/stat")
            if stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z":
                alive.append(int(p.name))
                os.kill(int(p.name), signal.SIGKILL)
        record("parent-kill", "corrupt" if alive else "ok")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=40)
    parser.add_argument("--parent-kills", type=int, default=8)
    parser.add_argument("--cli-kills", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for family in (manifests, configs, workdirs, exports, labels):
            family(tmp)
        kills(tmp, args.kills)
        cli_kills(tmp, args.cli_kills)
        parent_kills(tmp, args.parent_kills)
    total = Counter()
    for family, counts in TALLY.items():
        total.update(counts)
        print(f"{family:12} {sum(counts.values()):4} tried: " + ", ".join(
            f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"{'total':12} {sum(total.values()):4} tried: crashes {total['crash']}, corrupt "
          f"states {total['corrupt']}, refused {total['refused']}, ok {total['ok']}")
    sys.exit(1 if total["crash"] or total["corrupt"] else 0)


if __name__ == "__main__":
    main()
