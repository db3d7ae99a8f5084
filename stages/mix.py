"""The `mix` stage: choose whole documents per source so the output has the requested token mix.

Why exact token counts: shares are promised in *tokens*, and bytes per token differ a lot
between sources (Chinese text is ~3 UTF-8 bytes per character, code and English differ again),
so a bytes-based estimate can miss a share by several percent. This stage therefore gets a
tokenizer first (trained on a seeded sample drawn in the requested per-source proportions, i.e.
a sample of the mixture, or loaded from `tokenizer.path`), counts every document's tokens with
it (+1 for the end-of-document separator), plans the mix over those exact counts, and saves the
tokenizer as `output/tokenizer.json`. A following `tokenize` stage inherits that tokenizer (and
the spec's `eos_token`, recorded in mix.json) by default, so the shares it realises are exactly
the planned ones; the only error left is whole-document granularity, which the planner keeps
below one document per source and phase.

Curriculum: with `phases`, each phase's `weights` set the shares of its tokens and a source's
`weight` is not used (the phases replace it; nothing multiplies). A source weight other than 0
beside phases would be silently ignored, and a source that no phase names would silently get no
tokens: both are refused at recipe load, and `weight: 0` drops a source, as without phases.

Planning, per source: full epochs first (every document once per epoch, each epoch in its own
seeded order), then a seeded sample without replacement for the remainder: documents in seeded
order while they fit, then the next ones in that order that still fit the gap. The resulting
sequence is cut into consecutive runs, one per phase, at the document boundary closest to each
phase's token target. A request that `max_epochs` / `max_tokens` cannot meet fails before any
work, naming needed vs available tokens per source, unless `allow_shortfall` is set. A cap of 0
on a weighted source is refused at recipe load (it can only mean "drop the source": weight 0 says so).

A shortfall that is allowed keeps the requested *shares* by default (`shortfall_keeps: shares`):
every source is scaled down by the same factor, the smallest available/needed ratio of the short
sources, so the total shrinks and the proportions hold. Why: a mix is specified by its shares
(researchers compare runs by them); letting only the short sources shrink (`shortfall_keeps:
tokens`, the behaviour before) keeps the total nearer the target but silently moves every other
share (asking 0.30 of zh gave 0.48). A weighted source with no tokens at all cannot be scaled to:
it is left out and the others keep their proportions to each other. Either way the shortfall is
recorded in mix.json (`shortfall`: target, planned, each short source's requested vs available
tokens) and as a one-line warning (`warnings`) that the end-of-run summary and the report show.

Tolerance: whole documents make the realised mix differ from the plan by up to a document per
source and phase, which is nothing at a real budget but a lot when the target is close to the
document sizes (2,000 tokens asked, 2,771 written: one document held 1,793). The realised total
more than `TOTAL_TOLERANCE` (5 %) off the plan, or a source's realised share more than
`SHARE_TOLERANCE` (0.05) or `SHARE_TOLERANCE_REL` (a quarter of it) off its planned share, adds a
warning naming the cause (whole documents: the largest picked document per source off, or the
largest one left out when taking it would miss the plan by more).

Output: document shards `p<phase>-<input shard>` (phase-major, so readers in shard order see
the curriculum), with `mix_phase`, `mix_epoch` (0 = first copy) and `n_tokens` columns;
`output/mix.json` holds the plan and the realised mix. Repeated copies do not grow a shard: a
phase's picks of an input shard that hold more rows or text bytes than the largest input shard
continue in `p<phase>-<input shard>_0001`, `_0002`, ... (names that sort in the mixed order).

Trial runs (`--limit` / `--sample`) read part of each source, so a fixed target would fail
there for the trial's sake: `for_trial` turns `allow_shortfall` on, and the shortfall is
recorded and warned as the trial's (the full run is still held to the target).
"""
from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from pipeline import storage
from pipeline.stage import Filter, GlobalStage, Result, StageError
from pipeline.shards import derived_shard, read_shard
from pipeline.source_trace import removed_before
from stages.tokenize import bpe
from stages.tokenize.encode import cached_tokenizer
from stages.mix_warnings import SHARE_TOLERANCE, SHARE_TOLERANCE_REL, TOTAL_TOLERANCE, mix_warnings
from stages.tokenize.sample import documents_with_text, sample_texts, shard_stats


class _Opts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceMix(_Opts):
    weight: float | None = Field(default=None, ge=0, description=(
        "Share of output tokens (normalised); with phases leave it unset (phases[].weights set the shares) "
        "or 0 to drop the source"))
    max_epochs: float = Field(default=1.0, gt=0, description="How often its documents may repeat; 1 = never")
    max_tokens: int | None = Field(default=None, ge=0, description="Hard cap on this source's output tokens")


class Phase(_Opts):
    share: float = Field(gt=0, description="Fraction of all output tokens in this phase (normalised)")
    weights: dict[str, Annotated[float, Field(ge=0)]] = Field(
        description="Source -> share of this phase's tokens (normalised; 0 leaves the source out of the phase)")


