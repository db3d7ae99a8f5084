"""The `tokenize` stage: documents in, a shuffled token dataset out.

Output in `ctx.output_dir`: `tokenizer.json`, shards `tokens-p<phase>-<n>.arrow` (Arrow IPC
stream format, one record batch each: `datasets.Dataset.from_file` opens one directly, and
`pipeline.loaders` memory-maps them) and `manifest.json` written last (see manifest.py).

Curriculum: documents carry the `mix_phase` the mix stage gave them; phases are shuffled and
written separately and listed in order, so a reader that goes in manifest order sees the
schedule. The shuffle is global within a phase (across all input shards), in bounded memory;
with `shuffle: false` the documents keep their input order, in tasks of the same bounded size.
"""
from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import Field

from pipeline import storage
from pipeline.shards import stored_file
from pipeline.stage import GlobalStage, StageError
from stages.tokenize import bpe
from stages.tokenize.encode import encode_shard, shuffle_bucket, write_token_shard
from stages.tokenize.manifest import MANIFEST, build_manifest, write_json_atomic
from stages.tokenize.plan import ordered_buckets, plan_shards, shuffled_buckets
from stages.tokenize.sample import sample_texts

# Inherited from a preceding `mix` stage: the tokenizer it counted tokens with.
MIX_TOKENIZER = "tokenizer.json"
# A source whose encoded tokens are more than this share of unknown-token ids is warned about:
# text the tokenizer could not represent (emoji, a script it lacks) is gone from the dataset.
UNKNOWN_WARN_SHARE = 0.001

log = logging.getLogger("pipeline")


