"""From verified pairs to clusters and the one document each cluster keeps, with no structure
of the size of the data in any one process.

Connected components are found on edge spill files partitioned by node (a hash of the document
key), with the alternating large-star / small-star steps of Kiveris et al., "Connected Components
in MapReduce and Beyond" (SoCC 2014), also what text-dedup's Spark MinHash uses. Every edge is
stored in both directions, so the task of partition p sees every neighbour of its nodes:

    large-star  node u, m = min(u, neighbours): each neighbour v > u is linked to m instead of u
    small-star  node u, m = min(u, neighbours < u): u and those neighbours are linked to m

Each step is one Ray task per node partition writing a new spill generation; O(log n) rounds
end in one star per component around its smallest key, which is the cluster id. The rounds stop
when no node has both a smaller neighbour and a second neighbour (every component is a star).

A cluster of a million copies puts a million edges on its centre's node: no task holds them at
once. A star step reads its partition twice, one input file at a time: first each node's
smallest and largest neighbour (all a step needs to know of a node: its m, and whether it has a
second neighbour), then each edge is mapped on its own and written out in bounded files
(lsh.Chunks). Repeated edges are harmless (min and max do not count) and each file drops its own.

Then each member's length and score travel to its centre's partition (`members_task`; a node is
a leaf of one centre, and its edges are in its own partition); there the kept document of each
cluster is found the same way, in two passes over the member files (the best member per centre,
then one removal per other member), and the removals are written sorted by the removed
document's shard, so that each shard's task reads only its own byte range.
"""
from __future__ import annotations

from typing import Literal

import numpy as np

from pipeline import storage
from stages.dedup.common import split_keys
from stages.dedup.lsh import Chunks, Spill, mix, partition_of, write_partitioned, write_records

EDGE = np.dtype([("src", np.int64), ("dst", np.int64)])
ATTR = np.dtype([("key", np.int64), ("length", np.int64), ("score", np.float64)])
MEMBER = np.dtype([("center", np.int64), ("key", np.int64), ("length", np.int64), ("score", np.float64)])
DECISION = np.dtype([("dup", np.int64), ("cluster", np.int64), ("kept", np.int64)])


def node_partition(keys: np.ndarray, partitions: int) -> np.ndarray:
    return partition_of(mix(keys), partitions)


def write_edges(path, a: np.ndarray, b: np.ndarray, partitions: int) -> int:
    """Undirected edges {a, b}, stored in both directions, partitioned by their source."""
    rec = np.empty(2 * len(a), EDGE)
    rec["src"], rec["dst"] = np.r_[a, b], np.r_[b, a]
    write_partitioned(path, rec, node_partition(rec["src"], partitions), partitions)
    return len(rec)


