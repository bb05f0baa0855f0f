"""How each stage's time and memory grow with the corpus: N MB of realistic, unique Chinese text.

Usage: ``python bench/scale.py [--sizes 10,100]
[--stages ingest,segment,terms,topics,network,code,figures,report]
[--k 10] [--fit-sample N] [--workers 0] [--engine local] [--keep DIR] [--seed 7]
[--reuse [--keep-work] [--force]] [--build-only]``

1. A corpus of N MB (UTF-8 bytes of text) is built from all the Chinese policy text of the
   shared corpora (government work reports 1954-2017 and their Wikisource edition, the CPC
   congress reports, the education and rural laws, the 2018 No. 1 document): the text is cut
   into sentences (at 。！？；), and each document draws 20-80 sentences at random (seeded),
   in paragraphs of 2-6 sentences, with a year from 1980-2024 and a title. Sentences repeat
   across documents once the corpus is larger than the pool (about 9 MB), but no document or
   paragraph does, so deduplication and template-line removal do not collapse it. Documents
   go into JSONL files of about 1 MB (``title``, ``date``, ``text``), so ingest has files to
   share among its workers.
2. Each stage runs in a fresh process (``wenmai <stage>``, default params except
   ``[topics] k`` set to one value with ``seeds = 1`` (with ``--fit-sample N``: ``--fit-on
   sample --sample N``, the bounded-memory mode), ``[code]`` given the sample's codebook
   (``builtin:vocational_poverty``, ``reserve = 2``), and ``--workers``), one after another.
   Per stage: wall time of the process (including starting Python, about 0.5 s), and its peak
   RSS from ``os.wait4``:
   the largest resident set of the stage process *or* of any worker it started (Linux folds
   the children's peak into the rusage of their parent), not the sum over processes.
3. Then ``wenmai run --until <last stage>`` on the finished work folder: every stage fresh,
   so this times the freshness check alone (hashing or statting inputs and outputs).

The 1-minute load average is printed before each stage: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from measure import run_measured

ROOT = Path(__file__).resolve().parent.parent
#: The shared corpora beside the project (``--shared`` for another place).
SHARED = ROOT.parent / "shared" / "corpora"
WIKI = "gov-reports-wikisource-1954-2025"
TEXT_FILES = ("gov-reports-1954-2017/govReports/*.txt", f"{WIKI}/by_year/*.txt",
              "laws-education-rural-cn/[!S]*/**/*.md", "no1-central-doc-2018/*.txt")
JSONL_FILES = (f"{WIKI}/government_work_reports.jsonl", f"{WIKI}/cpc_congress_reports.jsonl")
STAGES = ("ingest", "segment", "terms", "topics", "network", "code", "figures", "report")
SENTENCE = re.compile(r"[^。！？；\n]*[。！？；]")
HAN = re.compile(r"[\u4e00-\u9fff]")
FILE_BYTES = 1 << 20


def sentence_pool(shared: Path) -> list[str]:
    """Distinct Chinese sentences (at least 8 characters, mostly Han) of the shared corpora."""
    texts = []
    for pattern in TEXT_FILES:
        base, glob = pattern.split("/", 1)
        texts += [p.read_text(encoding="utf-8", errors="replace")
                  for p in sorted((shared / base).glob(glob)) if p.is_file()]
    for name in JSONL_FILES:
        for line in (shared / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(str(json.loads(line).get("content", "")))
    seen: dict[str, None] = {}
    for text in texts:
        for sent in SENTENCE.findall(text):
            sent = sent.strip(" \t\u3000#*>-")
            if len(sent) >= 8 and len(HAN.findall(sent)) >= 0.6 * len(sent):
                seen.setdefault(sent, None)
    return list(seen)


def build_corpus(folder: Path, megabytes: float, seed: int, pool: list[str]) -> tuple[int, int]:
    """Write about ``megabytes`` MB of documents as JSONL files; return (documents, bytes)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    target = int(megabytes * 1_000_000)
    written = docs = 0
    chunk: list[str] = []
    chunk_bytes = files = 0

    def flush() -> None:
        nonlocal chunk, chunk_bytes, files
        if chunk:
            (folder / f"part-{files:05d}.jsonl").write_text("".join(chunk), encoding="utf-8")
            files += 1
            chunk, chunk_bytes = [], 0

    while written < target:
        sentences = rng.sample(pool, rng.randint(20, 80))
        paragraphs, i = [], 0
        while i < len(sentences):
            step = rng.randint(2, 6)
            paragraphs.append("".join(sentences[i:i + step]))
            i += step
        text = "\n".join(paragraphs)
        year = rng.randint(1980, 2024)
        title = f"文件{docs:07d}：{sentences[0][:12]}"
        line = json.dumps({"title": title, "date": f"{year}-{rng.randint(1, 12):02d}",
                           "text": text}, ensure_ascii=False) + "\n"
        size = len(text.encode("utf-8"))
        chunk.append(line)
        chunk_bytes += len(line.encode("utf-8"))
        written += size
        docs += 1
        if chunk_bytes >= FILE_BYTES:
            flush()
    flush()
    return docs, written


def write_config(project: Path, k: int, fit_sample: int = 0) -> Path:
    config = project / "wenmai.toml"
    new = project / "wenmai.toml.new"  # replaced, not rewritten: a cp -al copy shares the inode
    new.write_text(
        '[ingest]\ninputs = ["docs"]\ntext_column = "text"\n\n[segment]\nbackend = "rjieba"\n\n'
        f'[topics]\nk = "{k}"\nseeds = 1\nseed = 42\n'
        + (f'fit_on = "sample"\nsample = {fit_sample}\n' if fit_sample else "")
        + '\n[network]\nseed = 42\n\n'
        # the sample's codebook and [code] settings (data/sample/wenmai.toml)
        '[code]\ncodebook = "builtin:vocational_poverty"\nreserve = 2\nseed = 42\n',
        encoding="utf-8")
    os.replace(new, config)
    return config


