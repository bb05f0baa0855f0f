"""What a user writes today to segment Chinese policy text: jieba.posseg, a stopword list.

Plain code, as in a thesis notebook: read the documents, cut each sentence with
``jieba.posseg``, drop punctuation, numbers, stopwords and one-character words, write one
row per sentence. It loads the same dictionary and stopword lists as wenmai's defaults.

Usage: ``python bench/baselines/segment_jieba.py DOCUMENTS.parquet OUT.csv DICT STOP...``
"""

import csv
import re
import sys
import time

import jieba
import jieba.posseg as pseg
import pandas as pd

start = time.perf_counter()
documents, out, user_dict, *stop_files = sys.argv[1:]
jieba.setLogLevel(60)
jieba.load_userdict(user_dict)
stopwords = set()
for path in stop_files:
    with open(path, encoding="utf-8") as fh:
        stopwords.update(line.strip().lower() for line in fh if line.strip())

docs = pd.read_parquet(documents, columns=["doc_id", "text"])
number = re.compile(r"^[\d.,%％０-９]+$")
punct = re.compile(r"^\W+$")
with open(out, "w", newline="", encoding="utf-8") as fh:
    writer = csv.writer(fh)
    writer.writerow(["doc_id", "sent_id", "tokens", "pos"])
    for doc_id, text in zip(docs["doc_id"], docs["text"], strict=True):
        sentences = re.split(r"(?<=[。！？；!?;])|\n", text or "")
        for sent_id, sentence in enumerate(s for s in sentences if s.strip()):
            words, tags = [], []
            for word, flag in pseg.cut(sentence):
                w = word.strip().lower()
                if (not w or punct.match(w) or number.match(w) or w in stopwords
                        or len(w) < 2):
                    continue
                words.append(w)
                tags.append(flag)
            if words:
                writer.writerow([doc_id, sent_id, " ".join(words), " ".join(tags)])
print(time.perf_counter() - start)