def _min_max(nodes: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct node (sorted): the smallest `lo` and the largest `hi` of its records."""
    order = np.argsort(nodes, kind="stable")
    n = nodes[order]
    if not len(n):
        return n, lo[:0], hi[:0]
    starts = np.flatnonzero(np.r_[True, n[1:] != n[:-1]])
    return n[starts], np.minimum.reduceat(lo[order], starts), np.maximum.reduceat(hi[order], starts)


def _edge_writer(out_dir: str, p: int, partitions: int) -> Chunks:
    def write(n: int, rec: np.ndarray) -> None:
        rec = np.unique(rec)
        write_edges(storage.join(out_dir, f"{p:06d}-{n:05d}.edges"), rec["src"], rec["dst"], partitions)
    return Chunks(write, EDGE)


def _edges(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    rec = np.empty(len(a), EDGE)
    rec["src"], rec["dst"] = a, b
    return rec


def star_step(kind: Literal["large", "small"], edges: Spill, p: int, out_dir: str,
              partitions: int) -> tuple[int, int]:
    """Ray task: one large- or small-star step over node partition p (`edges`: its part of every
    edge file). Returns (edge records written, unsettled nodes in the input: nodes with a smaller
    neighbour and more than one)."""
    parts = [_min_max(r["src"], r["dst"], r["dst"]) for r in edges.each(EDGE)]
    nodes, low, high = _min_max(*(np.concatenate([x[i] for x in parts]) if parts else np.zeros(0, np.int64)
                                  for i in range(3)))
    del parts
    lowest = np.minimum(nodes, low)                                  # m of each node
    unsettled = int(((low < nodes) & (low != high)).sum())
    out = _edge_writer(out_dir, p, partitions)
    for rec in edges.each(EDGE):
        src, dst = rec["src"], rec["dst"]
        m = lowest[np.searchsorted(nodes, src)]
        sel = (dst > src) if kind == "large" else (dst < src) & (dst != m)
        out.add(_edges(dst[sel], m[sel]))
    if kind == "small":
        leaves = lowest < nodes
        out.add(_edges(nodes[leaves], lowest[leaves]))
    return 2 * out.close(), unsettled


def components(ctx, edges_dir, partitions: int) -> tuple[object, int]:
    """Alternate large- and small-star steps until every component is a star; returns the
    folder of the final edge generation and the number of steps run."""
    current, steps = storage.path(edges_dir), 0
    while True:
        large = storage.path(edges_dir).with_name(f"edges-{steps + 1}")
        edges = Spill.of(current, ".edges")
        res = ctx.map(star_step, [("large", edges.part(p), p, storage.url(large), partitions)
                                  for p in range(partitions)])
        steps += 1
        if sum(r[1] for r in res) == 0:
            storage.remove(large)            # a star's large-star step changes nothing
            return current, steps
        small = storage.path(edges_dir).with_name(f"edges-{steps + 1}")
        edges = Spill.of(large, ".edges")
        ctx.map(star_step, [("small", edges.part(p), p, storage.url(small), partitions)
                            for p in range(partitions)])
        steps += 1
        storage.remove(large)
        if current != storage.path(edges_dir):
            storage.remove(current)
        current = small


def members_task(stars: Spill, attrs: Spill, p: int, members_dir: str, partitions: int) -> None:
    """Ray task: each clustered document of node partition p (`stars`, `attrs`: its part of the
    final edge files and of the attribute files), with its length and score, sent to its cluster
    centre's partition. A leaf's one edge is in p; a centre's many edges are read one file at a
    time and counted once."""
    leaves, centers = [], []
    for rec in stars.each(EDGE):
        leaf = rec["src"] > rec["dst"]
        leaves.append(np.unique(rec[leaf]))
        centers.append(np.unique(rec["src"][~leaf]))
    leaves = np.unique(np.concatenate([np.zeros(0, EDGE)] + leaves))
    centers = np.unique(np.concatenate([np.zeros(0, np.int64)] + centers))
    rec = np.empty(len(leaves) + len(centers), MEMBER)
    rec["center"] = np.r_[leaves["dst"], centers]
    rec["key"] = np.r_[leaves["src"], centers]
    attrs = attrs.read(ATTR)
    attrs = attrs[np.unique(attrs["key"], return_index=True)[1]]   # a document seen by several tasks
    pos = np.searchsorted(attrs["key"], rec["key"])               # every member has its attributes
    rec["length"], rec["score"] = attrs["length"][pos], attrs["score"][pos]
    write_partitioned(storage.join(members_dir, f"{p:06d}.members"), rec,
                      node_partition(rec["center"], partitions), partitions)


def _rank(rec: np.ndarray, keep: str) -> np.ndarray:
    """Lower is better; ties go to the smaller key (the earlier document)."""
    if keep == "first":
        return np.zeros(len(rec))
    if keep == "longest":
        return -rec["length"].astype(np.float64)
    return -np.where(np.isnan(rec["score"]), -np.inf, rec["score"])


def _best(centers: np.ndarray, rank: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct centre (sorted): the best (rank, key) of its members."""
    order = np.lexsort((keys, rank, centers))
    c = centers[order]
    head = np.r_[True, c[1:] != c[:-1]] if len(c) else np.zeros(0, bool)
    return c[head], rank[order][head], keys[order][head]


def choose_task(members: Spill, p: int, keep: str, decisions_dir: str, n_shards: int) -> tuple[int, int]:
    """Ray task: the kept document of each cluster centred in partition p (`members`: its part of
    the member files; the cluster id is the centre, its smallest key); the others are written as
    (removed key, cluster id, kept key), sorted by the removed document's shard, in bounded files.
    Two passes over the member files, one at a time: the best member per centre, then the
    removals. Returns (clusters, removed)."""
    parts = [_best(r["center"], _rank(r, keep), r["key"]) for r in members.each(MEMBER)]
    centers, _, kept = _best(*(np.concatenate([x[i] for x in parts]) if parts else np.zeros(0)
                               for i in range(3)))
    del parts

    def write(n: int, out: np.ndarray) -> None:
        out = out[np.argsort(out["dup"], kind="stable")]
        shard_of, _ = split_keys(out["dup"])
        write_records(storage.join(decisions_dir, f"{p:06d}-{n:05d}.decisions"), out,
                      np.searchsorted(shard_of, np.arange(n_shards + 1)).astype(np.int64))
    chunks = Chunks(write, DECISION)
    for rec in members.each(MEMBER):
        k = kept[np.searchsorted(centers, rec["center"])]
        gone = k != rec["key"]
        out = np.empty(int(gone.sum()), DECISION)
        out["dup"], out["cluster"], out["kept"] = rec["key"][gone], rec["center"][gone], k[gone]
        chunks.add(out)
    return len(centers), chunks.close()
