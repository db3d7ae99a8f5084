"""What the run report shows, read from stats.json and (sparingly) from the stage directories.

Counts come from the completion records where a stage has them (languages: `kept_by`). Values
(lengths, quality signals) are read from the documents: all of a stage's documents while they are
few (`ALL_DOCS`), else a sample of `SAMPLE_DOCS` drawn from every source in proportion to its
documents (a sample of shards spread over the list had left whole sources out and skewed every
median); each distribution says which. Only the columns a section needs are read. Every section is
computed on its own and becomes "no data" (with the reason) rather than failing the report.

The run folder may be local or on an object store (`s3://...`): a stage's documents are read
through `StageDir` (`done_shards`, `read`, `schema`: the stage folder decides how they are kept),
its side files (removed samples, quarantine, candidate pairs) through `pipeline.storage`.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import storage
from pipeline.shards import StageDir

ALL_DOCS = 200_000             # up to this many documents a stage's values are all read
SAMPLE_DOCS = 20_000           # past it, documents sampled (in proportion to each source's documents)
MAX_REASONS = 25               # removal reasons drawn in the chart (all of them go in the table)
SIGNAL_PREFIXES = ("gopher_", "c4_", "fineweb_", "quality_", "language_score", "spam_")
TOP_LANGUAGES = 4              # languages drawn per signal in the per-language histograms


@dataclass
class Distribution:
    """Values of one numeric column at one stage: kept docs (all, or a sample: `sampled` of
    `total`) and the stage's removed samples."""
    stage: str
    column: str
    kept: np.ndarray
    removed: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # documents the kept values were read from, of the documents that have the column
    sampled: int = 0
    total: int = 0
    # the stage's thresholds on this column: [{"option", "direction", "value", "by_profile"?}]
    thresholds: list[dict] = field(default_factory=list)
    # kept values per language (when the documents have one) and each language's profile
    by_language: dict[str, np.ndarray] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)
    profile: str = ""              # the most common profile of all kept documents sampled
    # The stage whose stored documents the kept values are read from: the stage itself, or, inside
    # a fused chain that stores only its end, the chain's last stage (what the stage kept and a
    # later stage of the chain removed is not among them).
    kept_at: str = ""

    def threshold_values(self, language: str | None = None) -> list[tuple[str, float]]:
        """(direction, value) of each rule for one language's documents (its profile's value), or
        for the documents as a whole (their most common profile's)."""
        out = []
        for t in self.thresholds:
            v = t["value"]
            # a language's profile, or the language itself (a stage whose values are keyed by language)
            prof = self.profiles.get(language, language) if language else self.profile
            if prof and prof in (t.get("by_profile") or {}):
                v = t["by_profile"][prof]
            if v is not None:
                out.append((t["direction"], float(v)))
        return out


@dataclass
class ReportData:
    stats: dict
    funnel: list[dict]                       # id, docs_in, docs_out, removed, quarantined, bytes
    reasons: list[tuple[str, int]]           # "<stage>/<reason>", count (removed + quarantined)
    walls: list[dict]                        # id, wall_seconds, task_seconds, cpu_seconds, fused_with
    lengths: list[Distribution]              # chars per document at the first text stage and the end
    languages: tuple[str, dict[str, int], int, int] | None   # (stage, counts, documents counted, of all)
    signals: list[Distribution]
    clusters: dict[str, dict]                # stage -> {"sizes": {size: n}, "source": ..., "exact": bool}
    tokens: list[dict]                       # source, requested_share, share, tokens, documents
    tokens_note: str = ""
    tokens_warnings: list[str] = field(default_factory=list)   # the mix's: shortfall, off the plan
    stage_warnings: list[str] = field(default_factory=list)    # a stage that judged nothing, its set-up
    missing: dict[str, str] = field(default_factory=dict)   # section -> why it has no data
    # breakdowns (pipeline/report/breakdown.py)
    by_source: tuple[list[str], list[dict]] = ([], [])      # funnel per source: keys, per-stage counts
    by_language: tuple[list[str], list[dict]] = ([], [])
    token_groups: dict[str, list[dict]] = field(default_factory=dict)
    signals_by_language: list[dict] = field(default_factory=list)
    quarantine_files: list[dict] = field(default_factory=list)
    input_counts: list[dict] = field(default_factory=list)     # ingest's counters: skipped records, flags
    duplicate_pairs: list[dict] = field(default_factory=list)