class Tokenize(GlobalStage):
    """Train or load a byte-level BPE tokenizer, encode every document, write token shards.

    `tokenizer` unset: use the tokenizer the preceding `mix` stage trained on the mixture and
    counted with (so the realised token shares are exactly the ones mix planned); when the
    input has none, train one with the default `TokenizerSpec` on a seeded sample of the input.
    """
    reads: ClassVar[frozenset[str]] = frozenset({"text"})
    adds: ClassVar[frozenset[str]] = frozenset()
    uses_seed = True

    tokenizer: bpe.TokenizerSpec | None = Field(
        default=None, description="load (`path`) or train a tokenizer; unset = inherit the mix stage's")
    seq_len: int | None = Field(default=None, gt=0, description="pack into rows of seq_len+1 tokens; "
                                "unset = one row per document")
    shard_bytes: int = Field(default=256 << 20, gt=0, le=1 << 31, description="max token bytes per output shard")
    bucket_bytes: int = Field(default=128 << 20, gt=0, description=(
        "tokens (in bytes) one shuffle task holds (bounds its memory); with shuffle off, the tasks "
        "take a phase's documents in consecutive runs of at most this size (one document at least)"))
    shuffle: bool = Field(default=True, description="seeded global shuffle of documents within each phase")
    megatron: bool = Field(default=False, description="also write every shard as a Megatron-LM / NeMo indexed "
                           "dataset (<shard>.bin + .idx, listed in the manifest under `megatron`)")
    bos_token: str | None = Field(default=None, description=(
        "Start every document with this special token's id (e.g. '<s>' for a tokenizer whose "
        "post-processor puts it first: that template is not applied, see the manifest's "
        "tokenizer.template_not_applied); unset = documents start with their text. A trained tokenizer "
        "needs it among its special_tokens. After a mix, each document is one token longer than the "
        "mix counted."))

    def check_recipe(self, recipe, stage_id: str) -> None:
        """At load: a tokenizer file that exists, holds its eos_token and gives text back exactly
        (unless `allow_lossy`: see bpe.py); and after a mix, the mix's tokenizer: the mix plans
        its token shares with its own tokenizer, so a tokenize that trained or loaded another one
        realised other shares (planned 50/50, written 46/54) with no warning. A `tokenizer:` here
        after a mix is refused unless it loads the same file as the mix's (`path`); a tokenize that
        inherits it must come right after the mix (elsewhere it would silently train another one)."""
        ids = [s.id for s in recipe.stages]
        if ids.index(stage_id) != len(ids) - 1:
            raise ValueError(f"must be the last stage: it writes a token dataset, not documents, so "
                             f"{ids[ids.index(stage_id) + 1]!r} after it would get no input")
        if self.tokenizer is not None:
            bpe.check_tokenizer_file(self.tokenizer)
        from stages.mix import Mix
        me = ids.index(stage_id)
        mixes = [i for i, s in enumerate(recipe.stages[:me]) if isinstance(s.stage, Mix)]
        if self.bos_token is not None:   # a special token of the tokenizer this stage will use
            bpe.check_bos_token(self.tokenizer or (recipe.stages[mixes[-1]].stage.tokenizer if mixes
                                                   else bpe.TokenizerSpec()), self.bos_token)
        if not mixes:
            return
        mix_id, mix_spec = ids[mixes[-1]], recipe.stages[mixes[-1]].stage.tokenizer
        if self.tokenizer is not None:
            if self.tokenizer.path and (self.tokenizer.path, self.tokenizer.eos_token) == (
                    mix_spec.path, mix_spec.eos_token):
                return      # the very file (and separator) the mix counted with: the same tokenizer
            raise ValueError(f"tokenizer: set here, but {mix_id!r} planned its token shares with its own "
                             f"tokenizer, so another one here would realise other shares than the planned "
                             f"ones; put these options under the `tokenizer:` of {mix_id!r} and leave tokenize's "
                             f"unset (it inherits the mix's)")
        if mixes[-1] != me - 1:
            raise ValueError(f"inherits the tokenizer of {mix_id!r} only when it comes right after it; "
                             f"move it there (or give both the same `tokenizer: {{path: ...}}`)")

    def run(self, ctx) -> None:
        out = ctx.output_dir
        mix_report = _read_mix_report(ctx)             # read once: the tokenizer and the manifest use it
        tok, origin, eos_token, turned_off, lossy = self._resolve_tokenizer(ctx, mix_report)
        spec = self.tokenizer or bpe.TokenizerSpec()
        tok_json = bpe.tokenizer_json(tok)
        tok_hash = bpe.tokenizer_hash(tok)
        write_text_atomic(tok_json, out / "tokenizer.json")
        eos = bpe.eos_id(tok, eos_token)
        try:
            bos = bpe.bos_id(tok, self.bos_token, eos_token) if self.bos_token is not None else None
        except ValueError as e:
            raise StageError(f"tokenize: {e}") from None
        vocab = tok.get_vocab_size(with_added_tokens=True)
        # Only a trained tokenizer has a requested size (trained here, or by the mix: its mix.json
        # records it); training may stop short of it (bpe.vocab_shortfall, logged when it trained):
        # the manifest, the counters and a warning show both, whichever stage trained it.
        if origin == "trained":
            vocab_requested = spec.vocab_size
            shortfall = bpe.vocab_shortfall(spec, tok)
        else:
            vocab_requested = (mix_report or {}).get("tokenizer_vocab_size_requested") if origin == "from_mix" else None
            shortfall = bpe.shortfall_message(vocab_requested, tok, trained_by=" (by the mix stage)")
        # What a loaded file's post-processor adds around a text (<s> $A </s>): not applied.
        template = bpe.template_tokens(tok)
        template_warning = template and bpe.template_note(template, eos_token, self.bos_token)
        if template_warning:    # said here, once, knowing bos_token (not at each load of the file)
            log.warning("tokenizer: %s", template_warning)
        # From the largest id, not the number of tokens: a file's ids may have gaps.
        dtype = bpe.token_dtype(tok)
        max_id = bpe.token_id_limit(tok) - 1
        unk = bpe.unknown_token(tok)
        itemsize = np.dtype(dtype).itemsize

        shards = ctx.input_shards
        # Unshuffled, encode puts every document in bucket 0; the buckets are then cut from
        # the phase's documents in order (plan.ordered_buckets), which needs their lengths.
        n_buckets = self._bucket_count(ctx, shards, itemsize) if self.shuffle else 1
        scratch = ctx.scratch_dir
        spills = [storage.url(scratch / f"enc-{s}.arrow") for s in shards]
        enc = ctx.map(encode_shard, [
            (ctx.input_path(s), s, spill, tok_json, tok_hash, eos, dtype, ctx.seed, n_buckets, bos,
             unk and unk[1], not self.shuffle) for s, spill in zip(shards, spills)], phase="encode")
        unknown = unknown_tokens(enc, unk)
        segments = (shuffled_buckets(spills, enc) if self.shuffle
                    else ordered_buckets(spills, enc, max(1, self.bucket_bytes // itemsize)))
        keys = sorted(segments)
        bucket_files = {k: storage.url(scratch / f"bucket-p{k[0]:03d}-{k[1]:05d}.arrow") for k in keys}
        lens = ctx.map(shuffle_bucket, [(k[0], k[1], segments[k], bucket_files[k], ctx.seed, self.shuffle)
                                        for k in keys], phase="shuffle")
        jobs, job_phase = [], []
        for phase in sorted({k[0] for k in keys}):
            runs = [(bucket_files[k], l) for k, l in zip(keys, lens) if k[0] == phase and len(l)]
            planned = list(plan_shards(runs, self.shard_bytes // itemsize, self.seq_len))
            for i, job in enumerate(planned):
                jobs.append((storage.url(out / f"tokens-p{phase:03d}-{i:05d}.arrow"), *job,
                             self.seq_len + 1 if self.seq_len else None, eos, dtype, i == len(planned) - 1))
                job_phase.append(phase)
        records = ctx.map(write_token_shard, jobs, phase="write token shards")
        for rec, phase in zip(records, job_phase):
            rec["phase"] = phase
        megatron = None
        if self.megatron:       # .bin/.idx beside each shard: stages/tokenize/megatron.py
            from stages.tokenize.megatron import shard_to_megatron
            megatron = ctx.map(shard_to_megatron, [(job[0], dtype) for job in jobs], phase="megatron .bin/.idx")

        manifest = build_manifest(
            records=records, tokenizer_info={
                "file": "tokenizer.json", "sha256": tok_hash, "vocab_size": vocab, "max_id": max_id, "eos_id": eos,
                "eos_token": eos_token, "origin": origin, "vocab_size_requested": vocab_requested,
                "pretokenizer": spec.pretokenizer if origin == "trained" else None,
                "turned_off_on_load": turned_off,
                # What its post-processor adds around a text, which the documents do not get
                # ({"post_processor", "before", "after"}; None = nothing), and the bos_token option.
                "template_not_applied": template, "bos_token": self.bos_token, "bos_id": bos,
                # What a file accepted with allow_lossy loses (bpe.roundtrip_loss); None = exact.
                "lossy": lossy, "unknown_token": unk and unk[0]},
            dtype=dtype, seq_len=self.seq_len, shuffled=self.shuffle, seed=ctx.seed,
            recipe_hash=ctx.recipe_hash or None, mix=mix_report,
            documents_in=sum(r["docs_in"] for r in enc), empty_documents=sum(r["empty"] for r in enc),
            tokens_encoded=int(sum(int(l.sum()) for l in lens)), unknown_tokens=unknown)
        packing_counts(manifest, records)
        if ctx.recipe_path and Path(ctx.recipe_path).is_file():
            # The recipe itself, not only its hash: the dataset documents how it was made.
            manifest["recipe"] = {"path": ctx.recipe_path, "text": Path(ctx.recipe_path).read_text()}
        if megatron is not None:
            # data_path prefixes for Megatron-LM / NeMo, in reading order
            manifest["megatron"] = {"format": "MMIDIDX v1", "files": megatron}
        write_json_atomic(manifest, out / MANIFEST)
        ctx.count("tokens", manifest["totals"]["tokens"])
        ctx.count("documents", manifest["totals"]["documents"])
        ctx.count("shards", len(records))
        ctx.count("empty_documents", manifest["totals"]["empty_documents"])
        ctx.count("vocab_size", vocab)
        if vocab_requested is not None:
            ctx.count("vocab_size_requested", vocab_requested)
        if self.seq_len:
            ctx.count("tokens_dropped_packing", manifest["totals"]["tokens_dropped_packing"])
            ctx.count("documents_cut_packing", manifest["totals"]["documents_cut_packing"])
        for src, row in manifest["sources"].items():
            ctx.count(f"tokens/{src}", row["tokens"])
        if unknown is not None:
            ctx.count("unknown_tokens", unknown["unknown"])
            for src, row in unknown["sources"].items():
                ctx.count(f"unknown_tokens/{src}", row["unknown"])
        totals = manifest["totals"]
        gaps = bpe.id_gap_note(tok)
        warnings = [w for w in (shortfall,
                                gaps and f"tokenizer: {gaps}",
                                lossy and f"lossy tokenizer: {lossy}",
                                unknown_warning(unknown),
                                template_warning and f"tokenizer: {template_warning}",
                                self.seq_len and packing_warning(totals)) if w]
        ctx.info["tokenize"] = {"manifest": storage.url(out / MANIFEST), "tokenizer_sha256": tok_hash,
                                "vocab_size": vocab, "vocab_size_requested": vocab_requested,
                                "lossy": lossy, "warnings": warnings}

    # -- helpers ---------------------------------------------------------------------------
    def _resolve_tokenizer(self, ctx, mix_report: dict | None):
        """(tokenizer, origin, eos_token, settings of a loaded file that were turned off, what it
        loses or None). A loaded file that does not give text back exactly fails here too (a
        remote path is first read here, and a local file may have changed since recipe load)
        unless `allow_lossy`; an inherited one was the mix's to accept, so it is only recorded."""
        spec = self.tokenizer
        if spec is not None and spec.path:
            try:
                tok, turned_off, lossy = bpe.load_tokenizer_checked(spec.path, spec.eos_token,
                                                                    allow_lossy=spec.allow_lossy)
            except ValueError as e:
                raise StageError(f"tokenize: {e}") from None
            return tok, "loaded", spec.eos_token, turned_off, lossy
        inherited = ctx.input.path / "output" / MIX_TOKENIZER
        if spec is None and inherited.exists():
            # The mix's spec names the separator (its eos_token), not our default.
            eos_token = (mix_report or {}).get("eos_token", bpe.EOS_TOKEN)   # before it recorded one: the default
            tok, turned_off, lossy = bpe.load_tokenizer_checked(inherited, eos_token, allow_lossy=None)
            # The mix saved the file with them off: what it turned off is in its report.
            from_mix = (mix_report or {}).get("tokenizer_turned_off_on_load") or []
            return tok, "from_mix", eos_token, list(dict.fromkeys([*from_mix, *turned_off])), lossy
        spec = spec or bpe.TokenizerSpec()
        texts = sample_texts(ctx, ctx.seed, spec.sample_bytes)
        if not texts:
            raise StageError("tokenize: no text in the input to train a tokenizer on")
        return bpe.train_tokenizer(spec, texts, length=len(texts)), "trained", spec.eos_token, [], None

    def _bucket_count(self, ctx, shards: list[str], itemsize: int) -> int:
        # Sized from the input's text bytes (>= 1 byte per token for byte-level BPE, so this
        # never under-counts): a function of the input only, never of the worker count.
        total = 0
        for s in shards:
            md = storage.parquet_metadata(stored_file(ctx.input_path(s)))
            col = md.schema.names.index("text")
            total += sum(md.row_group(g).column(col).total_uncompressed_size
                         for g in range(md.num_row_groups))
        return max(1, math.ceil(total * itemsize / self.bucket_bytes))


def packing_counts(manifest: dict, records: list[dict]) -> None:
    """Add to the manifest what packing's dropped rows did to documents: `documents` counts
    separators (documents whose end is in the data), so a document cut by the dropped last row of
    its phase is not among them though it is in the data (its start, without its end). Per source:
    `documents_cut` beside `documents` (the tokens already include the cut documents' kept part).
    totals: documents_in = documents + documents_cut_packing + documents_dropped_packing (wholly in
    a dropped row) + empty_documents."""
    totals = manifest["totals"]
    totals["documents_cut_packing"] = sum(r.get("documents_cut", 0) for r in records)
    totals["documents_dropped_packing"] = (totals["documents_in"] - totals["empty_documents"]
                                           - totals["documents"] - totals["documents_cut_packing"])
    if manifest["packed"]:
        for src, row in manifest["sources"].items():
            row["documents_cut"] = sum(r["sources"].get(src, {}).get("documents_cut", 0) for r in records)


def packing_warning(totals: dict) -> str | None:
    """Packing keeps whole rows of seq_len+1 tokens: each phase's last, partial row goes. What
    that did to documents: one running into it is cut (kept without its end), one wholly in it lost."""
    if not totals["tokens_dropped_packing"]:
        return None
    cut, lost = totals["documents_cut_packing"], totals["documents_dropped_packing"]
    return (f"tokenize: packing dropped the last partial row of each phase: "
            f"{totals['tokens_dropped_packing']:,} tokens; {cut:,} document(s) cut there (kept without their end)"
            + (f", {lost:,} document(s) wholly in it dropped" if lost else "")
            + " (manifest totals documents_cut_packing, documents_dropped_packing)")


def unknown_tokens(enc: list[dict], unk: tuple[str, int] | None) -> dict | None:
    """The manifest's `unknown_tokens`: ids of the model's unknown token among the encoded tokens
    (eos and bos included), in all and per source; None when the model has no unknown token."""
    if unk is None:
        return None
    sources: dict[str, dict] = {}
    for r in enc:
        for src, (n, u) in r["unknown"].items():
            row = sources.setdefault(src, {"tokens": 0, "unknown": 0})
            row["tokens"] += n
            row["unknown"] += u
    for row in sources.values():
        row["share"] = round(row["unknown"] / row["tokens"], 6) if row["tokens"] else 0.0
    tokens, unknown = sum(r["tokens"] for r in sources.values()), sum(r["unknown"] for r in sources.values())
    return {"token": unk[0], "id": unk[1], "unknown": unknown, "tokens": tokens,
            "share": round(unknown / tokens, 6) if tokens else 0.0, "sources": dict(sorted(sources.items()))}


def unknown_warning(unknown: dict | None) -> str | None:
    """One line naming the sources whose tokens are more than UNKNOWN_WARN_SHARE unknown ids."""
    over = {s: r for s, r in (unknown or {}).get("sources", {}).items() if r["share"] > UNKNOWN_WARN_SHARE}
    if not over:
        return None
    return (f"tokenizer: {unknown['share']:.2%} of the tokens are its unknown token {unknown['token']!r} "
            f"({unknown['unknown']:,} ids: text it cannot represent, lost from the dataset); by source: "
            + ", ".join(f"{s} {r['share']:.2%}" for s, r in sorted(over.items(), key=lambda kv: -kv[1]["share"]))
            + f" (over {UNKNOWN_WARN_SHARE:.1%}; manifest unknown_tokens)")


def write_text_atomic(text: str, path) -> None:
    storage.write_text_atomic(path, text)


def _read_mix_report(ctx) -> dict | None:
    try:
        return storage.read_json(ctx.input.path / "output" / "mix.json")
    except FileNotFoundError:               # no mix before this stage
        return None

