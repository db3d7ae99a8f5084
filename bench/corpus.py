"""Benchmark corpus: documents recombined from real text, with near-duplicates at a known rate.

Sentences come from real text in shared/data (WikiText-2 validation, scrapinghub article
bodies, CCNet Common Crawl documents; CLUECorpusSmall for Chinese). An original document is a
random run of sentences grouped into paragraphs until it reaches 2-4 KB, so documents are
distinct but read like real prose. A near-duplicate copies an earlier original and applies one
mutation at a drawn rate:

    edit        replace/insert/delete a fraction of words (characters for Chinese) at random
    insert      add new paragraphs
    delete      drop paragraphs
    reorder     shuffle the paragraph order
    boilerplate change header/footer lines (date, share buttons, copyright), as re-crawls do

`metadata` records {"family": id of the original, "mutation": kind, "rate": rate}, so a test
can compute ground-truth pairs. Output is Parquet shards in the pipeline's document schema.

    python -m bench.corpus --docs 100000 --dup-rate 0.1 --out /tmp/corpus
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.documents import documents_table

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MUTATIONS = ("edit", "insert", "delete", "reorder", "boilerplate")
_EN_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_ZH_SPLIT = re.compile(r"(?<=[。！？!?])")


def english_sentences(shared: Path = SHARED) -> list[str]:
    texts = []
    for line in (shared / "text" / "wikitext-2_valid.txt").read_text().split("\n"):
        line = line.strip()
        if len(line) > 100 and not line.startswith("="):
            texts.append(line.replace(" @-@ ", "-").replace(" @,@ ", ",").replace(" @.@ ", ".")
                         .replace(" ,", ",").replace(" .", "."))
    truth = json.loads((shared / "html" / "scrapinghub" / "ground-truth.json").read_text())
    texts += [v["articleBody"] for v in truth.values()]
    for name in ("ccnet_cc_en_head-0091.jsonl.gz", "ccnet_cc_en_head-0174.jsonl.gz"):
        with gzip.open(shared / "text" / name, "rt") as f:
            texts += [json.loads(line)["text"] for line in f]
    out = []
    for t in texts:
        for para in t.split("\n"):
            out += [s.strip() for s in _EN_SPLIT.split(para) if len(s.split()) >= 6]
    return out


def chinese_sentences(shared: Path = SHARED) -> list[str]:
    with gzip.open(shared / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt") as f:
        docs = f.read().split("\n")
    return [s.strip() for d in docs for s in _ZH_SPLIT.split(d) if len(s.strip()) >= 12]


@dataclass
class Pools:
    en: list[str]
    zh: list[str]

    @classmethod
    def load(cls, shared: Path = SHARED) -> "Pools":
        return cls(english_sentences(shared), chinese_sentences(shared))


def original(rng: random.Random, pool: list[str], lang: str) -> str:
    """Sentences from a random starting point, 2-6 per paragraph, until 2-4 KB of UTF-8."""
    target = rng.randint(2048, 4096)
    joiner = "" if lang == "zh" else " "
    paras, size, i = [], 0, rng.randrange(len(pool))
    while size < target:
        k = rng.randint(2, 6)
        sents = [pool[(i + j) % len(pool)] for j in range(k)]
        i = rng.randrange(len(pool)) if rng.random() < 0.5 else i + k
        para = joiner.join(sents)
        paras.append(para)
        size += len(para.encode("utf-8")) + 2
    return "\n\n".join(paras)


def mutate(rng: random.Random, text: str, pool: list[str], lang: str, kind: str, rate: float) -> str:
    paras = text.split("\n\n")
    if kind == "edit":
        units = list(text) if lang == "zh" else text.split(" ")
        filler = [c for s in rng.sample(pool, 3) for c in (s if lang == "zh" else s.split())]
        out = []
        for u in units:
            r = rng.random()
            if r < rate / 3:
                continue                                   # delete
            if r < 2 * rate / 3:
                out.append(rng.choice(filler))              # substitute
                continue
            out.append(u)
            if r < rate:
                out.append(rng.choice(filler))              # insert
        return ("" if lang == "zh" else " ").join(out)
    if kind == "insert":
        n = max(1, round(rate * len(paras)))
        for _ in range(n):
            paras.insert(rng.randint(0, len(paras)), ("" if lang == "zh" else " ").join(rng.sample(pool, 3)))
        return "\n\n".join(paras)
    if kind == "delete":
        n = min(len(paras) - 1, max(1, round(rate * len(paras))))
        for _ in range(n):
            paras.pop(rng.randrange(len(paras)))
        return "\n\n".join(paras)
    if kind == "reorder":
        rng.shuffle(paras)
        return "\n\n".join(paras)
    # boilerplate: page chrome around the same article, as two crawls of one page differ
    day = rng.randint(1, 28)
    head = (f"发布时间：2024年{rng.randint(1, 12)}月{day}日 分享到微信 微博" if lang == "zh"
            else f"Posted on March {day}, 2024 | Share on Facebook | Tweet | Email")
    foot = ("版权所有 © 2024 本站 保留所有权利" if lang == "zh"
            else f"Copyright © {rng.randint(2015, 2024)} Example Media. All rights reserved.")
    return "\n\n".join([head] + paras + [foot] * (1 + int(rate * 10)))


def generate(n_docs: int, dup_rate: float = 0.1, zh_share: float = 0.3, seed: int = 0,
             pools: Pools | None = None, rates: tuple[float, float] = (0.0, 0.3)) -> list[dict]:
    """`n_docs` documents; each is a near-duplicate of an earlier original with p=dup_rate."""
    rng = random.Random(seed)
    pools = pools or Pools.load()
    docs: list[dict] = []
    originals: list[int] = []
    for i in range(n_docs):
        if originals and rng.random() < dup_rate:
            src = docs[rng.choice(originals)]
            lang = src["lang"]
            kind = rng.choice(MUTATIONS)
            rate = round(rng.uniform(*rates), 4)
            if kind == "edit":
                rate = round(rate / 5, 4)   # word edits hurt 5-gram shingles ~5x harder
            text = mutate(rng, src["text"], pools.zh if lang == "zh" else pools.en, lang, kind, rate)
            meta = {"family": src["id"], "mutation": kind, "rate": rate, "lang": lang}
        else:
            lang = "zh" if rng.random() < zh_share else "en"
            text = original(rng, pools.zh if lang == "zh" else pools.en, lang)
            meta = {"family": f"doc{i:07d}", "mutation": "original", "rate": 0.0, "lang": lang}
            originals.append(i)
        docs.append({"id": f"doc{i:07d}", "source": f"site{i % 7}", "url": f"https://example.org/{i}",
                     "text": text, "metadata": meta, "lang": lang})
    return docs


def write_shards(docs: list[dict], out: Path, shard_docs: int = 10_000) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, start in enumerate(range(0, len(docs), shard_docs)):
        table = documents_table(docs[start: start + shard_docs])
        path = out / f"{n:05d}.parquet"
        pq.write_table(table, path, compression="zstd")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--dup-rate", type=float, default=0.1)
    ap.add_argument("--zh-share", type=float, default=0.3)
    ap.add_argument("--shard-docs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    pools = Pools.load()
    written = 0
    # Generate in slices so a 1M-document corpus never sits in memory at once; originals of a
    # slice only duplicate within that slice (a family stays within one slice).
    slice_docs = max(a.shard_docs, 100_000)
    for n, start in enumerate(range(0, a.docs, slice_docs)):
        docs = generate(min(slice_docs, a.docs - start), a.dup_rate, a.zh_share, a.seed + n, pools)
        for d in docs:
            d["id"] = f"s{n:03d}-{d['id']}"
            d["metadata"]["family"] = f"s{n:03d}-{d['metadata']['family']}"
        write_shards(docs, a.out / f"slice{n:03d}", a.shard_docs)
        written += len(docs)
    print(f"wrote {written} documents under {a.out}")


if __name__ == "__main__":
    main()


# -- ground truth for near-duplicate accuracy --------------------------------------------------------
def true_jaccard_pairs(texts: list[str], min_jaccard: float = 0.8, shingling=None) -> dict[tuple[int, int], float]:
    """Every document pair (i < j) whose exact shingle-set Jaccard is >= min_jaccard.

    Shingles are the stage's own (same segmentation and n-gram size); all pairs are compared
    through one sparse incidence-matrix product, so nothing is assumed about unrelated docs."""
    import numpy as np
    import pyarrow as pa
    from scipy.sparse import csr_matrix

    from stages.dedup.minhash import Shingling, item_lists, shingle_hash_arrays
    shingling = shingling or Shingling()
    items, sizes = item_lists(pa.array(texts, pa.string()), shingling)
    sets = [np.unique(h) for h in shingle_hash_arrays(items, sizes)]
    vocab, inverse = np.unique(np.concatenate(sets), return_inverse=True)
    indptr = np.r_[0, np.cumsum([len(s) for s in sets])]
    m = csr_matrix((np.ones(len(inverse), np.float32), inverse, indptr), shape=(len(sets), len(vocab)))
    inter = (m @ m.T).tocoo()
    sizes_ = np.array([len(s) for s in sets], np.float64)
    keep = inter.row < inter.col
    r, c, v = inter.row[keep], inter.col[keep], inter.data[keep]
    j = v / (sizes_[r] + sizes_[c] - v)
    sel = j >= min_jaccard
    return {(int(a), int(b)): float(x) for a, b, x in zip(r[sel], c[sel], j[sel])}


def pair_accuracy(ids: list[str], truth: dict[tuple[int, int], float], removed_ids: list[str],
                  duplicate_of: list[str]) -> dict[str, float]:
    """Precision of removed (document, duplicate_of) pairs against true pairs, and recall of
    true pairs (both documents ended up in one cluster, so all but one copy is gone)."""
    pos = {d: i for i, d in enumerate(ids)}
    label = {d: d for d in ids}
    for r, k in zip(removed_ids, duplicate_of):
        label[r] = k
    truth_set = set(truth)
    removed_pairs = [tuple(sorted((pos[r], pos[k]))) for r, k in zip(removed_ids, duplicate_of)]
    tp_removed = sum(p in truth_set for p in removed_pairs)
    found = sum(label[ids[a]] == label[ids[b]] for a, b in truth_set)
    return {"precision": tp_removed / len(removed_pairs) if removed_pairs else 1.0,
            "recall": found / len(truth_set) if truth_set else 1.0,
            "removed_pairs": len(removed_pairs), "true_pairs": len(truth_set)}