class Part:
    """One Parquet piece the report reads: a stage's document shard (through StageDir) or a side
    file (removed sample, quarantine) by its path. The schema is read once (a footer read)."""

    def __init__(self, sd: StageDir | None, name):
        self.sd, self.name, self._schema, self._rows = sd, name, None, None

    def schema(self) -> pa.Schema:
        if self._schema is None:
            self._schema = (self.sd.schema(self.name) if self.sd is not None
                            else storage.parquet_metadata(self.name).schema.to_arrow_schema())
        return self._schema

    def names(self) -> list[str]:
        return self.schema().names

    def read(self, columns: list[str] | None = None) -> pa.Table:
        if self.sd is not None:
            return self.sd.read(self.name, columns)
        return storage.read_parquet(self.name, columns)

    def rows(self) -> int:
        if self._rows is None:
            self._rows = (int(storage.read_json(self.sd.done_path(self.name))["docs_out"]) if self.sd is not None
                          else storage.parquet_metadata(self.name).num_rows)   # a record: no data read
        return self._rows


def stage_dir(stage: dict) -> StageDir:
    return StageDir(stage["dir"])


# While collect() runs, each stage's listings are made once and its Parts (which keep the schemas
# they read) are shared by every section: on an object store each listing and footer is a request,
# and the sections ask for the same stages again and again.
_listed: dict | None = None


def _once(fn):
    def listed(stage: dict, *args):
        if _listed is None or not stage.get("dir"):
            return fn(stage, *args)
        key = (fn.__name__, stage["dir"], *args)
        if key not in _listed:
            _listed[key] = fn(stage, *args)
        return list(_listed[key])
    return listed


@_once
def _shards(stage: dict) -> list[Part]:
    """The stage's document shards (none for a stage that kept no documents)."""
    if not stage.get("dir"):
        return []
    sd = stage_dir(stage)
    return [Part(sd, s) for s in sd.document_shards()]


@_once
def side_files(stage: dict, sub: str) -> list[Part]:
    """Parquet files in one of the stage's side folders (`removed`, `quarantine`)."""
    d = storage.path(stage["dir"]) / sub
    return [Part(None, d / name) for name in storage.names(d, ".parquet")]


def _spread(items: list, k: int) -> list:
    """k items evenly spread over the list (deterministic: first, last and between), each source's
    shards among them while there are fewer sources than k: shards are named by source and file
    (`<source>-<file>-<part>`, after a mix `p<phase>-<source>-…`), and an even spread over 9 shards
    of which one held a whole source left it out of every sampled section."""
    if len(items) <= k:
        return items
    groups: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault(_source_key(item), []).append(i)
    if len(groups) == 1 or len(groups) >= k:
        idx = np.unique(np.linspace(0, len(items) - 1, k).round().astype(int))
        return [items[i] for i in idx]
    # one shard per source, the others shared by size (largest remainders), spread within each
    extra = k - len(groups)
    share = {g: extra * len(ix) / len(items) for g, ix in groups.items()}
    quota = {g: 1 + int(share[g]) for g in groups}
    for g in sorted(groups, key=lambda g: -(share[g] - int(share[g])))[:k - sum(quota.values())]:
        quota[g] += 1
    chosen = sorted(i for g, ix in groups.items()
                    for i in (ix[j] for j in np.unique(np.linspace(0, len(ix) - 1, min(quota[g], len(ix)))
                                                       .round().astype(int))))
    return [items[i] for i in chosen]


def _source_key(part) -> str:
    """The source a shard is of, by its name (`<source>-<file>-<part>`, after a mix `p<phase>-<source>-…`)."""
    return str(getattr(part, "name", part)).rsplit("-", 2)[0]


def _by_source(parts: list[Part]) -> dict[str, list[Part]]:
    groups: dict[str, list[Part]] = {}
    for p in parts:
        groups.setdefault(_source_key(p), []).append(p)
    return groups


SCHEMA_SHARDS = 4   # per source, shards whose columns are read (spread over its non-empty shards)


