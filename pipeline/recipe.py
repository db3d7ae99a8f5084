"""Recipe schema: YAML in, validated pydantic objects out, errors that name the key.

A recipe names its sources, the chain of stages with their typed options, the output location
and a seed. Everything is checked here, once, before any work starts; stages never see raw dicts.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import reprlib
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, field_validator, model_validator

from pipeline.export import ExportConfig
from pipeline.readers import Reader, resolve_reader
from pipeline.recipe_columns import check_columns
from pipeline.registry import looks_like_path, resolve_stage, split_class_path
from pipeline.stage import Stage

# A recipe is a few hundred lines; these bound what a hostile file can make the loader build
# (a YAML "billion laughs" expands a few lines into gigabytes through aliases).
MAX_RECIPE_BYTES = 4 << 20
MAX_EXPANDED_CHARS = 8 << 20

_short = reprlib.Repr()
_short.maxstring, _short.maxother, _short.maxlist, _short.maxdict, _short.maxlevel = 60, 60, 4, 4, 2


def short_repr(value: Any) -> str:
    """repr() cut to a few dozen characters, without building the whole repr first."""
    return _short.repr(value)


class RecipeError(ValueError):
    """A recipe that cannot run, with the file and key path at fault."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Strict):
    """A source: its files and the options every format shares. The remaining keys of the source's
    entry are its reader's options (`text_field` for jsonl, ...), validated by that reader."""
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="source name (used in ids, stats and mix)")
    format: str = Field(description="reader: warc, wet, html, jsonl, parquet, text, ... or 'module:Class'")
    paths: list[str] = Field(default_factory=list, description="files, globs or fsspec URLs")
    paths_file: str | None = Field(
        None, description="a file (local or URL, compressed or not) listing one input path per line, as Common "
                          "Crawl's warc.paths.gz; read with `paths`, blank and # lines skipped")
    paths_base: str | None = Field(
        None, description="prefix of the relative lines of paths_file, e.g. s3://commoncrawl/ or "
                          "https://data.commoncrawl.org/ (default: relative as `paths` are)")
    max_files: int | None = Field(
        None, gt=0, description="read only the first this many of the source's files (sorted), e.g. a "
                                "sample of a crawl")
    id_base: str | None = Field(
        None, description="folder or URL prefix that ids made from a file's path (rows without an id_field, "
                          "text files, pages without a record id) name the file from; default: where the "
                          "source's paths start (the folder before the first wildcard), so ids do not depend "
                          "on the machine or the checkout")
    # A document larger than this is quarantined, not parsed (one giant page must not stall a worker).
    max_doc_bytes: int = Field(default=10 * 1024 * 1024, gt=0, description="larger documents are quarantined")
    # Shard boundaries depend only on the input, never on the number of workers.
    shard_docs: int = Field(default=2000, gt=0, description="documents per shard at most")
    shard_bytes: int = Field(default=64 * 1024 * 1024, gt=0, description="content bytes per shard at most")
    # Small files (a code checkout, a dataset of thousands of tiny JSONL files) read one a task made
    # a shard, a chain task and a few records each: 3,000 files of 2 documents took minutes.
    group_bytes: int = Field(default=8 * 1024 * 1024, ge=0, description=(
        "consecutive input files (in listing order) are read together, by one ingest task into shared "
        "shards, while their sizes add up to at most this many bytes (and at most 1,024 files); a larger "
        "file is read alone; 0: every file alone. Groups depend only on the listing, never on the workers"))
    # Excluded from dumps: a guard on the output, not an input to it (changing it must not re-ingest).
    max_quarantine_share: float | None = Field(
        default=None, ge=0, le=1, exclude=True, description="stop the run when more of this source's "
        "records are quarantined (default: the recipe's max_quarantine_share)")
    reader: SerializeAsAny[Reader] = Field(description="the format's reader with its options")

    @model_validator(mode="before")
    @classmethod
    def _reader_from_keys(cls, data: Any) -> Any:
        # Built in Python (tests, API): SourceConfig(name=..., format="jsonl", paths=[...], text_field=...).
        if isinstance(data, dict) and "reader" not in data and isinstance(data.get("format"), str):
            common = {k: v for k, v in data.items() if k in SOURCE_KEYS}
            return {**common, "reader": resolve_reader(data["format"]).model_validate(
                {k: v for k, v in data.items() if k not in SOURCE_KEYS})}
        return data

    @field_validator("paths", mode="before")
    @classmethod
    def _one_path(cls, v: Any) -> Any:
        v = [v] if isinstance(v, str) else v
        return [_expand_home(p) for p in v] if isinstance(v, list) else v

    @field_validator("paths_file", mode="before")
    @classmethod
    def _home(cls, v: Any) -> Any:
        return _expand_home(v)

    @model_validator(mode="after")
    def _some_input(self) -> "SourceConfig":
        if not self.paths and not self.paths_file:
            raise ValueError("a source needs `paths` or `paths_file`")
        if self.paths_base and not self.paths_file:
            raise ValueError("paths_base applies to the lines of paths_file, and there is none")
        return self


