"""The stage protocol.

A stage is a pydantic model: its fields are its typed options (validated from the recipe), and
`process` turns one Arrow table of documents into the documents it keeps, plus the ones it
removed or quarantined, each with a reason. A `Filter` only has to say, per row, why a document
should go (or `None`); a `GlobalStage` sees all of its input at once (dedup, mixing, shuffle).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import types
import typing
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

# Columns a stage may rewrite in place (they are the document, not a signal about it).
DOCUMENT_COLUMNS = frozenset({"id", "source", "url", "text", "html", "metadata"})

if TYPE_CHECKING:
    from pipeline.global_context import GlobalContext


class StageError(ValueError):
    """A stage cannot do what the recipe asks with this input (a mix shortfall, no text to train
    on): the run stops with this one-line message, exit code 2, and no traceback."""


class SplitError(StageError):
    """Reasons `Result.split` cannot take (one per row, None to keep): the stage that called it
    prefixes its name (Stage._process_checked)."""


@dataclass
class StageContext:
    """What a stage may know about the run it is part of."""
    seed: int = 0
    stage_id: str = ""
    run_dir: str = ""


@dataclass
class Result:
    """What a stage returns for one input table.

    `removed` and `quarantined` hold the same columns as the input plus a string `reason`.
    Removed rows are decisions (a filter said no); quarantined rows are bad input (a page too
    large or too slow to parse) that a person should look at. `counters` are extra named counts
    (say, PII redactions by kind) summed into the run's stats. `linked_columns` name columns of the
    removed rows that link them to other documents (the kept copy of a duplicate): the run keeps
    them beside every removed id, not only in the bounded samples.
    """
    kept: pa.Table
    removed: pa.Table | None = None
    quarantined: pa.Table | None = None
    counters: dict[str, int] = field(default_factory=dict)
    linked_columns: tuple[str, ...] = ()

    @classmethod
    def split(cls, table: pa.Table, reasons: Sequence[str | None] | pa.Array,
              quarantine: Iterable[str] = (), counters: dict[str, int] | None = None) -> "Result":
        """Split `table` by a per-row reason (None keeps the row)."""
        reasons = reasons if isinstance(reasons, pa.Array) else pa.array(reasons, pa.string())
        if len(reasons) != table.num_rows:
            raise SplitError(f"{len(reasons)} reasons for {table.num_rows} rows")
        _refuse_empty_reasons(reasons)
        keep = pc.is_null(reasons)
        kept = table.filter(keep)
        gone = pc.invert(keep)
        removed = quarantined = None
        if kept.num_rows < table.num_rows:
            dropped = table.filter(gone).append_column("reason", reasons.filter(gone))
            qset = pa.array(sorted(set(quarantine)), pa.string())
            if len(qset):
                is_q = pc.is_in(dropped.column("reason"), value_set=qset)
                quarantined = dropped.filter(is_q)
                dropped = dropped.filter(pc.invert(is_q))
                quarantined = quarantined if quarantined.num_rows else None
            removed = dropped if dropped.num_rows else None
        return cls(kept, removed, quarantined, dict(counters or {}))


def _refuse_empty_reasons(reasons: pa.Array) -> None:
    # "" reads as "no reason" but is one: every such document would be removed.
    empty = pc.sum(pc.equal(reasons, "")).as_py() or 0
    if empty:
        raise SplitError(f"{empty:,} of {len(reasons):,} reasons are the empty string, which removes the "
                         f"document; use None to keep a document")


class Stage(BaseModel):
    """Base of every stage. Subclasses declare options as pydantic fields."""
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    name: ClassVar[str] = ""
    is_global: ClassVar[bool] = False
    # Stages whose output depends on the recipe's seed say so: only their cache key includes it.
    uses_seed: ClassVar[bool] = False
    # Bump when a stage's output changes for the same options, so old cached output is not reused.
    version: ClassVar[str] = "1"
    # Stages whose output repeats or samples documents (mixing with epochs): the run's profile of
    # kept documents is taken before them, so keep rates are not inflated by repeats.
    resamples: ClassVar[bool] = False
    # What one task running this stage asks the executor for (pipeline/executor.py Resources):
    # CPUs, and memory in bytes (None = no reservation). A fused chain asks for its largest.
    num_cpus: ClassVar[float] = 1.0
    memory: ClassVar[int | None] = None
    # Stages that only remove whole documents, never change one (exact and fuzzy dedup): their
    # output is stored as a view of their input minus the ids they removed (pipeline/shards.py).
    removes_only: ClassVar[bool] = False
    # Counters that, when they count every document the stage was given, mean it judged nothing (a
    # URL filter over documents without a URL: a field named otherwise passed as "no spam"): the
    # run's summary and report then warn with the message (pipeline/stats.py).
    idle_counters: ClassVar[dict[str, str]] = {}
    # Content columns the stage reads (its `text_field` option, if it has one, counts too), columns
    # it adds to its documents and columns it consumes (reads, then leaves out of its output). The
    # recipe loader follows each source's columns through the stages, so a stage that reads `text`
    # placed before `extract` on a web source, a second stage consuming what the first consumed, or a
    # column no earlier stage adds (a misspelt `source_column`) is refused at load, not mid-run.
    # `adds` names every column the stage adds, or a pattern of them (`gopher_*`), before a second
    # instance's `<id>.` prefix; None (the default) says nothing of them: a custom stage that does not
    # declare its columns lets any column read after it pass the load check.
    reads: ClassVar[frozenset[str]] = frozenset()
    adds: ClassVar[frozenset[str] | None] = None
    drops: ClassVar[frozenset[str]] = frozenset()

    _ctx: StageContext = PrivateAttr(default_factory=StageContext)
    _ready: bool = PrivateAttr(default=False)
    # Set from the recipe entry's `apply_to`: only these sources' documents go through the stage.
    _apply_to: tuple[str, ...] | None = PrivateAttr(default=None)
    # Set by the recipe loader when a recipe has several instances of one stage class: each
    # instance's signal columns are prefixed with `<its id>.` so they never overwrite each other.
    _signal_prefix: str = PrivateAttr(default="")

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, data: Any) -> Any:
        """pydantic takes `true` for 1 in a number option (`min_words: true` ran with 1): refused,
        here for every stage, rather than a strict type on each option (strict would refuse the
        lists YAML gives for tuple options too)."""
        if isinstance(data, dict):
            for name, value in data.items():
                f = cls.model_fields.get(name)
                if isinstance(value, bool) and f is not None and _is_number(f.annotation):
                    raise ValueError(f"{name}: a number, not {str(value).lower()}")
        return data

    # -- lifecycle -------------------------------------------------------------------------
    def bind(self, ctx: StageContext) -> "Stage":
        self._ctx = ctx
        return self

    @property
    def context(self) -> StageContext:
        return self._ctx

    def setup(self) -> None:
        """Load models and build lookup tables; called once per worker before the first batch.

        Raise here when something cannot load: the run stops with that error instead of
        quietly producing empty output."""

    def __setattr__(self, name: str, value: Any) -> None:
        # Options are frozen (they make the stage's cache key); pydantic's refusal of
        # `self.model = load(...)` in a custom setup() reads "Instance is frozen" with no hint.
        if not name.startswith("_"):
            raise AttributeError(
                f"{type(self).__name__}.{name}: a stage's options are frozen once validated (they are its cache "
                f"key); keep what setup() loads or a batch computes in an attribute whose name starts with "
                f"'_' (self._{name} = ...)")
        super().__setattr__(name, value)

    def ensure_setup(self) -> "Stage":
        if not self._ready:
            self.setup()
            self._ready = True
        return self

    # -- work ------------------------------------------------------------------------------
    def process(self, batch: pa.Table) -> pa.Table | Result:
        raise NotImplementedError(f"{type(self).__name__} must implement process()")

    def __call__(self, batch: pa.Table) -> Result:
        self.ensure_setup()
        if self._apply_to is None or "source" not in batch.column_names:
            return self._process_checked(batch)
        mine = pc.fill_null(pc.is_in(batch.column("source"), value_set=pa.array(self._apply_to, pa.string())), False)
        n_mine = pc.sum(mine).as_py() or 0
        if n_mine == 0 and (batch.num_rows or not self.input_columns() <= set(batch.column_names)):
            return Result(batch)
        # (an empty batch with the columns the stage reads goes through: an emptied shard then has
        # the columns the stage adds, as later stages reading them by name expect; one without them,
        # another source's, passes untouched as that source's documents do)
        if n_mine == batch.num_rows:
            return self._process_checked(batch)
        out = self._process_checked(batch.filter(mine))
        # Other sources' documents pass through untouched, after this stage's own (a fixed order:
        # the output stays independent of the number of workers); columns the stage added are null.
        out.kept = pa.concat_tables([out.kept, batch.filter(pc.invert(mine))], promote_options="default")
        return out

    def _process_checked(self, batch: pa.Table) -> Result:
        missing = sorted(self.input_columns() - set(batch.column_names))
        if missing and batch.num_rows:
            # One line naming the column, not a KeyError from deep inside the stage.
            raise StageError(f"{self.name or type(self).__name__}: its input has no column "
                             f"{', '.join(map(repr, missing))} (it has: {', '.join(batch.column_names)})")
        label = self.name or type(self).__name__
        try:
            out = self.process(batch)
        except SplitError as e:
            raise StageError(f"{label}: {e}") from None
        if not isinstance(out, (pa.Table, Result)):
            # A custom stage's slip (a dict, a RecordBatch, None): said here, not as an
            # AttributeError where the runner first touches the value.
            raise StageError(f"{label}.process returned {type(out).__name__}; "
                             f"expected a pyarrow.Table or a Result")
        out = out if isinstance(out, Result) else Result(out)
        self._check_output(batch, out, label)
        return out

    def _check_output(self, batch: pa.Table, out: Result, label: str) -> None:
        """Refuse output that loses documents silently: a document column the input had and the
        stage does not declare it drops (`drops`), and input ids that are in none of kept, removed
        and quarantined (rows sliced away instead of removed with a reason). More rows than came
        in are fine (a chunker re-using its document's id)."""
        gone = [c for c in ("id", "source", "text", "html")
                if c in batch.column_names and c not in out.kept.column_names and c not in self.drops]
        if gone:
            raise StageError(f"{label} returned documents without column(s) {', '.join(map(repr, gone))} that its "
                             f"input had (it returned: {', '.join(out.kept.column_names) or 'no columns'}); "
                             f"keep the input's columns and add or replace others")
        if "id" not in batch.column_names or not batch.num_rows:
            return
        parts = [t.column("id") for t in (out.kept, out.removed, out.quarantined)
                 if t is not None and "id" in t.column_names]
        ids = batch.column("id")
        try:
            seen = pa.chunked_array([c for p in parts for c in p.cast(ids.type).chunks], ids.type)
            vanished = batch.num_rows - (pc.sum(pc.is_in(ids, value_set=seen.combine_chunks())).as_py() or 0)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):   # ids of another type
            vanished = batch.num_rows
        if vanished:
            raise StageError(f"{label}: {vanished:,} of the {batch.num_rows:,} input document ids are in none of "
                             f"its kept, removed or quarantined rows (documents lost without a reason, or ids "
                             f"rewritten); remove documents with Result.split(table, reasons) or Result(kept, "
                             f"removed=...) so each is counted with its reason")

    def options(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    # -- thresholds the report draws -------------------------------------------------------------
    # Signal column -> (option, direction), or a list of them: "min" removes a document whose
    # signal is below the option's value, "max" one above it, "below" one at or above it. An option may name a key of a dict
    # option ("top_ngram_char_frac.2"). The report draws these on the signal histograms.
    signal_thresholds: ClassVar[dict[str, Any]] = {}

    def signal_column(self, column: str) -> str:
        """The name the column has in this stage's output."""
        return column

    def for_trial(self, trial: str) -> "Stage":
        """This stage in a trial run (`--limit`/`--sample`: pipeline/trial.py), which reads only
        part of the input (`trial` says which, for the stage's messages). A stage whose request
        is sized to the whole input (a fixed token budget) returns a copy that takes the part and
        says so in what it records; the default is the stage itself."""
        return self

    def run_warnings(self) -> list[str]:
        """Warnings about how this stage is set up that the run's summary and report should carry
        (a model trained on too little data); a map stage has no info of its own to put them in."""
        return []

    def declared_thresholds(self) -> dict[str, list[dict]]:
        """{output column: [{"option", "direction", "value"}]} for every declared threshold that is on."""
        out: dict[str, list[dict]] = {}
        options = self.model_dump()
        for col, decl in self.signal_thresholds.items():
            for option, direction in ([decl] if isinstance(decl, tuple) else decl):
                value = numeric_option(options, option)
                if value is not None:
                    out.setdefault(self.signal_column(col), []).append(
                        {"option": option, "direction": direction, "value": value})
        return out

    # -- what the framework checks before any work -------------------------------------------
    def check_recipe(self, recipe: Any, stage_id: str) -> None:
        """Check this stage's options against the whole recipe (sources, other stages) at load.

        Raise ValueError with a one-line message; the recipe loader adds the file and key."""

    def check_input(self, counts: dict[str, dict[str, int]], stage_id: str) -> None:
        """After ingest, before later stages: `counts` = {source: {"documents", "bytes"}} as read.
        Raise StageError (one line) for a request this input cannot meet."""

    def input_columns(self) -> set[str]:
        """Columns every batch of this stage must have (`reads`, plus its `text_field`)."""
        text_field = getattr(self, "text_field", None)
        return set(self.reads) | ({text_field} if isinstance(text_field, str) else set())

    def optional_columns(self) -> set[str]:
        """Columns the stage reads where a document has them and takes as null elsewhere (a dedup's
        score from a stage that scores some sources only): some source must have each."""
        return set()

    def output_columns(self, stage_id: str) -> frozenset[str] | None:
        """The columns (or patterns of them) this instance adds, as named in its output; None when
        its class does not declare them (`adds`)."""
        if self.adds is None:
            return None
        return frozenset(self.signal_column(c) for c in self.adds)

    def data_files(self) -> list[str]:
        """Files this stage's output depends on besides its code and options (models, block
        lists, profiles): hashed into its cache key. Options naming an existing file and data
        files next to the stage's modules are found without being declared."""
        return []


def _is_number(annotation: Any) -> bool:
    """int, float, or either with None, and no bool among them."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and bool not in args and all(_is_number(a) for a in args)
    if typing.get_origin(annotation) is typing.Annotated:
        return _is_number(typing.get_args(annotation)[0])
    return annotation in (int, float)


def check_files_exist(option: str, paths: Iterable[str]) -> None:
    """For `check_recipe`: raise ValueError naming the first local file of an option that does not
    exist. Remote URLs are not checked here (loading a recipe makes no request): the plan reads
    those under file-like option names for the cache key and stops on one it cannot read
    (pipeline/fingerprint.py), and the stage's setup opens them."""
    one = isinstance(paths, str)
    for i, p in enumerate([paths] if one else paths):
        if p and "://" not in p and not Path(p).expanduser().is_file():
            raise ValueError(f"{option if one else f'{option}[{i}]'}: file not found: {p!r}")


@dataclass
class Judgement:
    """A filter's verdict on a batch: a reason per row (None = keep) and signal columns.

    Reasons listed in `quarantine` mark bad input rather than a decision (say, text a segmenter
    could not handle); `counters` are extra named counts for the run's stats."""
    reasons: Sequence[str | None]
    signals: dict[str, Sequence[Any] | pa.Array] = field(default_factory=dict)
    quarantine: frozenset[str] = frozenset()
    counters: dict[str, int] = field(default_factory=dict)


class Filter(Stage):
    """A stage that only decides which documents go. Implement `judge`.

    With `annotate_only`, nothing is removed: the signals and a `<stage id>_reason` column are
    added so thresholds can be tuned on the whole data. When a recipe has several instances of one
    stage (a second `c4_quality` with `id: c4_strict`), each prefixes its signal columns with
    `<id>.`, so they never overwrite each other's columns.
    """
    annotate_only: bool = Field(default=False, description=(
        "Remove nothing: add the signals and a `<stage id>_reason` column (null = kept), to tune "
        "thresholds on the whole data."))
    # Columns that describe the document for the stages after it (a language label), rather than
    # a signal of this instance's verdict: they keep their names whatever the stage id.
    attribute_columns: ClassVar[frozenset[str]] = frozenset()

    def judge(self, batch: pa.Table) -> Judgement:
        raise NotImplementedError

    def signal_column(self, column: str) -> str:
        keeps_name = column in DOCUMENT_COLUMNS or column in self.attribute_columns
        return column if keeps_name else self._signal_prefix + column

    def output_columns(self, stage_id: str) -> frozenset[str] | None:
        cols = super().output_columns(stage_id)
        if cols is not None and self.annotate_only:
            cols |= {f"{stage_id or self.name or type(self).__name__}_reason"}
        return cols

    def process(self, batch: pa.Table) -> Result:
        return self.apply(batch, self.judge(batch))

    def apply(self, batch: pa.Table, verdict: Judgement) -> Result:
        """Add the verdict's signal columns, then remove (or, annotating, label) the rows."""
        sid = self.context.stage_id
        for col, values in verdict.signals.items():
            arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)
            col = self.signal_column(col)     # `text`, `language` keep their names; signals get the prefix
            if col in batch.column_names:
                batch = batch.set_column(batch.column_names.index(col), col, arr)
            else:
                batch = batch.append_column(col, arr)
        if self.annotate_only:
            col = f"{sid or self.name or type(self).__name__}_reason"
            # what removing would have removed, by reason: the numbers a threshold is tuned by
            reasons = pa.array(verdict.reasons, pa.string())
            _refuse_empty_reasons(reasons)
            counters = dict(verdict.counters)
            for vc in pc.value_counts(reasons.drop_null()).to_pylist():
                counters[f"would_remove/{vc['values']}"] = vc["counts"]
            return Result(batch.append_column(col, reasons), counters=counters)
        return Result.split(batch, verdict.reasons, quarantine=verdict.quarantine, counters=verdict.counters)


class GlobalStage(Stage):
    """A stage that needs all of its input before it can emit anything.

    `run` reads the input shards through `ctx`, may fan work out over Ray with
    `ctx.map_shards`, and writes its output shards through `ctx` as well.
    """
    is_global: ClassVar[bool] = True

    def run(self, ctx: "GlobalContext") -> None:
        raise NotImplementedError


def numeric_option(options: dict, option: str) -> float | None:
    """options["a"] or options["a"][key] for "a.key" (dict keys may be ints); None when off."""
    name, _, key = option.partition(".")
    value = options.get(name)
    if key and isinstance(value, dict):
        value = value.get(key, value.get(int(key)) if key.lstrip("-").isdigit() else None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