def _count(parts: list[Part]) -> int:
    """Documents in the parts: each part's count is its shard's completion record, fetched together
    (a stage of thousands of shards on S3 is thousands of requests), then cached on the part."""
    with ThreadPoolExecutor(min(32, max(1, len(parts)))) as pool:
        return sum(pool.map(Part.rows, parts))


def _source_columns(parts: list[Part]) -> dict[str, dict[str, pa.Field]]:
    """Per source, the columns of its shards that hold documents: the union over a few of them
    (SCHEMA_SHARDS, spread over the list), read together. A shard emptied earlier in the run (a
    crawl's first file all in a language the recipe drops) is passed on untouched by a stage
    scoped with `apply_to` and lacks that stage's columns: taken alone, it hid the signals of a
    whole source. Shards with documents of one source went through the same stages, so a few of
    them stand for all without reading every footer."""
    _count(parts)
    picks = {k: _spread([p for p in ps if p.rows()], SCHEMA_SHARDS) for k, ps in _by_source(parts).items()}
    flat = [p for ps in picks.values() for p in ps]
    with ThreadPoolExecutor(min(32, max(1, len(flat)))) as pool:
        list(pool.map(Part.schema, flat))
    out: dict[str, dict[str, pa.Field]] = {}
    for k, ps in picks.items():
        fields = out.setdefault(k, {})
        for p in ps:
            for f in p.schema():
                fields.setdefault(f.name, f)
    return out


def _columns_of(parts: list[Part]) -> dict[str, pa.Field]:
    """The columns of the parts' documents, over every source: a stage scoped with `apply_to`
    added its columns to some sources' shards only (`_source_columns`)."""
    fields: dict[str, pa.Field] = {}
    for cols in _source_columns(parts).values():
        for name, f in cols.items():
            fields.setdefault(name, f)
    return fields


def _having(parts: list[Part], columns: list[str]) -> list[Part]:
    """The shards with documents of the sources whose documents have one of `columns`."""
    have = _source_columns(parts)
    return [p for k, ps in _by_source(parts).items() if any(c in have[k] for c in columns)
            for p in ps if p.rows()]


