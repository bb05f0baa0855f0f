"""What a user writes today for a co-occurrence network: Counter over the word pairs of each
sentence, networkx for the graph and its centralities.

Plain code, as in a thesis notebook: keep the ``top_n`` most frequent words, count each pair
once per sentence, keep pairs seen at least twice, then degree, weighted degree, betweenness
and closeness (a stronger link is a shorter one: distance = 1 / count), eigenvector
centrality and Louvain communities, and write the node and edge tables.

Usage: ``python bench/baselines/network_networkx.py TOKENS.parquet TOP_N OUT_PREFIX [SOURCES]``

With ``SOURCES`` (for graphs where the exact run takes hours), betweenness and closeness run
from that many random nodes only (seeded), and the last line printed is the time
extrapolated to all nodes: the rest as measured plus (nodes / SOURCES) times those two
(each source is one Dijkstra over the whole graph and its accumulation, so the time grows
linearly with the sources). The line before gives the measured parts and the CPU time
extrapolated the same way (steadier than wall time on a busy machine).
"""

import random
import sys
import time
from collections import Counter
from itertools import combinations

import networkx as nx
import pandas as pd

start = time.perf_counter()
tokens, top_n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sources = int(sys.argv[4]) if len(sys.argv) > 4 else 0
sentences = pd.read_parquet(tokens, columns=["tokens"])["tokens"]

freq = Counter(word for words in sentences for word in words)
top = {word for word, _ in freq.most_common(top_n)}
pairs = Counter()
for words in sentences:
    kept = sorted(set(words) & top)
    pairs.update(combinations(kept, 2))

graph = nx.Graph()
graph.add_nodes_from(top)
for (a, b), n in pairs.items():
    if n >= 2:
        graph.add_edge(a, b, weight=n, distance=1 / n)
degree = dict(graph.degree())
strength = dict(graph.degree(weight="weight"))
paths_start, paths_cpu = time.perf_counter(), time.process_time()
if sources:  # a sample of sources, for the extrapolation (module notes)
    betweenness = nx.betweenness_centrality(graph, k=sources, weight="distance", seed=42)
    picked = random.Random(42).sample(sorted(graph.nodes), sources)
    closeness = {u: nx.closeness_centrality(graph, u=u, distance="distance") for u in picked}
else:
    betweenness = nx.betweenness_centrality(graph, weight="distance")
    closeness = nx.closeness_centrality(graph, distance="distance")
paths, paths_cpu = time.perf_counter() - paths_start, time.process_time() - paths_cpu
eigenvector = nx.eigenvector_centrality_numpy(graph, weight="weight")
communities = nx.community.louvain_communities(graph, weight="weight", seed=42)
community = {node: i for i, group in enumerate(communities) for node in group}

nodes = pd.DataFrame({"term": list(graph.nodes)})
nodes["freq"] = nodes["term"].map(freq)
for name, values in [("degree", degree), ("weighted_degree", strength),
                     ("betweenness", betweenness), ("closeness", closeness),
                     ("eigenvector", eigenvector), ("community", community)]:
    nodes[name] = nodes["term"].map(values)
nodes.to_csv(out + "_nodes.csv", index=False)
nx.to_pandas_edgelist(graph).to_csv(out + "_edges.csv", index=False)
total = time.perf_counter() - start
if sources:
    n = graph.number_of_nodes()
    cpu = time.process_time()
    print(f"measured {total:.2f} s (CPU {cpu:.2f} s), of which betweenness + closeness from "
          f"{sources} of {n} sources {paths:.2f} s (CPU {paths_cpu:.2f} s); extrapolated CPU "
          f"{cpu + paths_cpu * (n / sources - 1):.1f} s")
    total += paths * (n / sources - 1)
print(total)
