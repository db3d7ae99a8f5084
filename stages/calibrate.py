"""`python -m pipeline calibrate`: what the default filter chain removes from clean text and from junk.

For each language profile (zh-Hans, zh-Hant, ja, en) it runs the filter stages of a recipe
(default: recipes/default.yaml - language, url_filter, chinese_clean, spam_filter, the Gopher
and FineWeb filters) over the clean reference set and the junk set of
`stages.calibration_sets`, and writes a markdown report with
- per profile and split (dev / held-out), the share of clean text and of junk the chain removes,
  with the language list counted apart ("language aside" = every other stage);
- per rule, measured on its own (each rule's signal against its threshold, not only the first
  rule that fired): the share of clean and of junk it removes, and the threshold that would keep
  >= 95 % of the dev clean text with the junk share at that threshold.
Thresholds are read on the dev split only; the held-out third is reported to show how they
carry over.

    python -m pipeline calibrate [--recipe recipes/default.yaml] [--data ../shared/data]
                                 [--out docs/calibration.md] [--json FILE] [--samples FILE.parquet]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from pydantic import ValidationError

REPO = Path(__file__).resolve().parents[1]
PROFILES = ("zh-Hans", "zh-Hant", "ja", "en")
FILTER_STAGES = ("language", "url_filter", "chinese_clean", "spam_filter", "gopher_quality",
                 "gopher_repetition", "fineweb_quality", "c4_quality")
QUALITY_STAGES = ("gopher_quality", "gopher_repetition", "fineweb_quality")
KEEP_CLEAN = 0.95


class CalibrateError(ValueError):
    """A mistake in the command's arguments or the recipe: one line, exit 2 (no traceback)."""


@dataclass(frozen=True)
class Rule:
    """One threshold rule: removes when `signal` compared with the threshold `key` holds."""
    stage: str
    name: str
    signal: str
    key: str
    op: str                 # "<", "<=", ">", ">="
    ngram: int | None = None
    # Line-share rules look only at documents of at least `stage.<min_lines_option>` lines.
    lines_signal: str | None = None
    min_lines_option: str | None = None


def rules() -> list[Rule]:
    g, r, f = "gopher_quality", "gopher_repetition", "fineweb_quality"
    out = [Rule(g, "too_few_words", "gopher_word_count", "min_words", "<"),
           Rule(g, "short_mean_word_length", "gopher_mean_word_length", "min_avg_word_length", "<"),
           Rule(g, "long_mean_word_length", "gopher_mean_word_length", "max_avg_word_length", ">"),
           Rule(g, "symbol_ratio", "gopher_symbol_ratio", "max_symbol_word_ratio", ">"),
           Rule(g, "bullet_lines", "gopher_bullet_lines_ratio", "max_bullet_lines_ratio", ">",
                lines_signal="gopher_lines", min_lines_option="line_rules_min_lines"),
           Rule(g, "ellipsis_lines", "gopher_ellipsis_lines_ratio", "max_ellipsis_lines_ratio", ">",
                lines_signal="gopher_lines", min_lines_option="line_rules_min_lines"),
           Rule(g, "alpha_words_ratio", "gopher_alpha_words_ratio", "min_alpha_words_ratio", "<"),
           Rule(g, "few_stop_words", "gopher_stop_words", "min_stop_words", "<"),
           Rule(r, "dup_para_frac", "gopher_dup_para_frac", "dup_para_frac", ">"),
           Rule(r, "dup_para_char_frac", "gopher_dup_para_char_frac", "dup_para_char_frac", ">"),
           Rule(r, "dup_line_frac", "gopher_dup_line_frac", "dup_line_frac", ">"),
           Rule(r, "dup_line_char_frac", "gopher_dup_line_char_frac", "dup_line_char_frac", ">")]
    out += [Rule(r, f"top_{n}_gram", f"gopher_top_{n}_gram_frac", "top_ngram_char_frac", ">", n) for n in (2, 3, 4)]
    out += [Rule(r, f"dup_{n}_gram", f"gopher_dup_{n}_gram_frac", "dup_ngram_char_frac", ">", n)
            for n in range(5, 11)]
    out += [Rule(f, "line_punct_ratio", "fineweb_line_punct_ratio", "line_punct_thr", "<=",
                 lines_signal="fineweb_lines", min_lines_option="line_punct_min_lines"),
            Rule(f, "short_line_ratio", "fineweb_short_line_ratio", "short_line_thr", ">="),
            Rule(f, "char_dup_ratio", "fineweb_char_dup_ratio", "char_dup_ratio", ">="),
            Rule(f, "list_ratio", "fineweb_newline_ratio", "new_line_ratio", ">")]
    return out