class ChinchillaTarget(_Opts):
    chinchilla_params: float = Field(gt=0, description="Model parameters")
    tokens_per_param: float = Field(default=20.0, gt=0, description="Hoffmann et al. 2022: ~20")


def _also(rest: list[str]) -> str:
    return f" (also: {rest})" if rest else ""


class MixShortfall(StageError):
    """The sources cannot supply the requested mix under their limits."""


def _removes_documents(stage) -> bool:
    """A stage that can take documents (or lines, hence tokens) away: a filter that is not only
    annotating, a dedup stage."""
    from stages.dedup.lines import LineDedup
    return ((isinstance(stage, Filter) and not stage.annotate_only) or stage.removes_only
            or isinstance(stage, LineDedup))


class Mix(GlobalStage):
    """Choose whole documents per source toward a token budget with per-source shares and limits."""
    reads: ClassVar[frozenset[str]] = frozenset({"text"})
    adds: ClassVar[frozenset[str]] = frozenset({"mix_phase", "mix_epoch", "n_tokens"})
    uses_seed = True
    resamples = True
    version: ClassVar[str] = "2"    # 2: repeated picks split across output shards

    sources: dict[str, SourceMix] = Field(description="Every source in the input must be listed (weight 0 drops it)")
    phases: list[Phase] = Field(default=[], description="Curriculum, in order; empty = one phase with the sources' weights")
    target_tokens: Annotated[int, Field(gt=0)] | ChinchillaTarget | None = Field(
        default=None, description="Tokens to write (or a Chinchilla target); None = the largest mix the limits allow")
    allow_shortfall: bool = Field(default=False, description="Take what a too-small source has instead of failing")
    shortfall_keeps: Literal["shares", "tokens"] = Field(
        default="shares", description="With allow_shortfall: 'shares' scales every source down by the same factor "
                                      "(requested shares kept, the total shrinks); 'tokens' scales only the short "
                                      "sources (the others keep their tokens, so their shares grow)")
    tokenizer: bpe.TokenizerSpec = Field(default=bpe.TokenizerSpec(), description="Counts tokens; inherited by `tokenize`")
    source_column: str = Field(default="source", description="Which column names a document's source")

    # What part of the input a trial run reads (`for_trial`); None in a full run.
    _trial: str | None = PrivateAttr(default=None)

    def for_trial(self, trial: str) -> "Mix":
        """A trial reads `trial` (say, the first 200 documents of each source), so a fixed target
        or a source's share meets a shortfall that says nothing of the full run (whose target is
        checked at load against the caps, and after ingest against its bytes): the trial's mix
        allows it, keeping the recipe's `shortfall_keeps`, and records and warns it as the
        trial's. Scaling the target by the share read instead needs the full input's size, which
        a `--limit` trial does not know."""
        trial_mix = self.model_copy(update={"allow_shortfall": True})
        trial_mix._trial = trial
        return trial_mix

    @model_validator(mode="after")
    def _check(self) -> "Mix":
        if not self.phases:
            missing = [s for s, m in self.sources.items() if m.weight is None]
            if missing:
                raise ValueError(f"sources without a weight (and no phases): {missing}")
            if sum(m.weight for m in self.sources.values()) <= 0:
                raise ValueError("source weights sum to 0")
        for i, ph in enumerate(self.phases):
            unknown = sorted(set(ph.weights) - set(self.sources))
            if unknown:
                raise ValueError(f"phases[{i}].weights names sources not in `sources`: {unknown}")
            if sum(ph.weights.values()) <= 0:
                raise ValueError(f"phases[{i}].weights sum to 0")
        if self.phases:
            self._check_phases_cover_sources()
        return self

    def _check_phases_cover_sources(self) -> None:
        """With `phases`, the phases' weights alone set the shares (a source's `weight` is not
        used: module docstring), so a source weight that is not 0 would be silently ignored, and
        a source no phase names would silently get no tokens. Both are refused; `weight: 0` is how
        a source is dropped, as without phases."""
        n = len(self.phases)
        where = "phases[0]" if n == 1 else f"phases[0..{n - 1}]"
        named = {s for ph in self.phases for s in ph.weights}
        positive = {s for ph in self.phases for s, v in ph.weights.items() if v > 0}
        shares = self.source_shares()
        ignored = [s for s, m in self.sources.items() if m.weight and s in named]
        unnamed = [s for s, m in self.sources.items() if s not in named and m.weight != 0]
        dropped = [s for s, m in self.sources.items() if m.weight == 0 and s in positive]
        names = ", ".join(sorted(named)[:6]) + (", ..." if len(named) > 6 else "")
        # (Kept under 300 characters: the recipe loader cuts an option check's message there.)
        if unnamed:
            s, w = unnamed[0], self.sources[unnamed[0]].weight
            raise ValueError(f"sources.{s}: " + (f"weight {w:g}, but " if w is not None else "") +
                             f"no phase names it ({where} name only {names}), so it would get no tokens "
                             f"(with `phases`, only phases[].weights give shares); add it to a phase's weights, "
                             f"or give it weight 0 to drop it" + _also(unnamed[1:]))
        if ignored:
            got = "; ".join(f"{s} {self.sources[s].weight:g} asked, {shares.get(s, 0.0):.3g} from phases"
                            for s in ignored[:3]) + ("; ..." if ignored[3:] else "")
            raise ValueError(f"sources.{ignored[0]}.weight: not used with `phases` (phases[].weights set the "
                             f"shares), so it would be ignored ({got}); remove the sources' weights and give "
                             f"the phases the weights you want, or remove `phases`")
        if dropped:
            s = dropped[0]
            at = next(i for i, ph in enumerate(self.phases) if ph.weights.get(s, 0) > 0)
            raise ValueError(f"sources.{s}.weight: 0 drops it, but phases[{at}].weights gives it "
                             f"{self.phases[at].weights[s]:g}; remove its weight (with `phases`, phases[].weights "
                             f"set the shares) or take it out of the phases" + _also(dropped[1:]))

    def input_columns(self) -> set[str]:
        return super().input_columns() | {self.source_column}

    def check_recipe(self, recipe, stage_id: str) -> None:
        """At load: `sources` must name exactly the recipe's sources, a local tokenizer.path must
        exist and hold its eos_token, a weighted source may not have `max_tokens: 0` (with or
        without a target: a cap of 0 leaves it nothing, which without a target made the whole mix
        fail at run time blaming upstream stages), a shortfall that the limits alone prove
        (max_tokens below a fixed target's share) fails before any work, and a recipe has at most
        one mix (a second would mix mixed documents and add its mix_phase, mix_epoch and n_tokens
        columns a second time: tokenize then failed mid-run on the duplicate column); no stage after
        it removes documents or lines (the shares and the target would be missed, silently)."""
        ids = [s.id for s in recipe.stages]
        me = ids.index(stage_id)
        earlier = [i for i, s in enumerate(recipe.stages[:me]) if isinstance(s.stage, Mix)]
        if earlier:
            raise ValueError(f"a recipe has at most one mix stage, and {ids[earlier[0]]!r} (stages[{earlier[0]}]) "
                             f"comes before this one: a mix of mixed documents would add mix_phase, mix_epoch "
                             f"and n_tokens a second time; keep one mix (a curriculum is its `phases`)")
        after = [(i, s) for i, s in enumerate(recipe.stages) if i > me and _removes_documents(s.stage)]
        if after:
            i, spec = after[0]
            raise ValueError(f"{spec.id!r} (stages[{i}]) comes after mix and removes documents or lines: mix chose "
                             f"documents to meet its token target and shares, which removals after it would "
                             f"miss; put {spec.id!r} before mix")
        zero_cap = sorted(s for s, w in self.source_shares().items() if w > 0 and self.sources[s].max_tokens == 0)
        if zero_cap:
            s = zero_cap[0]
            raise ValueError(f"sources.{s}.max_tokens: 0 on a weighted source (share "
                             f"{self.source_shares()[s]:.3g}) leaves it nothing to mix; drop the source "
                             f"(weight 0) or its max_tokens" + (f" (also: {zero_cap[1:]})" if zero_cap[1:] else ""))
        if self.source_column == "source":
            names = [s.name for s in recipe.sources]
            unknown = sorted(set(self.sources) - set(names))
            if unknown:
                raise ValueError(f"sources: {unknown} are not sources of this recipe (its sources: {names})")
            unlisted = [n for n in names if n not in self.sources]
            if unlisted:
                raise ValueError(f"sources: recipe sources {unlisted} are not listed (list them with weight 0 "
                                 f"to drop them)")
        if self.source_column == "language":
            # Mixing by language after a language stage that keeps only some: a weighted language
            # it removes would reach the mix empty, found only after the whole chain and dedup.
            from stages.language import LanguageFilter
            # One that keeps languages the mix does not list, or every language (no `languages`, or
            # annotate_only), stopped the run at the mix, after the chain and dedup, on the first
            # label it did not list.
            for i, spec in enumerate(recipe.stages[:me]):
                if not isinstance(spec.stage, LanguageFilter) or spec.apply_to:
                    continue
                kept = spec.stage.languages
                if kept is None or getattr(spec.stage, "annotate_only", False):
                    raise ValueError(f"sources are languages, but {spec.id!r} (stages[{i}]) keeps every language "
                                     f"(it lists no `languages`{' or only annotates' if kept else ''}): the mix "
                                     f"would meet labels it does not list; let it keep {sorted(self.sources)}")
                gone = sorted(lang for lang, w in self.source_shares().items() if w > 0 and lang not in kept)
                if gone:
                    raise ValueError(f"sources: {gone} are weighted, but {spec.id!r} (stages[{i}]) keeps only "
                                     f"languages {list(kept)}: the mix would find none of their documents")
                extra = sorted(set(kept) - set(self.sources))
                if extra:
                    raise ValueError(f"sources: {spec.id!r} (stages[{i}]) keeps languages {extra} that mix does not "
                                     f"list (list them, with weight 0 to drop them)")
        bpe.check_tokenizer_file(self.tokenizer)  # exists and holds its eos_token
        if self.target_tokens is None or self.allow_shortfall:
            return
        caps = {s: m.max_tokens for s, m in self.sources.items() if m.max_tokens is not None}
        if caps:
            try:
                self.targets({s: 1 << 62 for s in self.sources})  # unlimited documents: only caps bind
            except MixShortfall as e:
                raise ValueError(str(e)) from None

    def check_input(self, counts: dict[str, dict[str, int]], stage_id: str) -> None:
        """After ingest: a byte-level BPE token holds at least one byte, plus one separator per
        document, so bytes + documents bound a source's tokens (x2 for stages that rewrite text,
        such as placeholders). A fixed target above even that fails now, not after dedup."""
        if self.target_tokens is None or self.allow_shortfall or self.source_column != "source":
            return
        bound = {s: 2 * (c["bytes"] + c["documents"]) for s, c in counts.items()}
        try:
            self.targets(bound, bound=True)
        except MixShortfall as e:
            raise MixShortfall(f"{e} [predicted from the ingested input: tokens are at most twice its bytes "
                               f"plus documents]") from None

    # -- the plan ---------------------------------------------------------------------------
    def phase_weights(self) -> list[tuple[float, dict[str, float]]]:
        """(phase share, {source: share within phase}), all normalised."""
        raw = self.phases or [Phase(share=1.0, weights={s: m.weight for s, m in self.sources.items()})]
        total = sum(p.share for p in raw)
        out = []
        for p in raw:
            w = sum(p.weights.values())
            out.append((p.share / total, {s: v / w for s, v in p.weights.items() if v > 0}))
        return out

    def source_shares(self) -> dict[str, float]:
        shares: dict[str, float] = {}
        for ps, ws in self.phase_weights():
            for s, w in ws.items():
                shares[s] = shares.get(s, 0.0) + ps * w
        return shares

    def available(self, source: str, total: int) -> int:
        m = self.sources[source]
        cap = math.floor(total * m.max_epochs)
        return cap if m.max_tokens is None else min(cap, m.max_tokens)

    def targets(self, totals: dict[str, int], bound: bool = False) -> list[dict[str, int]]:
        """Token target per phase and source; raises MixShortfall with the numbers (`bound`: the
        totals are upper bounds, predicted before tokenizing, and the message says so)."""
        return self.plan(totals, bound)["planned"]

    def plan(self, totals: dict[str, int], bound: bool = False) -> dict:
        """{"target_tokens", "requested": per phase and source as asked, "planned": the same after
        an allowed shortfall (see `shortfall_keeps`), "shortfall": None or what was short}."""
        shares = self.source_shares()
        if isinstance(self.target_tokens, ChinchillaTarget):
            target = int(self.target_tokens.chinchilla_params * self.target_tokens.tokens_per_param)
        elif self.target_tokens is None:
            # The largest mix every weighted source can supply its share of. A source with nothing
            # left (its documents all removed upstream) makes that 0 tokens: a failure, not an
            # empty dataset, unless a shortfall is allowed (then the others decide the size).
            avail = {s: self.available(s, totals.get(s, 0)) for s in shares}
            empty = sorted(s for s, a in avail.items() if a <= 0)
            if empty and not self.allow_shortfall:
                # Name the cause per source: a cap of 0 is the recipe's, not an upstream stage's.
                why = "; ".join(f"{s}: its max_tokens is 0" if self.sources[s].max_tokens == 0 else
                                f"{s}: no documents reached the mix (removed upstream, or none read)"
                                for s in empty)
                raise MixShortfall(f"mix: weighted source(s) {empty} have no tokens left to mix ({why}); give "
                                   f"them weight 0" + (" (or drop the cap of 0)" if any(
                                       self.sources[s].max_tokens == 0 for s in empty) else "")
                                   + " or set allow_shortfall: true")
            fed = [avail[s] / sh for s, sh in shares.items() if avail[s] > 0]
            target = int(min(fed)) if fed else 0
            if target <= 0:
                raise MixShortfall("mix: no tokens to mix: every weighted source is empty")
        else:
            target = int(self.target_tokens)
        per_phase = [{s: int(round(target * ps * w)) for s, w in ws.items()}
                     for ps, ws in self.phase_weights()]
        needed = {s: sum(p.get(s, 0) for p in per_phase) for s in shares}
        avail = {s: self.available(s, totals.get(s, 0)) for s in shares}
        short = {s: (needed[s], avail[s]) for s in shares if needed[s] > avail[s]}
        if short and not self.allow_shortfall:
            has = "can have at most" if bound else "has"
            parts = [f"{s}: needs {n:,} tokens, {has} {a:,}" + (
                     f" (documents hold {'at most ' if bound else ''}{totals.get(s, 0):,} tokens, "
                     f"max_epochs={self.sources[s].max_epochs}, "
                     f"max_tokens={self.sources[s].max_tokens})" if totals.get(s, 0) < 1 << 62 else
                     f" (max_tokens={self.sources[s].max_tokens})")
                     for s, (n, a) in sorted(short.items())]
            raise MixShortfall(f"mix: the sources cannot supply {target:,} tokens at the requested shares: "
                               + "; ".join(parts) + " (lower target_tokens, raise max_epochs, or set "
                               "allow_shortfall: true)")
        requested = [dict(p) for p in per_phase]
        shortfall = None
        if short:   # allowed: scale down (module docstring: why the shares are kept by default)
            factor = None
            if self.shortfall_keeps == "shares":
                ratios = [a / n for n, a in short.values() if a > 0]
                factor = min(ratios) if ratios else 1.0   # sources with nothing are left out
                for p in per_phase:
                    for s in p:
                        p[s] = 0 if s in short and short[s][1] <= 0 else int(p[s] * factor)
            else:
                for s, (n, a) in short.items():
                    for p in per_phase:
                        if s in p:
                            p[s] = int(p[s] * a / n)
            shortfall = {"target_tokens": target, "planned_tokens": sum(sum(p.values()) for p in per_phase),
                         "keeps": self.shortfall_keeps,
                         **({"trial": self._trial} if self._trial else {}),
                         "scale": None if factor is None else round(factor, 6),
                         "sources": {s: {"requested_tokens": n, "available_tokens": a,
                                         "document_tokens": totals.get(s, 0),
                                         "max_epochs": self.sources[s].max_epochs,
                                         "max_tokens": self.sources[s].max_tokens}
                                     for s, (n, a) in sorted(short.items())}}
        return {"target_tokens": target, "requested": requested, "planned": per_phase, "shortfall": shortfall}

    # -- run --------------------------------------------------------------------------------
    def run(self, ctx) -> None:
        out = ctx.output_dir
        stats = None
        if not self.tokenizer.path:
            # One pass over the input's text: which weighted sources have documents left (a source
            # that lost them all fails here, named, not as "no text to train on"), then the sample.
            stats = shard_stats(ctx, ctx.seed, self.source_column)
            self._check_sources_reached(ctx, documents_with_text(stats))
        tok, turned_off = self._tokenizer(ctx, stats)
        tok_json, tok_hash = bpe.tokenizer_json(tok), bpe.tokenizer_hash(tok)
        shards = ctx.input_shards
        counted = ctx.map(_count_shard, [(ctx.input_path(s), tok_json, tok_hash, self.source_column)
                                         for s in shards], phase="count tokens")
        src_all = np.concatenate([np.asarray(c[0], dtype=object) for c in counted]) if counted else np.array([], object)
        ntok = np.concatenate([c[1] for c in counted]) if counted else np.empty(0, np.int64)
        shard_of = np.concatenate([np.full(len(c[1]), i, np.int32) for i, c in enumerate(counted)]) if counted else np.empty(0, np.int32)
        row_of = np.concatenate([np.arange(len(c[1])) for c in counted]) if counted else np.empty(0, np.int64)
        present = sorted(set(src_all.tolist()))
        unlisted = [s for s in present if s not in self.sources]
        if unlisted:
            raise StageError(f"mix: input has sources the recipe does not list: {unlisted} "
                             f"(list them with weight 0 to drop them)")
        totals = {s: int(ntok[src_all == s].sum()) for s in self.sources}
        if stats is None:           # a tokenizer loaded from a file: checked now that tokens are counted
            self._check_sources_reached(ctx, {s: int(((src_all == s) & (ntok > 0)).sum()) for s in self.sources})
        plan = self.plan(totals)
        per_phase = plan["planned"]

        # Per (input shard): list of (phase, rows, epochs) to write.
        picks: dict[int, list[tuple[int, np.ndarray, np.ndarray]]] = {}
        report_sources = {}
        for si, s in enumerate(sorted(self.sources)):
            idx = np.flatnonzero((src_all == s) & (ntok > 0))  # empty texts: nothing to mix
            wants = [p.get(s, 0) for p in per_phase]
            asked = [p.get(s, 0) for p in plan["requested"]]
            seq, epoch = plan_source(ntok[idx], sum(wants), ctx.seed, si)
            cuts = phase_cuts(ntok[idx][seq], wants)
            # requested: as asked at the requested shares; planned: after an allowed shortfall.
            rep = {"available_tokens": totals[s], "documents_available": int(len(idx)),
                   "requested_tokens": int(sum(asked)), "planned_tokens": int(sum(wants)),
                   "largest_document_tokens": int(ntok[idx][seq].max()) if len(seq) else 0, "phases": []}
            left = np.ones(len(idx), bool)
            left[seq] = False
            # The largest document no epoch took: a source short of its plan by less than it could
            # not take it without overshooting further (a dump whose tokens sit in one document).
            rep["largest_document_left_tokens"] = int(ntok[idx][left].max()) if left.any() else 0
            rep["median_document_tokens"] = int(np.median(ntok[idx])) if len(idx) else 0
            # its limit (documents x max_epochs, or max_tokens): a source planned at it bounds the mix
            rep["limit_tokens"] = self.available(s, totals[s])
            for ph, (a, b) in enumerate(cuts):
                sel, ep = idx[seq[a:b]], epoch[a:b]
                rep["phases"].append({"tokens": int(ntok[sel].sum()), "documents": int(b - a),
                                      "requested_tokens": int(asked[ph]), "planned_tokens": int(wants[ph])})
                for shard_i in np.unique(shard_of[sel]):
                    m = shard_of[sel] == shard_i
                    picks.setdefault(int(shard_i), []).append((ph, row_of[sel][m], ep[m], ntok[sel][m]))
            rep["tokens"] = sum(p["tokens"] for p in rep["phases"])
            rep["documents"] = sum(p["documents"] for p in rep["phases"])
            rep["epochs"] = round(rep["tokens"] / totals[s], 4) if totals[s] else 0.0
            rep["max_epoch_index"] = int(epoch.max()) if len(epoch) else 0
            report_sources[s] = rep

        if plan["target_tokens"] > 0 and not any(r["tokens"] for r in report_sources.values()):
            # Whole documents: a target smaller than every document is met by none (README: the mix
            # fails instead of mixing 0 tokens).
            smallest = {s: int(ntok[(src_all == s) & (ntok > 0)].min()) for s, r in report_sources.items()
                        if r["planned_tokens"] > 0 and r["documents_available"]}
            raise StageError(f"mix: a target of {plan['target_tokens']:,} tokens is smaller than one document ("
                             + ", ".join(f"{s}'s smallest has {n:,} tokens" for s, n in smallest.items())
                             + "): documents are taken whole, so it would mix 0 tokens; raise target_tokens")

        row_bytes = [c[2] for c in counted]
        jobs = _write_jobs(shards, picks, row_bytes, len(per_phase), set(ctx.out.done_shards()))
        ctx.map(_write_mixed, [(ctx.input_path(shards[i]), parts, picked, ctx.out) for i, parts, picked in jobs],
                phase="write mixed shards")

        report = self._report(per_phase, report_sources, tok_hash)
        report["target_tokens"] = plan["target_tokens"]
        report["planned_tokens"] = sum(r["planned_tokens"] for r in report_sources.values())
        report["shortfall"] = plan["shortfall"]
        if self._trial:
            report["trial"] = self._trial
        if plan["shortfall"]:
            plan["shortfall"]["tokens"] = report["tokens"]
        report["tolerance"] = {"total": TOTAL_TOLERANCE, "share": SHARE_TOLERANCE,
                               "share_relative": SHARE_TOLERANCE_REL}
        report["warnings"] = mix_warnings(report)
        # `tokenize` inherits the tokenizer and must separate documents with this spec's eos.
        report["eos_token"] = self.tokenizer.eos_token
        report["tokenizer_turned_off_on_load"] = turned_off
        # A trained tokenizer may stop short of its vocab_size: `tokenize` compares (warns, records).
        report["tokenizer_vocab_size_requested"] = None if self.tokenizer.path else self.tokenizer.vocab_size
        storage.write_text_atomic(out / "tokenizer.json", bpe.tokenizer_json(tok))
        storage.write_json_atomic(report, out / "mix.json")
        for s, r in report_sources.items():
            ctx.count(f"tokens/{s}", r["tokens"])
            ctx.count(f"documents/{s}", r["documents"])
        ctx.count("tokens", report["tokens"])
        ctx.info["mix"] = report

    def _check_sources_reached(self, ctx, documents: dict[str, int]) -> None:
        """`documents`: {source: documents with text in the input}. A weighted source with none
        fails now, naming the source and the earlier stages that removed its documents (the
        tokenizer has nothing of it to train on, and the plan would give it 0 tokens): unless a
        shortfall is allowed and another weighted source has documents (then it is left out, and
        the shortfall is recorded and warned, see `plan`)."""
        weighted = [s for s, w in self.source_shares().items() if w > 0]
        empty = sorted(s for s in weighted if not documents.get(s))
        if not empty or (self.allow_shortfall and len(empty) < len(weighted)):
            return
        trace = removed_before(ctx.run_dir, ctx.out.path.name, empty) if self.source_column == "source" else {}
        why = "; ".join(trace.get(s) or f"{s}: removed by an earlier stage, or none read" for s in empty)
        look = "look at the options of the stages that removed them (the run's report.md has each one's reasons)"
        if len(empty) == len(weighted):
            # Starts as it did ("no text in the input"): what the run's error and report have said.
            raise StageError(f"mix: no text in the input to mix: no documents reached the mix from the weighted "
                             f"source(s) {empty}, every one was removed before it ({why}); {look}")
        raise MixShortfall(f"mix: weighted source(s) {empty} have no tokens left to mix: no documents reached "
                           f"the mix from them, every one was removed before it ({why}); {look}, give them "
                           f"weight 0, or set allow_shortfall: true")

    def _tokenizer(self, ctx, stats=None):
        """(tokenizer, settings of a loaded file that were turned off: truncation, padding);
        `stats`: the input's `shard_stats`, when already computed."""
        if self.tokenizer.path:
            return bpe.load_tokenizer_noting(self.tokenizer.path, self.tokenizer.eos_token, self.tokenizer.allow_lossy)
        texts = sample_texts(ctx, ctx.seed, self.tokenizer.sample_bytes, self.source_shares(),
                             self.source_column, stats=stats)
        if not texts:
            raise StageError("mix: no text in the input to train the counting tokenizer on")
        return bpe.train_tokenizer(self.tokenizer, texts, length=len(texts)), []

    def _report(self, per_phase, sources: dict, tok_hash: str) -> dict:
        total = sum(r["tokens"] for r in sources.values())
        phases = []
        for ph, ((share, weights), want) in enumerate(zip(self.phase_weights(), per_phase)):
            got = {s: r["phases"][ph]["tokens"] for s, r in sources.items()}
            n = sum(got.values())
            phases.append({"phase": ph, "requested_share": round(share, 6), "tokens": n,
                           "share": round(n / total, 6) if total else 0.0,
                           "weights": {s: round(w, 6) for s, w in weights.items()},
                           "realised_weights": {s: round(v / n, 6) if n else 0.0
                                                for s, v in got.items() if v or s in weights}})
        for s, r in sources.items():
            r["share"] = round(r["tokens"] / total, 6) if total else 0.0
            r["requested_share"] = round(self.source_shares().get(s, 0.0), 6)
        return {"tokens": total, "tokenizer_sha256": tok_hash, "phases": phases, "sources": sources,
                "source_column": self.source_column,
                "tokens_include_separator": True}