def _expand_home(p: Any) -> Any:
    """`~` is the home directory, as in a shell. `$HOME` is refused rather than taken literally
    (`output: $HOME/runs` wrote to a folder named '$HOME' under the current one): a recipe is data
    in git, the same on every machine, so the environment does not expand into it. An unset one is
    refused too: `${RUNROOT}/run` wrote into a folder literally named '${RUNROOT}'."""
    if not isinstance(p, str):
        return p
    m = re.search(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", p)
    if m:
        name = m.group(1)
        here = f"is {os.environ[name]!r} here" if name in os.environ else "is not set here"
        raise ValueError(f"{p!r}: environment variables are not expanded in a recipe (${name} {here}); write "
                         f"the path itself (~ is the home directory)")
    return os.path.expanduser(p) if p.startswith("~") else p


SOURCE_KEYS = set(SourceConfig.model_fields) - {"reader"}     # the rest of a source's keys are its reader's


class RayConfig(_Strict):
    address: str | None = Field(default=None, description=(
        "Ray cluster to join (host:port, ray://host:port, auto); None = $RAY_ADDRESS, else Ray starts "
        "inside the run"))
    num_cpus: int | None = Field(default=None, gt=0, description="CPUs of a Ray started inside the run; None = all")
    # Enough to hide I/O, few enough to bound memory.
    tasks_per_cpu: int = Field(default=2, gt=0, description="tasks kept in flight per CPU of the cluster")
    executor: Literal["tasks", "ray_data"] = Field(default="tasks", description=(
        "how segments run (pipeline/executor.py): plain Ray tasks, or Ray Data map_batches"))


# Which map stages store their surviving documents (pipeline/plan.py): by default only the last
# stage of a fused chain ("chain_end"); "every_stage" stores each stage's output as well.
Checkpoint = Literal["chain_end", "every_stage"]


class StageSpec(BaseModel):
    """One entry of `stages:` after validation."""
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    # Part of a directory name: no path separators, no leading dot.
    id: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
    ref: str
    stage: Stage
    # Names of the sources whose documents this (map) stage sees; the others pass through it
    # untouched. None: every source. Lets one recipe give code, papers and web their own chains.
    apply_to: tuple[str, ...] | None = None
    checkpoint: Checkpoint | None = None     # per stage; None = the recipe's `checkpoint`


class Recipe(_Strict):
    name: str = Field(min_length=1, max_length=200, description="the recipe's name, in the report")
    seed: int = Field(default=0, strict=True, description=(   # `seed: true` is a mistake, not 1
        "seed of the stages that draw at random: the mix's choice and order of documents, the "
        "tokenizer's training sample, token shuffling, `--sample` trials (MinHash has its own "
        "permutation_seed)"))
    output: str = Field(min_length=1, description=(
        "the run folder: a local path (relative to the current directory), s3:// or gs://"))
    sources: list[SourceConfig] = Field(min_length=1, description="the inputs: see the source formats below")
    stages: list[StageSpec] = Field(default=[], description=(
        "the stages in order; an entry is {stage: NAME, its options} plus optional `id` (default: the "
        "name), `apply_to` (source names; others pass through) and `checkpoint`"))
    removed_samples: int = Field(default=20, ge=0, description=(
        "removed documents kept per stage and reason (chosen by id hash across the run; text and html up to "
        "64 Ki characters each), so a person can read what each rule drops; every removed id and its reason is "
        "kept regardless"))
    # A wrong `text_field` quarantines every record of a source: that stops the run, not exit 0.
    max_quarantine_share: float = Field(default=0.5, ge=0, le=1, description=(
        "a source whose records are quarantined above this share stops the run after ingest "
        "(per source: `sources[].max_quarantine_share`)"))
    checkpoint: Checkpoint = Field(default="chain_end", description=(
        "which map stages store their documents: the last of each fused chain, or every stage "
        "(also per stage entry)"))
    ray: RayConfig = Field(default=RayConfig(), description="where and how the run's tasks run")
    # Where the final documents are also written after the run (pipeline/export.py).
    export: ExportConfig | None = Field(default=None, description="write the final documents to a named place "
                                        "(Hugging Face datasets layout): {to, format, rows_per_file, columns}")
    path: str | None = None

    @field_validator("output")
    @classmethod
    def _home(cls, v: str) -> str:
        return _expand_home(v)   # `output: ~/runs/x` is the home directory, not a directory named '~'

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, v: list[SourceConfig]) -> list[SourceConfig]:
        at: dict[str, list[int]] = {}
        for i, s in enumerate(v):
            at.setdefault(s.name, []).append(i)
        dup = [f"{name!r} is the name of " + " and ".join(f"sources[{i}]" for i in idx)
               for name, idx in at.items() if len(idx) > 1]
        if dup:
            raise ValueError(f"{'; '.join(dup)} (source names must be unique)")
        return v

    @model_validator(mode="after")
    def _unique_ids(self) -> "Recipe":
        ids = [s.id for s in self.stages]
        if "ingest" in ids:
            raise ValueError(f"stages[{ids.index('ingest')}].id: 'ingest' is the reading of the sources; "
                             f"give the stage another id")
        for i, sid in enumerate(ids):
            if sid in ids[:i]:
                raise ValueError(f"stages[{i}].id: {sid!r} is already the id of stages[{ids.index(sid)}] "
                                 f"(stage ids must be unique: add 'id:' to tell them apart)")
        return self

    def hash(self) -> str:
        """What the recipe asks for: not where it writes, nor how it runs (the same data from a run
        into another folder, on another cluster, with other checkpoints has the same hash)."""
        body = self.model_dump(mode="json", exclude={"path", "output", "ray", "export", "checkpoint"})
        body["stages"] = [{"id": s.id, "stage": s.ref, **s.stage.options(),
                           **({"apply_to": list(s.apply_to)} if s.apply_to else {})} for s in self.stages]
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _loc(parts: tuple) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