_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


def samples_table(samples) -> pa.Table:
    return pa.table({
        "id": [s.id for s in samples], "text": [s.text for s in samples],
        "title": pa.array([s.title for s in samples], pa.string()),
        "url": pa.array([s.url for s in samples], pa.string()),
        "set": [s.set for s in samples], "kind": [s.kind for s in samples],
        "profile": [s.profile for s in samples], "held_out": [s.held_out for s in samples]})


def parse_overrides(items: list[str]) -> dict[str, dict[str, object]]:
    """`zh-Hans.min_words=30` -> {"zh-Hans": {"min_words": 30}} (values parsed as YAML)."""
    out: dict[str, dict[str, object]] = {}
    for item in items:
        left, eq, value = item.partition("=")
        profile, dot, key = left.rpartition(".")
        if not (eq and dot and profile and key):
            raise CalibrateError(f"calibrate: --set {item!r}: expected PROFILE.KEY=VALUE, e.g. zh-Hans.min_words=30")
        try:
            out.setdefault(profile, {})[key] = yaml.safe_load(value)
        except yaml.YAMLError as e:
            raise CalibrateError(f"calibrate: --set {item!r}: the value is not valid YAML "
                                 f"({' '.join(str(getattr(e, 'problem', None) or e).split())})") from None
    return out


def read_recipe_stages(recipe: Path) -> list[dict]:
    """The `stages:` entries of a recipe file; a missing or malformed file is a CalibrateError."""
    try:
        spec = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    except OSError as e:
        raise CalibrateError(f"calibrate: --recipe {recipe}: cannot read it: {e.strerror or e}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise CalibrateError(f"calibrate: --recipe {recipe}: not a YAML recipe "
                             f"({' '.join(str(getattr(e, 'problem', None) or e).split())})") from None
    stages = spec.get("stages") if isinstance(spec, dict) else None
    if not (isinstance(stages, list) and all(isinstance(e, dict) and isinstance(e.get("stage"), str) for e in stages)):
        raise CalibrateError(f"calibrate: --recipe {recipe}: expected a recipe with a `stages:` list of "
                             f"{{stage: NAME, ...}} entries")
    return stages


def _errors(where: str, e: ValidationError, named: tuple = ()) -> str:
    """A pydantic error as one line: `where.key: what was expected (got value)` for each key;
    the part of a key that `where` already names (`named`, e.g. a --set's profile and key) is left out."""
    from pipeline.recipe import _loc, short_repr
    parts = []
    for err in e.errors(include_url=False):
        loc, n = tuple(err["loc"]), 0
        while n < min(len(loc), len(named)) and loc[n] == named[n]:
            n += 1
        key = _loc(loc[n:])
        msg = " ".join(str(err["msg"]).removeprefix("Value error, ").split())
        # A value_error says itself what is wrong; its input is the whole stage's options.
        got = "" if err["type"] in ("value_error", "missing") else f" (got {short_repr(err['input'])})"
        parts.append(f"{where}{'.' if key and not key.startswith('[') else ''}{key}: {msg}{got}")
    return "; ".join(parts)


def _build(cls, opts: dict, where: str, named: tuple = ()):
    try:
        return cls(**opts)
    except ValidationError as e:
        raise CalibrateError(_errors(where, e, named)) from None


def _with_overrides(cls, opts: dict, overrides: dict[str, dict[str, object]], used: set) -> dict:
    """`opts` with the --set values this stage has merged into its `profiles` (what-if thresholds).
    Each value is first checked alone, so that a wrong one is reported as the --set at fault."""
    fields = cls.threshold_fields()
    profiles = {p: dict(v) for p, v in (opts.get("profiles") or {}).items()}
    for p, values in overrides.items():
        mine = {k: v for k, v in values.items() if k in fields}
        for k, v in mine.items():
            _build(cls, {**opts, "profiles": {p: {k: v}}}, f"calibrate: --set {p}.{k}", ("profiles", p, k))
        used |= {(p, k) for k in mine}
        if mine:
            profiles.setdefault(p, {}).update(mine)
    return {**opts, "profiles": profiles}