def plan_source(ntok: np.ndarray, want: int, seed: int, salt: int) -> tuple[np.ndarray, np.ndarray]:
    """Document order for one source: (positions into ntok, epoch of each copy), ~`want` tokens."""
    total = int(ntok.sum())
    if want <= 0 or total <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    full = want // total
    seqs, epochs = [], []
    for e in range(full):
        seqs.append(np.random.default_rng([seed & 0xFFFFFFFF, salt, e]).permutation(len(ntok)))
        epochs.append(np.full(len(ntok), e))
    rest = want - full * total
    if rest > 0:
        order = np.random.default_rng([seed & 0xFFFFFFFF, salt, full]).permutation(len(ntok))
        cum = np.cumsum(ntok[order])
        k = int(np.searchsorted(cum, rest, side="right"))  # the prefix that fits
        chosen = [order[:k]]
        gap = rest - (int(cum[k - 1]) if k else 0)
        for j in order[k:]:  # fill the gap with the next documents (seeded order) that fit
            if gap <= 0:
                break
            if ntok[j] <= gap:
                chosen.append(np.array([j]))
                gap -= int(ntok[j])
        if gap > 0:
            # Whole documents: when none fits the gap, one that overshoots by less than the gap
            # brings the source closer to its share (a source of a few long documents, papers or
            # books, would otherwise get nothing at all).
            taken = set(np.concatenate(chosen).tolist())
            over = [j for j in order[k:] if j not in taken and ntok[j] - gap < gap]
            if over:
                chosen.append(np.array([over[0]]))
        picked = np.concatenate(chosen)
        seqs.append(picked)
        epochs.append(np.full(len(picked), full))
    return np.concatenate(seqs).astype(np.int64), np.concatenate(epochs).astype(np.int64)