# What PyYAML (YAML 1.1) reads as text though it looks like a number: an exponent needs a dot and a sign
_YAML_TEXT_NUMBER = re.compile(r"[+-]?(?:\d[\d_]*\.?\d*|\.\d+)[eE][+-]?\d+")


def _format_errors(where: str, e: ValidationError, prefix: str = "") -> str:
    """One line: the file, then each wrong key with what was expected and (briefly) what was given."""
    parts = []
    errors = e.errors(include_url=False)
    # A union's members each fail on a value of the wrong kind (`1.5e5`, text to YAML): one
    # statement of it, not one per member with pydantic's internal names (`constrained-int`)
    seen_text: set[tuple] = set()
    for err in errors:
        if isinstance(err.get("input"), str) and _YAML_TEXT_NUMBER.fullmatch(err["input"]):
            loc = tuple(err["loc"])
            if len(loc) > 1 and _is_union_member(loc[-1]):
                loc = loc[:-1]
            if loc in seen_text:
                continue
            seen_text.add(loc)
            err = {**err, "loc": loc, "type": "yaml_number_text",
                   "msg": f"expected a number; YAML reads {err['input']} as text (an exponent needs a dot and a "
                          f"sign: 1.5e+5), so write {_plain_number(err['input'])}"}
        loc = _loc(tuple(x for x in err["loc"] if x not in ("function-after",)))
        loc = f"{prefix}.{loc}" if prefix and loc else (prefix or loc or "(top level)")
        if loc == "(top level)" and re.match(r"(stages|sources)\[\d+\]", str(err["msg"]).removeprefix("Value error, ")):
            loc = ""          # a check of the whole recipe that names the entry itself
        # A validator of a whole object, or of a list of them (value_error), says itself what is
        # wrong; its input is the object, whose dump would only bury that.
        whole = err["type"] == "value_error" and _is_objects(err.get("input"))
        got_s = "" if err["type"] == "missing" or whole else f" (got {short_repr(err.get('input'))})"
        msg = " ".join(str(err["msg"]).removeprefix("Value error, ").split())[:300]
        if err["type"] == "string_type" and isinstance(err.get("input"), bool):
            # `languages: [en, no]`, a source named `on`: YAML 1.1 reads these words as booleans
            got_s += " - YAML reads unquoted yes/no/on/off/true/false as true or false: quote it ('no')"
        parts.append(f"{loc}: {msg}{got_s}" if loc else f"{msg}{got_s}")
    return f"{where}: " + "; ".join(parts)