def recipe_filters(recipe: Path, overrides: dict[str, dict[str, object]] | None = None) -> list:
    """The recipe's filter stages, set up; `overrides` change profile thresholds (what-if runs)."""
    from pipeline.registry import resolve_stage
    built, used, options = [], set(), set()
    for i, entry in enumerate(read_recipe_stages(recipe)):
        name = entry["stage"]
        if name in FILTER_STAGES:
            cls = resolve_stage(name)
            opts = {k: v for k, v in entry.items() if k != "stage"}
            where = f"calibrate: {recipe}: stages[{i}] ({name})"
            stage = _build(cls, opts, where)
            if overrides and hasattr(cls, "threshold_fields"):
                options |= cls.threshold_fields()
                stage = _build(cls, _with_overrides(cls, opts, overrides, used), where)
            built.append((name, stage))
    unknown = sorted({(p, k) for p, v in (overrides or {}).items() for k in v} - used)
    if unknown:
        # Listed for a misspelt key: the options --set can change in this recipe.
        raise CalibrateError(f"calibrate: --set {', '.join(f'{p}.{k}' for p, k in unknown)}: no filter stage of "
                             f"{recipe} has this option (those it has: {', '.join(sorted(options)) or 'none'})")
    # Set up (models loaded) only when every stage and --set is known good: a mistake shows at once.
    return [(name, stage.ensure_setup()) for name, stage in built]


def run_chain(table: pa.Table, stages) -> tuple[list[str | None], list[str | None], pa.Table]:
    """Per row: the language stage's reason, the first other stage's `stage/reason`, and the
    table after chinese_clean with every quality stage's signals (all rows, nothing removed)."""
    n = table.num_rows
    lang_reason: list[str | None] = [None] * n
    other: list[str | None] = [None] * n
    index = {i: k for k, i in enumerate(table.column("id").to_pylist())}
    alive = table
    annotated = table
    for name, stage in stages:
        if name == "language":
            stage = stage.model_copy(update={"annotate_only": True})
            res = stage(alive)
            for i, r in zip(res.kept.column("id").to_pylist(), res.kept.column("language_reason").to_pylist()):
                lang_reason[index[i]] = f"language/{r}" if r else None
            alive = annotated = res.kept.drop_columns(["language_reason"])
            continue
        res = stage(alive)
        if res.removed is not None:
            for i, r in zip(res.removed.column("id").to_pylist(), res.removed.column("reason").to_pylist()):
                other[index[i]] = f"{name}/{r}"
        if name == "chinese_clean":
            annotated = stage.model_copy()(annotated).kept
        alive = res.kept
    for name, stage in stages:
        if name in QUALITY_STAGES:
            annotated = stage.model_copy(update={"annotate_only": True})(annotated).kept
            annotated = annotated.drop_columns([f"{stage.name}_reason"])
    return lang_reason, other, annotated


def _threshold(stage, profile: str, rule: Rule):
    value = stage.resolved(profile).get(rule.key)
    if rule.ngram is not None:
        value = (value or {}).get(rule.ngram)
    return value


def _keep_threshold(values: np.ndarray, op: str) -> float | None:
    """The strictest threshold that still keeps >= KEEP_CLEAN of `values` under the rule's comparison."""
    if len(values) == 0:
        return None
    ordered = np.sort(values)
    k = int(np.floor((1 - KEEP_CLEAN) * len(ordered) + 1e-9))   # documents the rule may remove
    if op in ("<", "<="):
        v = float(ordered[k])                          # fewer than k+1 values lie below it
        return float(np.nextafter(np.float32(v), np.float32(-np.inf))) if op == "<=" else v
    v = float(ordered[len(ordered) - 1 - k])
    return float(np.nextafter(np.float32(v), np.float32(np.inf))) if op == ">=" else v


