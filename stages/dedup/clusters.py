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
A task holds the edges of its partition only (one huge cluster still lands in one partition:
its star is the size of the cluster).

Then each member's length and score travel to its centre's partition (`members_task`), where
the kept document is chosen (`choose_kept`), and the removals are written sorted by the removed
document's shard, so that each shard's task reads only its own byte range.
"""
from __future__ import annotations

from typing import Literal

import numpy as np

from pipeline import storage
from stages.dedup.common import split_keys
from stages.dedup.lsh import mix, partition_of, read_partition, spill_files, write_partitioned, write_records

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


def _unique_edges(rec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(src, dst) without repeats, sorted by src then dst."""
    order = np.lexsort((rec["dst"], rec["src"]))
    s, d = rec["src"][order], rec["dst"][order]
    keep = np.r_[True, (s[1:] != s[:-1]) | (d[1:] != d[:-1])] if len(s) else np.zeros(0, bool)
    return s[keep], d[keep]


def star_step(kind: Literal["large", "small"], in_dir: str, p: int, out_dir: str,
              partitions: int) -> tuple[int, int]:
    """Ray task: one large- or small-star step over node partition p. Returns (edge records
    written, unsettled nodes in the input: nodes with a smaller neighbour and more than one)."""
    src, dst = _unique_edges(read_partition(spill_files(in_dir, ".edges"), p, EDGE))
    head = np.r_[True, src[1:] != src[:-1]] if len(src) else np.zeros(0, bool)
    group = np.cumsum(head) - 1
    lowest = np.minimum(src[head], dst[head])[group]        # m of each record's node
    degree = np.bincount(group, minlength=int(head.sum()))
    unsettled = int(((dst[head] < src[head]) & (degree > 1)).sum())
    if kind == "large":
        sel = dst > src
        a, b = dst[sel], lowest[sel]
    else:
        sel = (dst < src) & (dst != lowest)
        leaves = head & (lowest < src)
        a, b = np.r_[dst[sel], src[leaves]], np.r_[lowest[sel], lowest[leaves]]
    return write_edges(storage.join(out_dir, f"{p:06d}.edges"), a, b, partitions), unsettled


def components(ctx, edges_dir, partitions: int) -> tuple[object, int]:
    """Alternate large- and small-star steps until every component is a star; returns the
    folder of the final edge generation and the number of steps run."""
    current, steps = storage.path(edges_dir), 0
    while True:
        large = storage.path(edges_dir).with_name(f"edges-{steps + 1}")
        res = ctx.map(star_step, [("large", storage.url(current), p, storage.url(large), partitions)
                                  for p in range(partitions)])
        steps += 1
        if sum(r[1] for r in res) == 0:
            storage.remove(large)            # a star's large-star step changes nothing
            return current, steps
        small = storage.path(edges_dir).with_name(f"edges-{steps + 1}")
        ctx.map(star_step, [("small", storage.url(large), p, storage.url(small), partitions)
                            for p in range(partitions)])
        steps += 1
        storage.remove(large)
        if current != storage.path(edges_dir):
            storage.remove(current)
        current = small


def members_task(stars_dir: str, attrs_dir: str, p: int, members_dir: str, partitions: int) -> None:
    """Ray task: each clustered document of node partition p, with its length and score, sent
    to its cluster centre's partition."""
    src, dst = _unique_edges(read_partition(spill_files(stars_dir, ".edges"), p, EDGE))
    leaf = src > dst
    centers = np.unique(src[~leaf])
    rec = np.empty(int(leaf.sum()) + len(centers), MEMBER)
    rec["center"] = np.r_[dst[leaf], centers]
    rec["key"] = np.r_[src[leaf], centers]
    attrs = read_partition(spill_files(attrs_dir, ".attrs"), p, ATTR)
    attrs = attrs[np.unique(attrs["key"], return_index=True)[1]]   # a document seen by several tasks
    pos = np.searchsorted(attrs["key"], rec["key"])               # every member has its attributes
    rec["length"], rec["score"] = attrs["length"][pos], attrs["score"][pos]
    write_partitioned(storage.join(members_dir, f"{p:06d}.members"), rec,
                      node_partition(rec["center"], partitions), partitions)


def choose_task(members_dir: str, p: int, keep: str, decisions_dir: str, n_shards: int) -> tuple[int, int]:
    """Ray task: the kept document of each cluster centred in partition p; the others are written
    as (removed key, cluster id, kept key), sorted by the removed document's shard. Returns
    (clusters, removed)."""
    rec = read_partition(spill_files(members_dir, ".members"), p, MEMBER)
    centers, labels = np.unique(rec["center"], return_inverse=True)
    kept, cluster = choose_kept(rec["key"], labels.ravel(), keep, rec["length"], rec["score"])
    gone = kept != rec["key"]
    out = np.empty(int(gone.sum()), DECISION)
    out["dup"], out["cluster"], out["kept"] = rec["key"][gone], cluster[gone], kept[gone]
    out = out[np.argsort(out["dup"], kind="stable")]
    shard_of, _ = split_keys(out["dup"])
    write_records(storage.join(decisions_dir, f"{p:06d}.decisions"), out,
                  np.searchsorted(shard_of, np.arange(n_shards + 1)).astype(np.int64))
    return len(centers), len(out)


def choose_kept(nodes: np.ndarray, labels: np.ndarray,
                keep: Literal["first", "longest", "highest_score"],
                lengths: np.ndarray | None = None, scores: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per member: the key of its cluster's kept document, and the cluster id (smallest key).

    `labels` number the clusters 0..n-1. Ties (equal length or score) go to the earliest
    document, so the choice is deterministic."""
    if len(nodes) == 0:
        return nodes, nodes
    if keep == "first":
        rank = [nodes, labels]
    elif keep == "longest":
        rank = [nodes, -np.asarray(lengths, np.int64), labels]
    else:
        s = np.asarray(scores, np.float64)
        rank = [nodes, -np.where(np.isnan(s), -np.inf, s), labels]
    order = np.lexsort(rank)   # grouped by label, best first
    lab = labels[order]
    head = np.r_[True, lab[1:] != lab[:-1]]
    kept_of_label = np.empty(labels.max() + 1, np.int64)
    kept_of_label[lab[head]] = nodes[order][head]
    cluster_of_label = np.full(labels.max() + 1, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(cluster_of_label, labels, nodes)
    return kept_of_label[labels], cluster_of_label[labels]