def _is_union_member(part: Any) -> bool:
    """Is this part of an error's location pydantic's name of a union member (`constrained-int`,
    `ChinchillaTarget`, `list[str]`), not a field?"""
    return isinstance(part, str) and (part in ("int", "float", "str", "bool") or "-" in part or "[" in part
                                      or part[:1].isupper())


def _plain_number(text: str) -> str:
    value = float(text.replace("_", ""))
    return f"{int(value)}" if value.is_integer() else f"{value!r}"


def _is_objects(value: Any) -> bool:
    """A mapping, or a non-empty list of mappings or models (e.g. the validated sources)."""
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, (dict, BaseModel)) for v in value)
    return isinstance(value, dict)


def _options_hint(e: ValidationError, what: str, names: Any, model: type[BaseModel] | None = None) -> str:
    """` (options of ...: a, b, c)` when `e` has an unknown key: the list helps find a misspelt
    key; after a wrong value of a known key it is only noise. An unknown key inside an option
    (mix's `sources.web.weigth`, `tokenizer.vocab`) lists the options of that inner part."""
    extra = [err for err in e.errors(include_url=False) if err["type"] == "extra_forbidden"]
    if not extra:
        return ""
    loc = extra[0]["loc"]
    inner = _model_at(model, loc[:-1]) if model is not None and len(loc) > 1 else None
    if inner is not None:
        what, names = f"{what} {_loc(tuple(loc[:-1]))}", list(inner.model_fields)
    return f" (options of {what}: {', '.join(names) or '(none)'})"


def _model_at(model: Any, loc: tuple) -> type[BaseModel] | None:
    """The pydantic model found at `loc` (field names, dict keys, list indexes, union member names)
    below `model`, or None where that is no model."""
    import types
    import typing
    for part in loc:
        while True:                      # unwrap X | None, list[X], dict[str, X] to what `part` indexes
            origin = typing.get_origin(model)
            if origin in (typing.Union, types.UnionType):
                args = [a for a in typing.get_args(model) if a is not type(None)]
                named = [a for a in args if getattr(a, "__name__", None) == part]
                if named:
                    model, part = named[0], None
                    break
                if len(args) != 1:
                    return None
                model = args[0]
            elif origin is typing.Annotated:
                model = typing.get_args(model)[0]
            else:
                break
        if part is None:
            continue
        origin = typing.get_origin(model)
        if isinstance(model, type) and issubclass(model, BaseModel) and part in model.model_fields:
            model = model.model_fields[part].annotation
        elif origin in (dict, list, tuple) and typing.get_args(model):
            model = typing.get_args(model)[-1 if origin is dict else 0]
        else:
            return None
    while typing.get_origin(model) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(model) if a is not type(None)]
        if len(args) != 1:
            return None
        model = args[0]
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _build_stage(where: str, i: int, entry: Any) -> StageSpec:
    key = f"stages[{i}]"
    if not isinstance(entry, dict):
        raise RecipeError(f"{where}: {key}: expected a mapping with a 'stage' key, got {short_repr(entry)}")
    entry = dict(entry)
    if "stage" not in entry:
        # `- Stage: extract`, `- language: {languages: [...]}`: say what the entry has instead
        raise RecipeError(f"{where}: {key}: no 'stage' key (it has: {', '.join(map(str, entry)) or 'nothing'}); "
                          f"write `- stage: NAME` and the stage's options beside it")
    ref = entry.pop("stage")
    if not isinstance(ref, str):
        raise RecipeError(f"{where}: {key}.stage: expected a stage name or 'module:Class', got {short_repr(ref)}")
    sid = entry.pop("id", None)
    apply_to = entry.pop("apply_to", None)
    if apply_to is not None:
        apply_to = [apply_to] if isinstance(apply_to, str) else apply_to
        if not (isinstance(apply_to, list) and apply_to and all(isinstance(a, str) for a in apply_to)):
            raise RecipeError(f"{where}: {key}.apply_to: expected a list of source names, got {short_repr(apply_to)}")
    if sid is None:
        try:
            sid = split_class_path(ref)[1] if looks_like_path(ref) else ref
        except ValueError as e:
            raise RecipeError(f"{where}: {key}.stage: {e}") from None
    if not isinstance(sid, str):
        raise RecipeError(f"{where}: {key}.id: expected a string, got {short_repr(sid)}")
    checkpoint = entry.pop("checkpoint", None)
    if checkpoint not in (None, "chain_end", "every_stage"):
        raise RecipeError(f"{where}: {key}.checkpoint: expected 'chain_end' or 'every_stage', got {short_repr(checkpoint)}")
    try:
        cls = resolve_stage(ref)
    except ValueError as e:
        raise RecipeError(f"{where}: {key}.stage: {' '.join(str(e).split())}") from None
    try:
        stage = cls.model_validate(entry)
    except ValidationError as e:
        msg = _format_errors(where, e, prefix=f"{key} ({ref})")
        raise RecipeError(msg + _options_hint(e, repr(ref), cls.model_fields, cls)) from None
    if apply_to is not None:
        if cls.is_global:
            raise RecipeError(f"{where}: {key}.apply_to: {ref!r} is a global stage; apply_to scopes map stages "
                              f"(a global stage sees every source; see its own options for scoping)")
        stage._apply_to = tuple(apply_to)
    try:
        return StageSpec(id=sid, ref=ref, stage=stage, apply_to=tuple(apply_to) if apply_to else None,
                         checkpoint=checkpoint)
    except ValidationError as e:
        raise RecipeError(_format_errors(where, e, prefix=key)) from None