def _sample(parts: list[Part], columns: list[str], per_part=None) -> tuple[pa.Table | None, int, int]:
    """(rows of `columns` the parts have, documents read, documents in the parts): every document
    while there are at most ALL_DOCS, else SAMPLE_DOCS of them, each source's part of the sample
    its part of the documents (its shards spread over its list, rows drawn from them, seeded).
    `per_part` reduces a part's table as it is read (lengths from texts: texts are not kept)."""
    total = _count(parts)
    parts = [p for p in parts if p.rows()]       # an emptied shard has nothing to read

    def read(p: Part) -> pa.Table:
        t = p.read([c for c in columns if c in p.names()])
        return per_part(t) if per_part else t

    if total <= ALL_DOCS:
        tables = [read(p) for p in parts]
    else:
        rng, tables = np.random.default_rng(0), []
        for ps in _by_source(parts).values():
            docs = sum(p.rows() for p in ps)
            want = round(SAMPLE_DOCS * docs / total)
            if not want:
                continue
            k = min(len(ps), max(1, -(-len(ps) * want // docs)))    # shards of the source's mean size
            first = np.unique(np.linspace(0, len(ps) - 1, k).round().astype(int)).tolist()
            chosen, got = [], 0
            for i in first + sorted(set(range(len(ps))) - set(first)):   # more if those were small
                if got >= want:
                    break
                chosen.append(read(ps[i]))
                got += chosen[-1].num_rows
            t = pa.concat_tables(chosen, promote_options="permissive")
            tables.append(t.take(np.sort(rng.choice(t.num_rows, want, replace=False))) if t.num_rows > want else t)
    if not tables:
        return None, 0, total
    t = pa.concat_tables(tables, promote_options="permissive")
    return t, t.num_rows, total


def _numeric(col: pa.ChunkedArray) -> np.ndarray:
    if pa.types.is_boolean(col.type):
        col = pc.cast(col, pa.int8())
    return pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)


def _lengths_of(t: pa.Table) -> pa.Table:
    return pa.table({"characters": pc.fill_null(pc.utf8_length(t.column("text")), 0)})


def _text_lengths(parts: list[Part]) -> tuple[np.ndarray, int, int]:
    """Characters per document (read, of all), `_sample`'s documents."""
    t, n, total = _sample(parts, ["text"], _lengths_of)
    return (np.zeros(0) if t is None else _numeric(t.column("characters"))), n, total


def funnel(stats: dict) -> list[dict]:
    return [{"id": s["id"], "stage": s["stage"], "docs_in": s["docs_in"], "docs_out": s["docs_out"],
             "removed": sum(s["removed"].values()), "quarantined": sum(s["quarantined"].values()),
             "bytes_in": s["bytes_in"], "bytes_out": s["bytes_out"],
             "global": s.get("shards", 0) == 0 and s["stage"] != "ingest" and s["docs_out"] == 0,
             "resamples": bool(s.get("resamples"))}
            for s in stats["stages"]]


def reasons(stats: dict) -> list[tuple[str, int]]:
    both = dict(stats.get("removed", {}))
    for k, v in stats.get("quarantined", {}).items():
        both[f"{k} (quarantined)"] = both.get(f"{k} (quarantined)", 0) + v
    return sorted(both.items(), key=lambda kv: (-kv[1], kv[0]))


def walls(stats: dict) -> list[dict]:
    return [{"id": s["id"], "wall_seconds": s.get("wall_seconds", 0.0), "task_seconds": s.get("task_seconds", 0.0),
             "cpu_seconds": s.get("cpu_seconds", 0.0), "fused_with": s.get("fused_with") or [],
             "cached": bool(s.get("cached"))}
            for s in stats["stages"]]


def lengths(stats: dict) -> list[Distribution]:
    """Characters per document where text first appears (before filters) and at the end."""
    with_text = [s for s in stats["stages"] if (sh := _shards(s)) and "text" in sh[0].names()]
    nonempty = []
    for s in with_text:
        shards = _shards(s)
        sample = _text_lengths(_spread(shards, 2))[0]
        # WARC ingest has HTML and empty text: "before filters" means after extraction.
        if len(sample) and np.median(sample) > 0:
            nonempty.append(s)
            break
    picks = nonempty + ([with_text[-1]] if with_text and (not nonempty or with_text[-1] is not nonempty[0]) else [])
    out = []
    for s in picks:
        shards = _having(_shards(s), ["text"])
        kept, n, total = _text_lengths(shards)
        out.append(Distribution(s["id"], "characters", kept, sampled=n, total=total))
    return [d for d in out if len(d.kept)]


def languages(stats: dict) -> tuple[str, dict[str, int], int, int] | None:
    """Language counts of the final documents (the last stage that has a `language` column): as
    the stage counted them when it wrote its shards (`kept_by`), else read from its documents."""
    for s in reversed(stats["stages"]):
        if s.get("kept_by") is not None:
            if "language" not in s["kept_by"]:
                continue
            counts = s["kept_by"]["language"]
            n = total = sum(counts.values())
        else:                           # a run from before the counts: read the column
            # Shards differ in columns when a language stage saw only some sources (`apply_to`);
            # the others' documents count as "(none)", as `kept_by` counts them.
            shards = _shards(s)
            if "language" not in _columns_of(shards):
                continue
            t, n, total = _sample(shards, ["language"])
            counts = {}
            if t is not None:
                col = t.column("language") if "language" in t.column_names else pa.nulls(t.num_rows, pa.string())
                counts = {v["values"]: v["counts"] for v in pc.value_counts(
                    pc.fill_null(pc.cast(col, pa.string()), "(none)").combine_chunks()).to_pylist()}
        return s["id"], dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))), n, total
    return None


def _is_number(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t)


