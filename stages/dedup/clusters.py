"""From verified pairs to clusters and the one document each cluster keeps."""
from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def clusters(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(member keys ascending, cluster label per member) of the graph the pairs draw."""
    if len(pairs) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    nodes, inverse = np.unique(pairs.ravel(), return_inverse=True)
    edges = inverse.reshape(-1, 2)
    graph = coo_matrix((np.ones(len(edges), np.int8), (edges[:, 0], edges[:, 1])),
                       shape=(len(nodes), len(nodes)))
    _, labels = connected_components(graph, directed=False)
    return nodes, labels.astype(np.int64)


def choose_kept(nodes: np.ndarray, labels: np.ndarray,
                keep: Literal["first", "longest", "highest_score"],
                lengths: np.ndarray | None = None, scores: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per member: the key of its cluster's kept document, and the cluster id (smallest key).

    Ties (equal length or score) go to the earliest document, so the choice is deterministic."""
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