def _build_source(where: str, i: int, entry: Any) -> Any:
    """Split a source entry into the shared keys and its reader's options; validate the latter."""
    key = f"sources[{i}]"
    if not isinstance(entry, dict):
        raise RecipeError(f"{where}: {key}: expected a mapping with 'name', 'format' and 'paths', "
                          f"got {short_repr(entry)}")
    fmt = entry.get("format")
    if not isinstance(fmt, str):
        raise RecipeError(f"{where}: {key}.format: expected a format name (warc, jsonl, ...), got {short_repr(fmt)}")
    try:
        cls = resolve_reader(fmt)
    except ValueError as e:
        raise RecipeError(f"{where}: {key}.format: {e}") from None
    common = {k: v for k, v in entry.items() if k in SOURCE_KEYS}
    opts = {k: v for k, v in entry.items() if k not in SOURCE_KEYS}
    try:
        reader = cls.model_validate(opts)
    except ValidationError as e:
        # Named by the source's name, as its other errors are (the format is in the hint).
        name = entry.get("name")
        msg = _format_errors(where, e, prefix=f"{key} ({name if isinstance(name, str) and name else fmt})")
        fields = sorted(SOURCE_KEYS | set(cls.model_fields))
        raise RecipeError(msg + _options_hint(e, f"a {fmt!r} source", fields)) from None
    return {**common, "reader": reader}


def parse_recipe(data: Any, where: str = "<recipe>") -> Recipe:
    if data is None:
        raise RecipeError(f"{where}: the recipe is empty")
    if not isinstance(data, dict):
        raise RecipeError(f"{where}: expected a mapping at the top level, got {type(data).__name__}")
    raw_stages = data.get("stages", []) or []
    if not isinstance(raw_stages, list):
        raise RecipeError(f"{where}: stages: expected a list, got {type(raw_stages).__name__}")
    specs = [_build_stage(where, i, e) for i, e in enumerate(raw_stages)]
    per_class = Counter(type(s.stage) for s in specs)
    for s in specs:
        if per_class[type(s.stage)] > 1:
            s.stage._signal_prefix = f"{s.id}."
    raw_sources = data.get("sources")
    sources = ([_build_source(where, i, e) for i, e in enumerate(raw_sources)]
               if isinstance(raw_sources, list) else raw_sources)
    try:
        recipe = Recipe.model_validate({**data, "sources": sources, "stages": specs, "path": where})
    except ValidationError as e:
        raise RecipeError(_format_errors(where, e)) from None
    check_whole_recipe(recipe)
    return recipe


def check_whole_recipe(recipe: Recipe) -> None:
    """Each stage checks its options against the whole recipe (names of sources, the stages
    around it) through its `check_recipe` hook, before any work."""
    names = {s.name for s in recipe.sources}
    for i, spec in enumerate(recipe.stages):
        unknown = sorted(set(spec.apply_to or ()) - names)
        if unknown:
            raise RecipeError(f"{recipe.path}: stages[{i}] ({spec.id}).apply_to: no source named "
                              f"{', '.join(map(repr, unknown))}; sources: {', '.join(sorted(names))}")
        try:
            spec.stage.check_recipe(recipe, spec.id)
        except (ValueError, TypeError, LookupError) as e:
            msg = " ".join(str(e).split())
            raise RecipeError(f"{recipe.path}: stages[{i}] ({spec.id}): {msg}") from None
    check_columns(recipe)