def run_process(args: list[str]) -> tuple[float, float, int]:
    """Run a command; return (wall seconds, peak RSS in MB of it or any child, exit code)."""
    run = run_measured(args, pythonpath=ROOT, cwd=ROOT)
    if run.returncode:
        sys.stderr.write(run.stderr[-2000:])
    return run.seconds, run.peak_mb, run.returncode


def wenmai(config: Path, work: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", "import cli; cli.main()", "--config", str(config),
            "--workdir", str(work), *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100", help="Corpus sizes in MB, comma-separated.")
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--k", type=int, default=10, help="The one topic count fitted.")
    parser.add_argument("--workers", type=int, default=0, help="--workers of each stage.")
    parser.add_argument("--engine", default="local", choices=("local", "processes", "dask"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="Build corpora and work folders here.")
    parser.add_argument("--shared", type=Path, default=SHARED, help="The shared corpora.")
    parser.add_argument("--reuse", action="store_true",
                        help="Reuse a corpus already built in --keep with the same size and "
                             "seed (only the work folder is made again).")
    parser.add_argument("--keep-work", action="store_true",
                        help="With --reuse: keep the work folder too, so --stages can run the "
                             "later stages on the tables of an earlier invocation.")
    parser.add_argument("--force", action="store_true",
                        help="Run each stage with --force (with --keep-work: measure stages "
                             "whose outputs are already fresh).")
    parser.add_argument("--fit-sample", type=int, default=0, metavar="N",
                        help="topics with --fit-on sample --sample N (bounded memory: the model "
                             "fitted on N documents, the others inferred); 0 = one fit on every "
                             "document.")
    parser.add_argument("--build-only", action="store_true",
                        help="Build the corpora (in --keep) and run no stage.")
    args = parser.parse_args()
    if not args.shared.is_dir():
        sys.exit(f"{args.shared} is not present; this benchmark needs the shared corpora")
    pool = sentence_pool(args.shared)
    stages = args.stages.split(",")
    sys.path.insert(0, str(ROOT))
    from pipelines.core.params import specs
    from pipelines.stages import STAGES as MODULES

    with_workers = {name for name, module in MODULES.items()
                    if any(spec.name == "workers" for spec in specs(module.Params))}
    base = args.keep or Path(tempfile.mkdtemp(prefix="wenmai-scale-"))
    fit = f"fitted on a sample of {args.fit_sample}" if args.fit_sample else "one fit on all"
    print(f"# wenmai scale bench, engine {args.engine}, workers {args.workers}, "
          f"topics k={args.k} ({fit}), {os.cpu_count()} cores; folders in {base}")
    print("| size | docs | stage | seconds | peak RSS MB | load (1 min) |")
    print("|---|---|---|---|---|---|")
    for size in [float(s) for s in args.sizes.split(",")]:
        project = base / f"{size:g}MB"
        stamp = project / "corpus.json"
        recipe = {"megabytes": size, "seed": args.seed, "pool": len(pool)}
        reused = (args.reuse and stamp.is_file()
                  and json.loads(stamp.read_text(encoding="utf-8"))["recipe"] == recipe)
        if reused:
            built = json.loads(stamp.read_text(encoding="utf-8"))
            docs, nbytes = built["docs"], built["bytes"]
            if not args.keep_work:
                shutil.rmtree(project / "work", ignore_errors=True)
            print(f"<!-- {size:g} MB: reusing {docs} documents in {project / 'docs'} -->")
        else:
            if project.exists():
                shutil.rmtree(project)
            started = time.perf_counter()
            docs, nbytes = build_corpus(project / "docs", size, args.seed, pool)
            stamp.write_text(json.dumps({"recipe": recipe, "docs": docs, "bytes": nbytes}),
                             encoding="utf-8")
            print(f"<!-- {size:g} MB: {docs} documents, {nbytes / 1e6:.1f} MB of text from "
                  f"{len(pool)} distinct sentences, built in "
                  f"{time.perf_counter() - started:.0f} s -->", flush=True)
        if args.build_only:
            continue
        # in the config, not on the command line, so the unchanged `run` below finds it fresh
        config = write_config(project, args.k, args.fit_sample)
        work = project / "work"
        for stage in stages:
            load = os.getloadavg()[0]
            extra = ["--workers", str(args.workers)] if stage in with_workers else []
            extra += ["--force"] if args.force else []
            seconds, rss, code = run_process(
                wenmai(config, work, "--engine", args.engine, stage, *extra))
            status = "" if code == 0 else f" (failed, exit {code})"
            print(f"| {size:g} MB | {docs} | {stage}{status} | {seconds:.1f} | {rss:.0f} | "
                  f"{load:.2f} |", flush=True)
            if code:
                break
        else:
            load = os.getloadavg()[0]
            seconds, rss, code = run_process(wenmai(config, work, "run", "--until", stages[-1]))
            print(f"| {size:g} MB | {docs} | unchanged `run` (all fresh) | {seconds:.2f} | "
                  f"{rss:.0f} | {load:.2f} |", flush=True)
        if args.keep is None:
            shutil.rmtree(project)


if __name__ == "__main__":
    main()
