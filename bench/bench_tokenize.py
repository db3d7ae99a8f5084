"""Tokenize stage end to end (read Parquet documents, encode through Ray, shuffle, write token
shards + manifest) vs the raw library's fastest call, `Tokenizer.encode_batch_fast` (no offsets;
the call our stage makes), on the same texts, in one process using every core (Rust's pool).

    python -m bench.bench_tokenize [--quick]

Input: 2-4 KB documents cut from real English (tinyshakespeare, wikitext-2) and Chinese
(CLUECorpusSmall) text, repeated to ~24 MB (8 MB quick); a 32k byte-level BPE (CJK
pre-tokenizer) trained once on that text. Ray is started before timing (its ~2 s start-up is a
per-run constant, not throughput). Alternating runs, median of repeats. Peak memory: the
largest resident set of any Ray worker is not measured here (see notes).
"""
from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.fertility import DATA

DOC_SIZES = (2000, 3000, 4000)


def documents(target_bytes: int) -> list[str]:
    with gzip.open(DATA / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        zh = f.read()
    en = (DATA / "text" / "tinyshakespeare.txt").read_text(encoding="utf-8")
    en += (DATA / "text" / "wikitext-2_valid.txt").read_text(encoding="utf-8")
    docs, i = [], 0
    for text in (en, zh):
        pos = 0
        while pos < len(text):
            n = DOC_SIZES[i % 3] // (3 if text is zh else 1)  # ~2-4 KB of UTF-8 either way
            docs.append(text[pos:pos + n])
            pos, i = pos + n, i + 1
    out, total = [], 0
    while total < target_bytes:
        for d in docs:
            out.append(d)
            total += len(d.encode())
    return out


def run(quick: bool = False) -> list[dict]:
    from pipeline.documents import documents_table
    from pipeline.executor import start_ray
    from pipeline.global_context import GlobalContext
    from pipeline.shards import StageDir
    from pipeline.stage import Result
    from stages.tokenize import Tokenize, bpe

    texts = documents((8 if quick else 24) << 20)
    root = Path(tempfile.mkdtemp(prefix="bench_tok_"))
    try:
        tok = bpe.train_tokenizer(bpe.TokenizerSpec(vocab_size=32000), texts[: len(texts) // 6])
        tok.save(str(root / "tok.json"))
        inp = StageDir(root / "in")
        per = 2000
        for k in range(0, len(texts), per):
            part = [dict(id=str(k + j), source="bench", text=t) for j, t in enumerate(texts[k:k + per])]
            inp.write_shard(f"s{k // per:04d}", None, Result(documents_table(part)), 0, 0, docs_in=len(part))
        start_ray()
        stage = Tokenize(tokenizer=bpe.TokenizerSpec(path=str(root / "tok.json")))
        ours, raw = [], []
        n_tokens = 0
        for rep in range(2 if quick else 3):
            t0 = time.perf_counter()
            n_tokens = sum(len(e.ids) for e in tok.encode_batch_fast(texts, add_special_tokens=False)) + len(texts)
            raw.append(n_tokens / (time.perf_counter() - t0))
            out = root / f"out{rep}"
            t0 = time.perf_counter()
            stage.run(GlobalContext("tokenize", inp, StageDir(out), seed=0, removed_samples=0))
            ours.append(n_tokens / (time.perf_counter() - t0))
            shutil.rmtree(out)
        o, b = statistics.median(ours), statistics.median(raw)
        return [{"what": "tokenize stage end to end vs raw encode_batch_fast (32k BPE, 2-4 KB docs)",
                 "ours": round(o / 1e6, 3), "baseline": round(b / 1e6, 3), "ratio": round(o / b, 3),
                 "unit": "M tokens/s",
                 "notes": f"{len(texts)} docs, {n_tokens} tokens; ours includes Parquet read, shuffle, "
                          f"shard write + sha256, manifest, through Ray on 2 CPUs (Ray already started: its "
                          f"start is a per-run constant); baseline: one encode_batch_fast call over all texts, "
                          f"its Rust pool on both cores; median of {len(ours)} alternating"}]
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    for r in run(ap.parse_args().quick):
        print(r)