def phase_cuts(ntok_in_order: np.ndarray, wants: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of the planned order, one per phase, each cut at the document
    boundary closest to that phase's cumulative target."""
    cum = np.concatenate([[0], np.cumsum(ntok_in_order)])
    cuts, a, acc = [], 0, 0
    for i, w in enumerate(wants):
        acc += w
        if i == len(wants) - 1:
            b = len(ntok_in_order)
        else:
            b = int(np.searchsorted(cum, acc))
            if b > a and b < len(cum) and b - 1 >= a and abs(cum[b - 1] - acc) <= abs(cum[b] - acc):
                b -= 1
            b = min(max(b, a), len(ntok_in_order))
        cuts.append((a, b))
        a = b
    return cuts


def _count_shard(path: str, tok_json: str, tok_hash: str, source_column: str):
    tok = cached_tokenizer(tok_json, tok_hash)
    t = read_shard(path, columns=["text", source_column])
    texts = [s or "" for s in t.column("text").to_pylist()]
    n = np.empty(len(texts), np.int64)
    for i in range(0, len(texts), 1024):
        encs = tok.encode_batch_fast(texts[i:i + 1024], add_special_tokens=False)
        n[i:i + len(encs)] = [len(e.ids) for e in encs]
    n += 1  # the end-of-document separator the tokenize stage appends
    n[[not s for s in texts]] = 0  # empty documents are not written by tokenize
    nbytes = pc.fill_null(pc.binary_length(t.column("text")), 0).to_numpy().astype(np.int64)
    return t.column(source_column).to_pylist(), n, nbytes


def output_parts(row_bytes: np.ndarray, max_rows: int, max_bytes: int) -> list[tuple[int, int]]:
    """Consecutive runs [a, b) of an output sequence (`row_bytes`: each row's text bytes, in
    output order), each of at most `max_rows` rows and `max_bytes` bytes (a row larger than that
    alone): how one input shard's picks of a phase are cut into output shards."""
    cum = np.concatenate([[0], np.cumsum(row_bytes, dtype=np.int64)])
    parts, a, n = [], 0, len(row_bytes)
    while a < n:
        by_bytes = int(np.searchsorted(cum, cum[a] + max_bytes, side="right")) - 1
        b = max(a + 1, min(a + max_rows, by_bytes, n))
        parts.append((a, b))
        a = b
    return parts or [(0, 0)]


def _write_jobs(shards: list[str], picks: dict, row_bytes: list[np.ndarray], n_phases: int,
                done: set[str]) -> list[tuple[int, list, np.ndarray | None]]:
    """[(input shard index, [(output shard, phase, rows, epochs, n_tokens, accounts)] not yet
    done, the shard's picked rows with repeats (for the accounting record) or None)].

    Why split: every copy of an input shard's picks in one output shard made it grow with the
    epochs (a 4-row shard became 563 rows at 140 epochs; a 256 MB shard at 8 epochs a 2 GB write
    and tokenize task). A phase's picks of a shard, in their order (input order, later epochs
    after earlier ones), are cut into runs no larger in rows or text bytes than the largest input
    shard. The first keeps the name `p<phase>-<shard>`, the others add `_<k>` (zero-padded to one
    width over the stage), so the names sort in the mixed order. Decided here from the input only,
    so the same whatever the number of workers; each output shard has its own completion record,
    and a rerun writes only those without one. `p000-<shard>` (written even when empty) records
    the input shard: documents in, `not_selected`, `repeated_copies`."""
    max_rows = max((len(b) for b in row_bytes), default=1) or 1
    max_bytes = max((int(b.sum()) for b in row_bytes), default=1) or 1
    planned = []
    for i, shard in enumerate(shards):
        mine = picks.get(i, [])
        for ph in range(n_phases):
            got = [(r, e, n) for p, r, e, n in mine if p == ph]
            rows = np.concatenate([r for r, _, _ in got]) if got else np.empty(0, np.int64)
            eps = np.concatenate([e for _, e, _ in got]) if got else np.empty(0, np.int64)
            ntok = np.concatenate([n for _, _, n in got]) if got else np.empty(0, np.int64)
            order = np.lexsort((rows, eps))  # input order, copies of later epochs after earlier ones
            rows, eps, ntok = rows[order], eps[order], ntok[order]
            planned.append((i, shard, ph, rows, eps, ntok, output_parts(row_bytes[i][rows], max_rows, max_bytes)))
    width = max(4, len(str(max((len(p[-1]) for p in planned), default=1) - 1)))
    jobs: dict[int, tuple[list, np.ndarray | None]] = {}
    for i, shard, ph, rows, eps, ntok, parts in planned:
        for k, (a, b) in enumerate(parts):
            name = derived_shard(ph, shard, k, width)
            if name in done:
                continue
            accounts = ph == 0 and k == 0
            todo, _ = jobs.setdefault(i, ([], None))
            todo.append((name, ph, rows[a:b], eps[a:b], ntok[a:b], accounts))
            if accounts:
                picked = [r for _, r, _, _ in picks.get(i, [])]
                jobs[i] = (todo, np.concatenate(picked) if picked else np.empty(0, np.int64))
    return [(i, todo, picked) for i, (todo, picked) in sorted(jobs.items())]


def _write_mixed(path: str, parts: list, picked: np.ndarray | None, out_dir) -> None:
    """One input shard's output shards (`_write_jobs`), one at a time (a task holds the input
    shard and one output shard). The accounting one also records the rest of the input:
    documents no phase picked are removed as `not_selected` (so `explain` and the funnel say
    where they went), and copies beyond a document's first are counted (`repeated_copies`):
    documents in = picked once + not selected; out = picked + repeats."""
    t = read_shard(path)
    for name, ph, rows, eps, ntok, accounts in parts:
        sel = t.take(pa.array(rows, pa.int64()))
        sel = sel.append_column("mix_phase", pa.array(np.full(len(rows), ph, np.int32)))
        sel = sel.append_column("mix_epoch", pa.array(eps.astype(np.int32)))
        sel = sel.append_column("n_tokens", pa.array(ntok.astype(np.int32)))
        result, docs_in = Result(sel), 0
        if accounts:
            chosen = np.zeros(t.num_rows, dtype=bool)
            chosen[picked] = True
            unpicked = t.filter(pa.array(~chosen))
            unpicked = unpicked.append_column("reason", pa.array(["not_selected"] * unpicked.num_rows, pa.string()))
            repeats = int(len(picked) - chosen.sum())
            result = Result(sel, unpicked if unpicked.num_rows else None,
                            counters={"repeated_copies": repeats} if repeats else {})
            docs_in = t.num_rows
        out_dir.write_shard(name, None, result, 0.0, 0, docs_in=docs_in)