def signals(stats: dict) -> list[Distribution]:
    """Each numeric quality signal at the stage that added it (`_credit`): kept docs, plus the
    removed sample, with the stage's thresholds on it and the kept values per language."""
    out = []
    seen: set[str] = set()
    by_id = {s["id"]: s for s in stats["stages"]}
    since: list[dict] = []        # the stages since the last one that stored documents, this one included
    for s in stats["stages"]:
        since.append(s)
        shards = _shards(s)
        removed = side_files(s, "removed")
        declared = s.get("thresholds") or {}
        own = bool(shards)
        kept_at = s["id"]
        if not shards and s.get("fused_with"):
            # Inside a fused chain only the last stage stores documents (write once); the columns a
            # stage added travel with them, and its removed sample (or its declared thresholds)
            # shows which columns it had.
            kept_at, shards = next(((sid, sh) for sid in reversed(s["fused_with"])
                                    if (sh := _shards(by_id.get(sid, {})))), (kept_at, []))
            if not removed and not declared:
                continue
        if not shards:
            continue
        # The columns of every source's shards: the first shard may be of a source the stage
        # never saw (`apply_to`), which showed no signal at all.
        kept_fields = _columns_of(shards)
        names = (list(kept_fields) if own else list(dict.fromkeys(c for r in removed for c in r.names())) if removed
                 else [c for c in declared if c in kept_fields])
        new = [c for c in names if c not in seen and c in kept_fields]
        seen.update(names)
        cols = [c for c in new if (c.startswith(SIGNAL_PREFIXES) or c in declared)
                and _is_number(kept_fields[c].type)]
        credit = {c: _credit(c, since) for c in cols}
        if own:
            since = []
        if not cols:
            continue
        use = _having(shards, cols)
        # One read of each part for all of the stage's columns (a read per column and part was
        # most of the report's time on an object store).
        kept, n, total = _sample(use, [*cols, "language", "quality_profile"])
        gone_parts = [p for p in removed if any(c in p.names() for c in cols)]
        gone = pa.concat_tables([p.read([c for c in cols if c in p.names()]) for p in gone_parts],
                                promote_options="permissive") if gone_parts else None
        for c in cols:
            by = by_id.get(credit[c], s)
            # another stage's signal: this stage's removed documents are not the ones it judged
            d = Distribution(credit[c], c, np.zeros(0), _valid(gone, c) if by is s else np.zeros(0),
                             sampled=n, total=total, thresholds=(by.get("thresholds") or {}).get(c, []),
                             kept_at=kept_at)
            _fill_kept(d, kept)
            out.append(d)
    return out


FROM_CHAIN = "from the chain {}"


def _credit(column: str, since: list[dict]) -> str:
    """The stage that added a signal column first seen at the last of `since` (the stages after the
    last one that stored documents, where the column was not yet): that stage when it is the only
    one, or when it declares a threshold on the column. Else one of them stored nothing and left no
    sample showing its columns (a fused chain's annotate-only filter): the last stage that declares
    it adds the column (`Stage.adds`), else, among stages that declare nothing (custom ones), the
    one the column is named after (`<id>.`: a second instance; a custom stage's name), or, when
    none or several are, "from the chain <first>…<last>" rather than the stage the column was first
    seen at."""
    last = since[-1]
    if len(since) == 1 or column in (last.get("thresholds") or {}):
        return last["id"]
    declared = [s["id"] for s in since if any(fnmatchcase(column, p) for p in s.get("adds") or ())]
    if declared:
        return declared[-1]
    named = [s["id"] for s in since if "adds" not in s and _named_after(column, s)]
    return named[0] if len(named) == 1 else FROM_CHAIN.format(f"{since[0]['id']}…{last['id']}")


def _named_after(column: str, stage: dict) -> bool:
    """Whether a signal column has the name a stage gives its own: a second instance prefixes
    them with `<id>.`; the project's filters begin them with the first word of their name
    (gopher_quality's `gopher_word_count`, language's `language_score`)."""
    if "." in column:
        return column.split(".", 1)[0] == stage["id"]
    ref = str(stage.get("stage") or "")
    words = {stage["id"], ref.rsplit(":", 1)[-1], ref.split(":", 1)[0].rsplit(".", 1)[-1]}
    return column.split("_", 1)[0].lower() in {w.lower().split("_", 1)[0] for w in words if w}


def _valid(t: pa.Table | None, column: str) -> np.ndarray:
    """The column's values where it has one (parts without the column are nulls after concat)."""
    if t is None or column not in t.column_names:
        return np.zeros(0)
    return _numeric(t.column(column).drop_null())