def measure(table: pa.Table, stages, pii: bool = True) -> dict:
    """Everything the report shows, as plain data (also written with --json)."""
    lang_reason, other, annotated = run_chain(table, stages)
    stage_by_name = dict(stages)
    ids = annotated.column("id").to_pylist()
    pos = {i: k for k, i in enumerate(table.column("id").to_pylist())}
    rows = [pos[i] for i in ids]
    sets = np.array(table.column("set").to_pylist(), dtype=object)
    profiles = np.array(table.column("profile").to_pylist(), dtype=object)
    held = np.array(table.column("held_out").to_pylist(), dtype=bool)
    kinds = np.array(table.column("kind").to_pylist(), dtype=object)
    other_arr = np.array(other, dtype=object)
    lang_arr = np.array(lang_reason, dtype=object)
    out: dict = {"chain": [], "rules": [], "reasons": {}, "kinds": []}
    for profile in PROFILES:
        for split_name, mask_split in (("dev", ~held), ("held-out", held)):
            for set_name in ("clean", "junk"):
                m = (profiles == profile) & (sets == set_name) & mask_split
                n = int(m.sum())
                if not n:
                    continue
                rest = other_arr[m] != None  # noqa: E711
                lang = lang_arr[m] != None  # noqa: E711
                out["chain"].append({"profile": profile, "split": split_name, "set": set_name, "docs": n,
                                     "removed_language_aside": float(rest.mean()),
                                     "removed_by_language": float(lang.mean()),
                                     "removed_all": float((rest | lang).mean()),
                                     "removed_of_language_kept": float(rest[~lang].mean()) if (~lang).any() else 0.0})
                out["reasons"][f"{profile}/{split_name}/{set_name}"] = Counter(
                    r for r in other_arr[m] if r).most_common(6)
    for kind in sorted(set(kinds)):
        m = kinds == kind
        out["kinds"].append({"kind": kind, "set": str(sets[m][0]), "docs": int(m.sum()),
                             "removed_language_aside": float((other_arr[m] != None).mean()),  # noqa: E711
                             "top": Counter(r for r in other_arr[m] if r).most_common(3)})
    out["pii"] = pii_on_clean(table) if pii else []
    # per-rule measurements on the annotated rows
    a_prof = profiles[rows]
    a_set = sets[rows]
    a_held = held[rows]
    for profile in PROFILES:
        for rule in rules():
            stage = stage_by_name.get(rule.stage)
            if stage is None or rule.signal not in annotated.column_names:
                continue
            thr = _threshold(stage, profile, rule)
            values = annotated.column(rule.signal).to_numpy(zero_copy_only=False).astype(np.float64)
            looked = np.ones(len(values), bool)
            if rule.lines_signal in annotated.column_names and hasattr(stage, rule.min_lines_option or ""):
                lines = annotated.column(rule.lines_signal).to_numpy(zero_copy_only=False)
                looked = lines >= getattr(stage, rule.min_lines_option)
            entry = {"profile": profile, "rule": f"{rule.stage}/{rule.name}", "threshold": thr, "op": rule.op}

            def share(mask, t):
                if t is None or mask.sum() == 0:
                    return None
                return float((_OPS[rule.op](values[mask], t) & looked[mask]).mean())
            base = a_prof == profile
            dev_clean, held_clean, junk = base & (a_set == "clean") & ~a_held, base & (a_set == "clean") & a_held, \
                base & (a_set == "junk")
            if not dev_clean.any():
                continue
            entry.update(clean_dev=share(dev_clean, thr), clean_held_out=share(held_clean, thr),
                         junk=share(junk, thr))
            keep = _keep_threshold(values[dev_clean & looked], rule.op)
            entry.update(keep95=keep, junk_at_keep95=share(junk, keep),
                         clean_held_out_at_keep95=share(held_clean, keep))
            out["rules"].append(entry)
    return out


def pii_on_clean(table: pa.Table) -> list[dict]:
    """What the pii stage replaces in the clean references, per profile and kind, with examples
    (every match on clean text is a possible false positive to read)."""
    from stages.pii import KINDS, PIIRedactor
    stage = PIIRedactor()
    rows = []
    sets = table.column("set").to_pylist()
    profiles = table.column("profile").to_pylist()
    texts = table.column("text").to_pylist()
    for profile in PROFILES:
        matches: list[tuple[str, str]] = []
        docs = [t for t, s, p in zip(texts, sets, profiles) if s == "clean" and p == profile]
        for t in docs:
            stage.redact(t, matches)
        for kind in KINDS:
            found = [m for k, m in matches if k == kind]
            rows.append({"profile": profile, "kind": kind, "docs": len(docs), "matches": len(found),
                         "examples": sorted(set(found))[:6]})
    return rows


def _pct(x) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def _num(x) -> str:
    if x is None:
        return "off"
    return f"{x:.3g}" if isinstance(x, float) else str(x)