# -- YAML ---------------------------------------------------------------------------------------
# libyaml's parser where PyYAML was built with it: the same documents and marks, ~10x faster than
# the pure-Python loader on a large recipe (a 200k-item list took 14 CPU-s).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_error(where: str, e: yaml.YAMLError) -> RecipeError:
    mark = getattr(e, "problem_mark", None)
    at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
    problem = getattr(e, "problem", None) or str(e)
    context = getattr(e, "context", None)
    what = f"{problem} ({context})" if context else problem
    return RecipeError(f"{where}{at}: not valid YAML: {' '.join(str(what).split())}")


_NULL = "tag:yaml.org,2002:null"


def _check_nodes(where: str, root: yaml.Node) -> None:
    """Refuse duplicate keys, recursive aliases and documents whose aliases expand past
    MAX_EXPANDED_CHARS, before anything is built from them (sizes are memoised per node, so
    this takes time proportional to the text, not to the expansion)."""
    size: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        nid = id(node)
        if done:
            active.discard(nid)
            if isinstance(node, yaml.ScalarNode):
                total = len(node.value) + 1
            elif isinstance(node, yaml.SequenceNode):
                total = 1 + sum(size[id(c)] for c in node.value)
            else:
                total = 1 + sum(size[id(k)] + size[id(v)] for k, v in node.value)
            size[nid] = total
            if total > MAX_EXPANDED_CHARS:
                raise RecipeError(f"{where}:{node.start_mark.line + 1}: YAML aliases expand this value past "
                                  f"{MAX_EXPANDED_CHARS:,} characters; refusing it")
            continue
        if nid in size:
            continue
        if nid in active:
            raise RecipeError(f"{where}:{node.start_mark.line + 1}: a YAML alias refers to itself (recursive value)")
        active.add(nid)
        stack.append((node, True))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((c, False) for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value != "<<":
                    if k.value in keys:
                        raise RecipeError(f"{where}:{k.start_mark.line + 1}: key {short_repr(k.value)} appears twice "
                                          f"in one mapping (first on line {keys[k.value]})")
                    keys[k.value] = k.start_mark.line + 1
                stack.extend(((k, False), (v, False)))


def _check_blank_options(where: str, root: yaml.Node) -> None:
    """Refuse a stage option written with no value. `min_words:` with nothing after it is null,
    which turns a rule off (and `languages:` makes the language filter annotate only): a run
    that exits 0 would not have done what the recipe seems to ask. `null` says it on purpose."""
    if not isinstance(root, yaml.MappingNode):
        return
    stages = [v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "stages"]
    stack = [n for s in stages if isinstance(s, yaml.SequenceNode) for n in s.value]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(v, yaml.ScalarNode) and v.tag == _NULL and v.value == "":
                    raise RecipeError(f"{where}:{k.start_mark.line + 1}: {short_repr(k.value)} has no value; "
                                      f"write one, or `null` for none (a rule turned off)")
                stack.append(v)


def load_yaml(text: str, where: str) -> Any:
    """yaml.safe_load with the checks of _check_nodes; errors are one line with file:line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(where, node)
        _check_blank_options(where, node)
        return loader.construct_document(node)
    except yaml.YAMLError as e:
        raise _yaml_error(where, e) from None
    except RecursionError:
        raise RecipeError(f"{where}: YAML nested too deeply") from None
    finally:
        loader.dispose()


def load_recipe(path: str | os.PathLike, overrides: dict[str, Any] | None = None) -> Recipe:
    p = Path(path)
    try:
        if not p.exists():
            raise RecipeError(f"{p}: recipe file not found")
        if not p.is_file():
            raise RecipeError(f"{p}: not a file")
        if p.stat().st_size > MAX_RECIPE_BYTES:
            raise RecipeError(f"{p}: {p.stat().st_size:,} bytes is too large for a recipe "
                              f"(at most {MAX_RECIPE_BYTES:,})")
        text = p.read_bytes().decode("utf-8")
    except OSError as e:
        raise RecipeError(f"{p}: cannot read the recipe: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise RecipeError(f"{p}: the recipe is not UTF-8 text (byte {e.start})") from None
    data = load_yaml(text, str(p))
    if isinstance(data, dict) and overrides:
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    return parse_recipe(data, str(p))