def _fill_kept(d: Distribution, t: pa.Table | None) -> None:
    """The kept values, and per language (top languages) with the profile each was judged by."""
    if t is None or d.column not in t.column_names:
        return
    t = t.filter(pc.is_valid(t.column(d.column)))
    d.kept = _numeric(t.column(d.column))
    profiles = (np.asarray(pc.fill_null(t.column("quality_profile"), "").to_pylist(), dtype=object).astype(str)
                if "quality_profile" in t.column_names else None)
    if profiles is not None:
        d.profile = _most_common(profiles)
    if "language" not in t.column_names:
        return
    langs = np.asarray(pc.fill_null(t.column("language"), "(none)").to_pylist(), dtype=object).astype(str)
    names, counts = np.unique(langs, return_counts=True)
    for lang in names[np.argsort(-counts, kind="stable")][:TOP_LANGUAGES]:
        mask = langs == lang
        d.by_language[str(lang)] = d.kept[mask]
        if profiles is not None and _most_common(profiles[mask]):
            d.profiles[str(lang)] = _most_common(profiles[mask])


def _most_common(values: np.ndarray) -> str:
    vals, n = np.unique(values, return_counts=True)
    return str(vals[np.argmax(n)]) if len(vals) else ""


def _component_sizes(a: np.ndarray, b: np.ndarray) -> dict[int, int]:
    """Sizes of the connected components of the graph with edges a-b (union-find, vectorised hops)."""
    nodes, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    ea, eb = inv[: len(a)], inv[len(a):]
    parent = np.arange(len(nodes))
    while True:           # label propagation: every node takes the smallest label among neighbours
        lo = np.minimum(parent[ea], parent[eb])
        new = parent.copy()
        np.minimum.at(new, ea, lo)
        np.minimum.at(new, eb, lo)
        new = new[new]
        if np.array_equal(new, parent):
            break
        parent = new
    _, sizes = np.unique(parent, return_counts=True)
    vals, counts = np.unique(sizes, return_counts=True)
    return {int(v): int(c) for v, c in zip(vals, counts)}


def clusters(stats: dict) -> dict[str, dict]:
    """Duplicate-cluster sizes per dedup stage: as the stage counted them (`cluster_sizes` in its
    info: exact_dedup), else exact from candidate pairs when the stage wrote them, else from the
    removed sample's `duplicate_of` column (a lower bound)."""
    out = {}
    for s in stats["stages"]:
        counted = (s.get("info") or {}).get("cluster_sizes")
        if counted is not None:
            out[s["id"]] = {"sizes": {int(k): int(v) for k, v in counted.items()}, "source": "the stage's count",
                            "exact": True}
            continue
        pairs = storage.path(s["dir"]) / "output" / "candidate_pairs.parquet"
        if storage.exists(pairs):
            t = storage.read_parquet(pairs, columns=["key_a", "key_b", "accepted"])
            t = t.filter(t.column("accepted"))
            sizes = _component_sizes(t.column("key_a").to_numpy(), t.column("key_b").to_numpy()) \
                if t.num_rows else {}
            out[s["id"]] = {"sizes": sizes, "source": "accepted candidate pairs", "exact": True}
            continue
        removed = side_files(s, "removed")
        if removed and "duplicate_of" in removed[0].names():
            col = pa.concat_tables(p.read(["duplicate_of"]) for p in removed).column(0)
            vc = pc.value_counts(col.combine_chunks().drop_null()).field("counts").to_numpy()
            vals, counts = np.unique(vc + 1, return_counts=True)
            n_removed = sum(s["removed"].values())
            out[s["id"]] = {"sizes": {int(v): int(c) for v, c in zip(vals, counts)},
                            "source": "removed-document sample", "exact": len(col) >= n_removed}
    return out


