"""manifest.json for a token dataset, and the `validate-shards` command that re-checks it.

The manifest is written last (temp file + rename): a directory without one is unfinished.
It records what a trainer or an auditor needs: the tokenizer's hash (and, under `tokenizer`,
the requested vs trained vocabulary size -- training can stop short, here or in the mix that
trained it -- what a tokenizer accepted with allow_lossy loses: a reader decoding the tokens
would not get the text back, what a loaded file's post-processor adds around a text that the
documents do not get (`template_not_applied`), the `bos_token` id every document starts with, and
`max_id`, the largest id it can give: ids may have gaps, so an embedding table needs max_id + 1
rows, which may be more than vocab_size), the ids of its unknown token among the tokens encoded,
per source (`unknown_tokens`: text the tokenizer could not represent; null when it has none),
token dtype, packing, per-shard counts and sha256 checksums in reading order (phase by phase),
realised tokens per source, the mix report, and the versions of the packages that produced it.
`validate` also flags a tokenizer.json that is lossy when the manifest does not say so.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

from pipeline import storage

MANIFEST = "manifest.json"
FORMAT = "tokenmill-tokens/1"


def write_json_atomic(obj, path) -> None:
    storage.write_json_atomic(obj, path)


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("tokenmill", "tokenizers", "pyarrow", "numpy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "unknown"
    return out


def build_manifest(records: list[dict], tokenizer_info: dict, dtype: str, seq_len: int | None,
                   shuffled: bool, seed: int, recipe_hash: str | None, mix: dict | None,
                   documents_in: int, empty_documents: int, tokens_encoded: int,
                   unknown_tokens: dict | None = None) -> dict:
    sources: dict[str, dict[str, int]] = {}
    phases: dict[int, dict[str, int]] = {}
    for r in records:
        ph = phases.setdefault(r["phase"], {"phase": r["phase"], "tokens": 0, "documents": 0, "shards": 0})
        ph["tokens"] += r["tokens"]
        ph["documents"] += r["documents"]
        ph["shards"] += 1
        for s, row in r["sources"].items():
            acc = sources.setdefault(s, {"tokens": 0, "documents": 0})
            acc["tokens"] += row["tokens"]
            acc["documents"] += row["documents"]
    total = sum(r["tokens"] for r in records)
    for row in sources.values():
        row["share"] = round(row["tokens"] / total, 6) if total else 0.0
    return {
        "format": FORMAT,
        "versions": package_versions(),
        "recipe_hash": recipe_hash,
        "seed": seed,
        "tokenizer": tokenizer_info,
        "dtype": dtype,
        "seq_len": seq_len,
        "packed": seq_len is not None,
        "shuffled": shuffled,
        "shards": records,
        "phases": [phases[k] for k in sorted(phases)],
        "sources": dict(sorted(sources.items())),
        "mix": mix,
        "unknown_tokens": unknown_tokens,
        "totals": {
            "tokens": total,
            "documents": sum(r["documents"] for r in records),
            "sequences": sum(r["sequences"] for r in records),
            "bytes": sum(r["bytes"] for r in records),
            "documents_in": documents_in,
            "empty_documents": empty_documents,
            # Packing drops the last partial row of each phase.
            "tokens_dropped_packing": tokens_encoded - total,
        },
    }


def load_manifest(directory: str | Path) -> dict:
    p = storage.path(directory) / MANIFEST
    if not p.exists():
        raise FileNotFoundError(f"{p}: no manifest (the tokenize stage did not finish?)")
    m = storage.read_json(p)
    if m.get("format") != FORMAT:
        raise ValueError(f"{p}: unknown format {m.get('format')!r}, expected {FORMAT!r}")
    return m


def validate(directory: str | Path, deep: bool = True) -> list[str]:
    """Problems found (empty = valid): files present, checksums, and with `deep` the counts,
    dtype and id range re-read from every shard."""
    from stages.tokenize.bpe import load_tokenizer_checked, tokenizer_hash
    from stages.tokenize.encode import file_sha256, read_ipc
    d = storage.path(directory)
    try:
        m = load_manifest(d)
    except (FileNotFoundError, ValueError, json.JSONDecodeError) as e:
        return [str(e)]
    problems = []
    tinfo = m["tokenizer"]
    try:
        tok, _, lossy = load_tokenizer_checked(d / tinfo["file"], tinfo["eos_token"], allow_lossy=True)
        if tokenizer_hash(tok) != tinfo["sha256"]:
            problems.append(f"{tinfo['file']}: hash differs from the manifest")
        elif lossy and not tinfo.get("lossy"):
            problems.append(f"{tinfo['file']}: does not give text back exactly and the manifest does not "
                            f"say so (tokenizer.lossy): {lossy}")
    except ValueError as e:
        problems.append(str(e))
    eos, dtype = tinfo["eos_id"], np.dtype(m["dtype"])
    # Ids may have gaps (max_id >= vocab_size); a manifest written before max_id has vocab_size only.
    vocab = max(tinfo["vocab_size"], tinfo.get("max_id", -1) + 1)
    for rec in m["shards"]:
        path = d / rec["file"]
        if not path.exists():
            problems.append(f"{rec['file']}: missing")
            continue
        if path.stat().st_size != rec["bytes"]:
            problems.append(f"{rec['file']}: {path.stat().st_size} bytes, manifest says {rec['bytes']}")
            continue
        if file_sha256(path) != rec["sha256"]:
            problems.append(f"{rec['file']}: sha256 differs from the manifest")
            continue
        if not deep:
            continue
        col = read_ipc(path).column("input_ids").combine_chunks()
        flat = col.flatten().to_numpy(zero_copy_only=False)
        if flat.dtype != dtype:
            problems.append(f"{rec['file']}: ids are {flat.dtype}, manifest says {dtype}")
        got = {"tokens": int(len(flat)), "documents": int((flat == eos).sum()), "sequences": len(col)}
        for k, v in got.items():
            if v != rec[k]:
                problems.append(f"{rec['file']}: {k} = {v}, manifest says {rec[k]}")
        if len(flat) and int(flat.max()) >= vocab:
            problems.append(f"{rec['file']}: token id {int(flat.max())} >= vocab size {vocab}")
        if m["packed"] and col.type.list_size != m["seq_len"] + 1:
            problems.append(f"{rec['file']}: rows of {col.type.list_size} tokens, expected {m['seq_len'] + 1}")
    listed = {r["file"] for r in m["shards"]}
    extra = sorted(n for n in storage.names(d, ".arrow") if n.startswith("tokens-") and n not in listed)
    if extra:
        problems.append(f"shards not in the manifest: {', '.join(extra)}")
    return problems


def cli_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipeline validate-shards",
                                 description="Re-check token shards against their manifest.json.")
    ap.add_argument("directory", help="the token dataset (holds manifest.json)")
    ap.add_argument("--quick", action="store_true", help="sizes and checksums only, no re-count")
    args = ap.parse_args(argv)
    problems = validate(args.directory, deep=not args.quick)
    if problems:
        for p in problems:
            print(f"INVALID {p}", file=sys.stderr)
        return 1
    m = load_manifest(args.directory)
    t = m["totals"]
    print(f"OK {len(m['shards'])} shards, {t['tokens']} tokens, {t['documents']} documents "
          f"({args.directory})")
    return 0


if __name__ == "__main__":
    sys.exit(cli_main(sys.argv[1:]))