def report(m: dict, recipe: str) -> str:
    out = [f"# Filter calibration report\n\nChain: the filter stages of `{recipe}`. Generated by "
           "`python -m pipeline calibrate`; clean and junk sets from `stages/calibration_sets.py` "
           "(dev = thresholds may be read here, held-out = a stable third by id, never used to choose).\n",
           "## Chain: share removed per profile\n",
           "`language aside`: removed by the other stages, judging every document (the language stage only "
           "annotates); `of language-kept`: the same among the documents the language list keeps.\n",
           "| profile | split | set | docs | removed (language aside) | of language-kept | by the language list | all |",
           "|---|---|---|---|---|---|---|---|"]
    for c in m["chain"]:
        out.append(f"| {c['profile']} | {c['split']} | {c['set']} | {c['docs']} | "
                   f"{_pct(c['removed_language_aside'])} | {_pct(c.get('removed_of_language_kept'))} | "
                   f"{_pct(c['removed_by_language'])} | {_pct(c['removed_all'])} |")
    out += ["\n## Top removal reasons (language aside)\n"]
    for key, top in m["reasons"].items():
        if top:
            out.append(f"- **{key}**: " + ", ".join(f"{r} {n}" for r, n in top))
    out += ["\n## Per kind of text (language aside)\n", "| kind | set | docs | removed | top reasons |",
            "|---|---|---|---|---|"]
    for k in m["kinds"]:
        out.append(f"| {k['kind']} | {k['set']} | {k['docs']} | {_pct(k['removed_language_aside'])} | "
                   + ", ".join(f"{r} {n}" for r, n in k["top"]) + " |")
    out += ["\n## PII replaced in the clean references (each a possible false positive)\n",
            "| profile | kind | clean docs | replaced | examples |", "|---|---|---|---|---|"]
    for p in m.get("pii", []):
        out.append(f"| {p['profile']} | {p['kind']} | {p['docs']} | {p['matches']} | "
                   + ", ".join(f"`{e}`" for e in p["examples"]) + " |")
    out += ["\n## Per rule, on its own\n",
            "Each rule's signal against its threshold (not only the first rule that fired). "
            "`keep 95%` is the threshold that keeps 95% of the dev clean text.\n",
            "| profile | rule | removes if | threshold | clean dev | clean held-out | junk | keep-95% threshold "
            "| junk at it | clean held-out at it |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in m["rules"]:
        out.append(f"| {r['profile']} | {r['rule']} | {r['op']} | {_num(r['threshold'])} | {_pct(r['clean_dev'])} | "
                   f"{_pct(r['clean_held_out'])} | {_pct(r['junk'])} | {_num(r['keep95'])} | "
                   f"{_pct(r['junk_at_keep95'])} | {_pct(r['clean_held_out_at_keep95'])} |")
    return "\n".join(out) + "\n"


def load_samples(data: Path, samples_file: Path | None) -> pa.Table:
    if samples_file and samples_file.is_file():
        try:
            return pq.read_table(samples_file)
        except (OSError, pa.ArrowException) as e:
            raise CalibrateError(f"calibrate: --samples {samples_file}: not a samples parquet file "
                                 f"({' '.join(str(e).split())[:200]})") from None
    if not data.is_dir():
        raise CalibrateError(f"calibrate: --data {data}: no such directory (the shared data the samples "
                             f"are built from)")
    from stages.calibration_sets import load
    clean, junk = load(data)
    table = samples_table(clean + junk)
    if samples_file:
        pq.write_table(table, samples_file)
    return table


def cli_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m pipeline calibrate", description=__doc__.split("\n")[0])
    p.add_argument("--recipe", default=str(REPO / "recipes/default.yaml"), help="recipe whose filter stages to run")
    p.add_argument("--data", default=str(REPO.parent / "shared" / "data"), help="the shared data directory")
    p.add_argument("--out", default=None, help="write the markdown report here (default: stdout)")
    p.add_argument("--json", default=None, help="also write the measurements as JSON")
    p.add_argument("--set", action="append", default=[], metavar="PROFILE.KEY=VALUE",
                   help="what-if: change a profile threshold for this run (repeatable)")
    p.add_argument("--skip-pii", action="store_true", help="leave out the PII measurement")
    p.add_argument("--samples", default=None,
                   help="parquet of prepared samples: read if it exists, else built and written there")
    args = p.parse_args(argv)
    try:
        return _calibrate(args)
    except CalibrateError as e:
        # A mistake in the arguments or the recipe: one line and exit 2, as `python -m pipeline run` does.
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2


def _check_out_dirs(**files: str | None) -> None:
    # Checked before the measurement: a wrong --out would otherwise lose a minutes-long run.
    for flag, f in files.items():
        if f and not Path(f).parent.is_dir():
            raise CalibrateError(f"calibrate: --{flag} {f}: no directory {Path(f).parent} to write it in")


def _calibrate(args) -> int:
    _check_out_dirs(out=args.out, json=args.json)
    # The arguments and the recipe are checked first, before the (slow) samples are built.
    stages = recipe_filters(Path(args.recipe), parse_overrides(args.set))
    table = load_samples(Path(args.data), Path(args.samples) if args.samples else None)
    m = measure(table, stages, pii=not args.skip_pii)
    text = report(m, Path(args.recipe).name)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.json:
        Path(args.json).write_text(json.dumps(m, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":      # also runnable as `python -m stages.calibrate` (the bench runs it so)
    sys.exit(cli_main(sys.argv[1:]))
