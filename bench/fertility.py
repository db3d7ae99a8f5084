"""Fertility report: tokens per 1,000 characters, per language, for BPE tokenizers of the same
vocabulary size trained on the same mixed zh+en text, differing only in pre-tokenisation:
HF's default ByteLevel regex vs our CJK-aware split (runs of Han/kana cut into <= k chars).

    python -m bench.fertility [--vocab 16000] [--quick]

Training text: zh/text CLUECorpusSmall (first 2,000 docs) + tinyshakespeare + wikitext-2 valid.
Evaluation: held-out CLUECorpus docs (last 500) and text/multilingual_sentences.tsv (per language).
Lower is better (fewer tokens for the same text).
"""
from __future__ import annotations

import argparse
import csv
import gzip
import sys
import time
from pathlib import Path

from stages.tokenize import bpe

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def corpora(quick: bool):
    with gzip.open(DATA / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        zh = [l.rstrip("\n") for l in f]
    en = (DATA / "text" / "tinyshakespeare.txt").read_text(encoding="utf-8")
    en += (DATA / "text" / "wikitext-2_valid.txt").read_text(encoding="utf-8")
    en_docs = [en[i:i + 3000] for i in range(0, len(en), 3000)]
    train = zh[:2000] + (en_docs[:300] if quick else en_docs)
    evals: dict[str, list[str]] = {"zh (CLUE held-out)": zh[2000:]}
    with open(DATA / "text" / "multilingual_sentences.tsv", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            evals.setdefault(r["lang_iso639_1"], []).append(r["text"])
    return train, evals


def fertility(tok, texts: list[str]) -> float:
    n = sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False))
    return 1000.0 * n / sum(len(t) for t in texts)


def run(quick: bool = False, vocab: int = 16000) -> list[dict]:
    train, evals = corpora(quick)
    vocab = 4000 if quick else vocab
    variants = {"bytelevel": bpe.TokenizerSpec(vocab_size=vocab, pretokenizer="bytelevel")}
    for k in ((2,) if quick else (1, 2, 3, 4)):
        variants[f"cjk<={k}"] = bpe.TokenizerSpec(vocab_size=vocab, pretokenizer="cjk", cjk_max_chars=k)
    toks = {}
    for name, spec in variants.items():
        t0 = time.perf_counter()
        toks[name] = bpe.train_tokenizer(spec, train)
        print(f"trained {name} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    rows = []
    langs = ["zh (CLUE held-out)", "zh", "ja", "ko", "en", "de", "ru", "ar", "hi", "th"]
    if not quick:
        langs += sorted(set(evals) - set(langs))
    for lang in langs:
        base = fertility(toks["bytelevel"], evals[lang])
        for name in variants:
            if name == "bytelevel":
                continue
            ours = fertility(toks[name], evals[lang])
            rows.append({"what": f"fertility {lang} ({name} vs bytelevel, vocab {vocab})",
                         "ours": round(ours, 1), "baseline": round(base, 1),
                         "ratio": round(ours / base, 3), "unit": "tokens/1000 chars (lower is better)",
                         "notes": f"{len(evals[lang])} texts"})
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--vocab", type=int, default=16000)
    a = ap.parse_args()
    for r in run(a.quick, a.vocab):
        print(f"{r['what']:<60} ours {r['ours']:>7} base {r['baseline']:>7} ratio {r['ratio']}")