def tokens(stats: dict) -> tuple[list[dict], str]:
    """Tokens per source, requested (mix stage) vs realised (tokenize manifest, else mix)."""
    mix = next((s["info"]["mix"] for s in stats["stages"] if (s.get("info") or {}).get("mix")), None)
    manifest = None
    for s in stats["stages"]:
        path = ((s.get("info") or {}).get("tokenize") or {}).get("manifest")
        if path and storage.exists(path):
            manifest = storage.read_json(path)
    if mix is None and manifest is None:
        return [], ""
    src_mix = (mix or {}).get("sources", {})
    src_tok = (manifest or {}).get("sources", {})
    total = sum(r.get("tokens", 0) for r in (src_tok or src_mix).values())
    rows = []
    for name in sorted(set(src_mix) | set(src_tok)):
        m, t = src_mix.get(name, {}), src_tok.get(name, {})
        realised = t.get("tokens", m.get("tokens", 0))
        rows.append({"source": name, "requested_share": m.get("requested_share"),
                     "planned_tokens": m.get("tokens"), "tokens": realised,
                     "share": round(realised / total, 6) if total else 0.0,
                     "documents": t.get("documents", m.get("documents")),
                     # passes over the source's documents (2.5: every one twice, half a third time)
                     "epochs": m.get("epochs"),
                     "phase_tokens": [p.get("tokens", 0) for p in m.get("phases") or []]})
    note = ("requested shares from the mix stage; realised tokens from the tokenize manifest"
            if mix and manifest else
            "no mix stage: nothing was requested, realised tokens from the tokenize manifest" if manifest else
            "no tokenize stage: realised tokens as counted by the mix stage")
    return rows, note


def collect(stats: dict) -> ReportData:
    global _listed
    _listed = {}
    try:
        return _collect(stats)
    finally:
        _listed = None


def _collect(stats: dict) -> ReportData:
    missing: dict[str, str] = {}

    def attempt(name, fn, empty):
        try:
            return fn(stats)
        except Exception as e:              # one unreadable section must not lose the whole report
            missing[name] = f"could not be read: {type(e).__name__}: {e}"
            return empty

    data = ReportData(stats=stats, funnel=funnel(stats), reasons=reasons(stats), walls=walls(stats),
                      lengths=attempt("lengths", lengths, []), languages=attempt("languages", languages, None),
                      signals=attempt("signals", signals, []), clusters=attempt("clusters", clusters, {}),
                      tokens=[])
    data.tokens, data.tokens_note = attempt("tokens", tokens, ([], ""))
    from pipeline.stats import stage_warnings
    warned = stage_warnings(stats)
    data.tokens_warnings = [w["message"] for w in warned if w["kind"] not in ("idle", "setup")]
    data.stage_warnings = [w["message"] for w in warned if w["kind"] in ("idle", "setup")]
    from pipeline.report import breakdown as b
    data.by_source = attempt("by_source", lambda st: b.funnel_by(st, "source"), ([], []))
    data.by_language = attempt("by_language", lambda st: b.funnel_by(st, "language"), ([], []))
    data.token_groups = attempt("token_groups", b.token_groups, {})
    data.signals_by_language = attempt("signals_by_language", lambda st: b.signals_by_language(data.signals), [])
    data.quarantine_files = attempt("quarantine_files", b.quarantine_by_file, [])
    data.input_counts = attempt("input_counts", b.input_counts, [])
    data.duplicate_pairs = attempt("duplicate_pairs", b.near_duplicate_pairs, [])
    defaults = {
        "reasons": (not data.reasons, "no document was removed or quarantined"),
        "lengths": (not data.lengths, "no stage has a text column with documents in it"),
        "languages": (data.languages is None, "no language stage in this run (no `language` column)"),
        "signals": (not data.signals, "no quality-signal columns (no gopher/c4/fineweb/quality stage, "
                                      "or all their documents were removed)"),
        "clusters": (not data.clusters, "no dedup stage in this run (or it removed nothing)"),
        "tokens": (not data.tokens, "no tokenizer or mix stage in this run"),
        "by_source": (not data.by_source[1], "no stage wrote documents with a `source` column"),
        "by_language": (not data.by_language[1], "no language stage in this run (no `language` column)"),
        "signals_by_language": (not data.signals_by_language, "no quality signals on documents with a language"),
        "quarantine_files": (not data.quarantine_files, "nothing was quarantined"),
        "input_counts": (not data.input_counts, "ingest skipped no record and flagged no document"),
        "duplicate_pairs": (not data.duplicate_pairs, "no dedup stage removed a duplicate with `duplicate_of`"),
    }
    for name, (empty, why) in defaults.items():
        if empty:
            missing.setdefault(name, why)
    data.missing = missing
    return data
