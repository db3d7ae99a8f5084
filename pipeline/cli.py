"""`python -m pipeline run|validate|stages|<stage command>`."""
from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import logging
import sys
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin

from pipeline.recipe import RecipeError, load_recipe
from pipeline import storage
from pipeline.export import ExportError
from pipeline.storage import DamagedFile, InputUnreadable
from pipeline.stage import StageError


def _cmd_run(a) -> int:
    recipe = load_recipe(a.recipe, {"output": a.output})
    a.writes = storage.url(recipe.output)       # named by main's one line if storage fails
    if a.limit is None and a.sample is None:
        from pipeline.lease import Lease
        Lease(recipe.output).check()        # a busy output is refused before Ray starts
    from pipeline.executor import start_ray_soon
    start_ray_soon(a.ray_address or recipe.ray.address, recipe.ray.num_cpus)   # while the run is planned
    from pipeline.runner import Runner
    from pipeline.stats import summary_table
    if a.limit is not None or a.sample is not None:     # trial run: pipeline/trial.py
        from pipeline.runner import list_inputs
        from pipeline.trial import trial_recipe
        recipe = trial_recipe(recipe, list_inputs(recipe), a.limit, a.sample)
    runner = Runner(recipe, ray_address=a.ray_address, quiet=a.quiet)
    print(f"run: {recipe.name} -> {runner.run_dir}", file=sys.stderr)
    try:
        stats = runner.run()
    except Exception:
        from pipeline.runner import FAILED
        with contextlib.suppress(Exception):    # the storage may be what failed: the run's error is the one
            if storage.exists(runner.run_dir / FAILED) and storage.exists(runner.run_dir / "report.md"):
                print(f"report:    {runner.run_dir / 'report.md'} (the work done until the error below)",
                      file=sys.stderr)
        raise
    from pipeline.executor import stop_ray_soon
    # A reference to a Ray object left in a garbage cycle must be freed while Ray is up: freed by
    # a later collection, after the shutdown below, it makes Ray end the process (exit 1, seen
    # once under load as "The core worker has already been shutdown").
    runner.executor = None
    gc.collect()
    stopping = stop_ray_soon()          # the report needs no Ray: Ray's ~1 s of shutdown overlaps it
    for path in after_run(runner.run_dir, stats):
        print(f"report:    {path}")
    stopping.join()
    print(summary_table(stats))
    out = stats["output"]
    print(f"\ndocuments: {out['documents']}  ({out['documents_count']:,}"
          + ("; views of an earlier stage's shards: read them with pipeline.read_documents(RUN) or "
             "`python -m pipeline export`)" if out.get("documents_are_views") else ")"))
    if "dataset" in stats["output"]:
        print(f"dataset:   {stats['output']['dataset']}")
    print(f"stats:     {runner.run_dir / 'stats.json'}")
    return 0


def after_run(run_dir, stats) -> list:
    """What every finished run leaves besides stats.json (the report), for the CLI and
    `run_recipe` alike; returns the paths written."""
    try:
        hooks = importlib.import_module("pipeline.report")
    except ImportError:
        return []
    return list(hooks.write_report(run_dir, stats))


def _cmd_report(a) -> int:
    from pipeline import storage
    from pipeline.report import write_report
    if not storage.exists(storage.path(a.run_dir) / "stats.json"):     # a local folder or s3://...
        from pipeline.runner import FAILED
        if storage.exists(storage.path(a.run_dir) / FAILED):
            error = storage.read_json(storage.path(a.run_dir) / FAILED).get("error")
            report = storage.path(a.run_dir) / "report.md"
            where = (f"its report of the work done until then is {report}" if storage.exists(report)
                     else "no report of it could be written")
            print(f"error: {a.run_dir}: the run stopped with an error ({error}); {where}", file=sys.stderr)
            return 2
        # killed (or still running): a partial report from what the stages recorded
        from pipeline.report import NotARun
        try:
            paths = write_report(a.run_dir)
        except NotARun as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        except RecipeError as e:
            print(f"error: {a.run_dir}: the run did not finish (no stats.json), and the recipe its stages are "
                  f"planned from could not be loaded: {e}", file=sys.stderr)
            return 2
        for path in paths:
            print(f"report:    {path} (partial: the run did not finish)")
        return 0
    for path in write_report(a.run_dir):
        print(f"report:    {path}")
    return 0


def _cmd_inspect(a) -> int:
    from pipeline.inspect import InspectError, inspect_stage
    try:
        print("\n".join(inspect_stage(a.run_dir, a.stage, a.reason, a.kept, a.n)))
    except InspectError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def _cmd_explain(a) -> int:
    from pipeline.inspect import InspectError, explain
    try:
        print("\n".join(explain(a.run_dir, a.doc_id)))
    except InspectError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def _cmd_validate(a) -> int:
    from pipeline.checks import list_inputs
    from pipeline.lease import check_output
    recipe = load_recipe(a.recipe, {"output": a.output})
    a.writes = storage.url(recipe.output)
    files = list_inputs(recipe)
    check_output(recipe.output, recipe, files)      # the same check `run` makes before any work
    print(f"{a.recipe}: OK — {len(recipe.sources)} source(s), {sum(map(len, files.values()))} file(s), "
          f"{len(recipe.stages)} stage(s): {', '.join(s.id for s in recipe.stages)}")
    return 0


def _describe(annotation) -> str:
    """A field's type as a recipe author reads it: `int > 0 | ChinchillaTarget | None`, not
    typing's repr of Annotated[...] with its FieldInfo."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        # pydantic puts the constraints in a FieldInfo's metadata (Gt(gt=0)), or they stand alone
        marks = [c for m in args[1:] for c in getattr(m, "metadata", [m])]
        bounds = [f"{sym} {getattr(c, attr)}" for c in marks
                  for attr, sym in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))
                  if getattr(c, attr, None) is not None]
        return " ".join([_describe(args[0]), *bounds])
    if origin in (Union, UnionType):
        return " | ".join(_describe(a) for a in args)
    if origin is Literal:
        return " | ".join(json.dumps(a) for a in args)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return f"list[{_describe(args[0])}]"        # a recipe writes a list
    if args:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(_describe(a) for a in args)}]"
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation).replace("typing.", ""))


def _plain(value):
    from pydantic import BaseModel
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def _models_in(annotation) -> list[type]:
    """The option models a field holds (mix's `sources: dict[str, SourceMix]`, a Union with
    ChinchillaTarget): their own fields are options a recipe writes too."""
    from pydantic import BaseModel
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for a in get_args(annotation) for m in _models_in(a)]


def _print_options(cls, indent: str = "    ", seen: frozenset = frozenset(), skip: frozenset = frozenset()) -> None:
    for fname, f in cls.model_fields.items():
        if fname in skip:
            continue
        default = "required" if f.is_required() else json.dumps(
            _plain(f.get_default(call_default_factory=True)), default=str, ensure_ascii=False)
        desc = f"  — {f.description}" if f.description else ""
        # Field(ge=…) constraints live in the field's metadata, not in its annotation
        kind = _describe(Annotated[f.annotation, *f.metadata] if f.metadata else f.annotation)
        print(f"{indent}{fname}: {kind} = {default}{desc}")
        for model in _models_in(f.annotation):
            if model not in seen:
                print(f"{indent}  {model.__name__}:")
                _print_options(model, indent + "    ", seen | {model})


def _first_line(cls) -> str:
    """The docstring's first paragraph on one line (its first line may stop mid-sentence)."""
    doc = (cls.__doc__ or "").strip()
    return " ".join(doc.split("\n\n")[0].split())


def _cmd_stages(a) -> int:
    from pipeline.readers import Reader, all_readers
    from pipeline.recipe import SOURCE_KEYS, RecipeError, SourceConfig
    from pipeline.registry import all_stages, split_class_path
    from pipeline.stage import Stage
    named_stages, named_readers = {}, {}
    for ref in a.refs:          # custom code: a module (its @register classes) or module:Class
        try:
            module, attr = split_class_path(ref) if ":" in ref else (ref, None)
            imported = importlib.import_module(module)
            cls = getattr(imported, attr) if attr else None
        except Exception as e:  # noqa: BLE001 - any import failure of user code, said in one line
            raise RecipeError(f"stages {ref}: {type(e).__name__}: {' '.join(str(e).split())[:300]}") from None
        if cls is None:
            continue
        if isinstance(cls, type) and issubclass(cls, Stage):
            named_stages[ref] = cls
        elif isinstance(cls, type) and issubclass(cls, Reader):
            named_readers[ref] = cls
        else:
            raise RecipeError(f"stages {ref}: not a Stage or Reader subclass")
    print("Stages (`stages:` entries):")
    for name, cls in sorted({**all_stages(), **named_stages}.items()):
        kind = "global" if cls.is_global else "map"
        print(f"{name}  [{kind}]  {_first_line(cls)}")
        if cls.adds:      # what a later stage (mix.source_column, a dedup's score_column) may read
            print(f"    adds columns: {', '.join(sorted(cls.adds))}")
        _print_options(cls)
    from pipeline.recipe import Recipe, StageSpec
    print("\nRecipe keys:")
    _print_options(Recipe, seen=frozenset({SourceConfig, StageSpec}), skip=frozenset({"path"}))
    print("\nSource formats (`sources[].format`); every source also takes: "
          + ", ".join(k for k in SourceConfig.model_fields if k in SOURCE_KEYS))
    for name, cls in sorted({**all_readers(), **named_readers}.items()):
        print(f"{name}  [reader]  {_first_line(cls)}")
        _print_options(cls)
    return 0


def _stage_commands() -> dict[str, str]:
    try:
        return dict(getattr(importlib.import_module("stages"), "COMMANDS", {}))
    except ImportError:
        return {}


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return n


def _export_places(argv: list[str]) -> tuple[str | None, str | None]:
    """The run folder and `--to` of `export`'s arguments, which pipeline/export.py parses (its
    other options are named here only so that their values are not taken for the run folder)."""
    p = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    p.add_argument("run_dir", nargs="?")
    for option in ("--to", "--stage", "--format", "--rows-per-file", "--columns"):
        p.add_argument(option)
    try:
        a, _ = p.parse_known_args(argv)
    except (argparse.ArgumentError, SystemExit):     # export's own parser says what is wrong
        return None, None
    return a.run_dir, a.to


def _export(argv: list[str]) -> int:
    from pipeline.export import main as export_main
    run_dir, to = _export_places(argv)
    if to is not None and to.startswith("memory://"):
        print(f"error: export --to {to!r} is in memory://, this process's memory, gone when the command ends; "
              f"use a local path, s3:// or gs://", file=sys.stderr)
        return 2
    try:
        return export_main(argv)
    except Exception as e:
        if (line := storage.failure_line(e, "export", run_dir, to)) is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = _stage_commands()
    if argv and argv[0] == "export":                    # pipeline/export.py parses its own options
        return _export(argv[1:])
    if argv and argv[0] in extra:
        module, _, fn = extra[argv[0]].partition(":")
        return int(getattr(importlib.import_module(module), fn)(argv[1:]) or 0)
    p = argparse.ArgumentParser(prog="python -m pipeline", description="tokenmill data pipeline")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run a recipe (resumes where a previous run stopped)")
    r.add_argument("recipe")
    r.add_argument("--ray-address", default=None, help="join this Ray cluster (default: $RAY_ADDRESS or local)")
    r.add_argument("--output", default=None, help="run directory (overrides the recipe's output)")
    r.add_argument("--quiet", action="store_true")
    r.add_argument("--limit", type=int, default=None, metavar="N",
                   help="trial: the first N documents of each source, into <output>-trial-limitN")
    r.add_argument("--sample", type=float, default=None, metavar="FRACTION",
                   help="trial: each document kept with this probability (seeded), into <output>-trial-sampleF")
    r.set_defaults(fn=_cmd_run)
    v = sub.add_parser("validate", help="check a recipe and its inputs without running it")
    v.add_argument("recipe")
    v.add_argument("--output", default=None, help="run directory (overrides the recipe's output)")
    v.set_defaults(fn=_cmd_validate)
    s = sub.add_parser("stages", help="list registered stages and their options")
    s.add_argument("refs", nargs="*", metavar="MODULE[:Class]",
                   help="custom stages or readers to list too: a module to import (the classes it registers) "
                        "or module:Class")
    s.set_defaults(fn=_cmd_stages)
    rp = sub.add_parser("report", help="rebuild report.html and report.md of a run (of a stopped one: the work done until then)")
    rp.add_argument("run_dir")
    rp.set_defaults(fn=_cmd_report)
    ip = sub.add_parser("inspect", help="print sample documents a stage removed (or kept)")
    ip.add_argument("run_dir")
    ip.add_argument("--stage", required=True, help="stage id (as in stats.json), or its index")
    ip.add_argument("--reason", default=None, help="only this removal reason ('reason' or 'stage/reason')")
    ip.add_argument("--kept", action="store_true", help="show kept documents instead of removed ones")
    ip.add_argument("-n", type=_positive, default=5, help="how many documents (default 5)")
    ip.set_defaults(fn=_cmd_inspect)
    ep = sub.add_parser("explain", help="say what happened to one document at each stage")
    ep.add_argument("run_dir")
    ep.add_argument("doc_id")
    ep.set_defaults(fn=_cmd_explain)
    sub.add_parser("export", help="write a stage's documents as Parquet/JSONL files in the Hugging Face "
                   "datasets layout (see `python -m pipeline export --help`)", add_help=False)
    for name in sorted(extra):
        sub.add_parser(name, help=f"(see `python -m pipeline {name} --help`)", add_help=False)
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # Our INFO lines are the run's progress; the libraries' (botocore's "Found credentials in
    # environment variables." on every command, Ray Data's progress) are noise beside them.
    for noisy in ("botocore", "aiobotocore", "s3fs", "gcsfs", "fsspec", "urllib3", "ray.data"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return a.fn(a)
    except (RecipeError, StageError, DamagedFile, InputUnreadable, ExportError) as e:
        # A mistake in the recipe or its input, a damaged file in the run folder, or storage failing
        # under an input file: one line, no traceback (raised in a Ray task, the error is Ray's
        # wrapper, an instance of it too, whose text holds the task's traceback).
        message = " ".join(str(getattr(e, "cause", None) or e).split())
        if isinstance(e, DamagedFile) and "/stages/" in message:
            message += " (remove the stage folder that holds it and run again: that stage is computed again)"
        print(f"error: {message}", file=sys.stderr)
        return 2
    except Exception as e:
        # Storage failing under the run (its disk full, its object store gone), or a worker
        # killed under a task: one line saying so and that a rerun resumes. A stage's own code
        # raising: one line saying where (stage, shard, input file), then the stage's frames (not
        # the driver's and Ray's around them). Anything else is a bug, and its traceback says where.
        from pipeline.executor import RayStartFailed, TaskFailed, WorkerLost   # Ray is imported by now, if a run started
        if isinstance(e, TaskFailed):
            print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
            if e.trace:
                print(f"{e.trace}\nThe shards finished before it are kept: fix the cause and run the same "
                      f"command again to resume.", file=sys.stderr)
            return 1
        if isinstance(e, (WorkerLost, RayStartFailed)):
            line = str(e)
        else:       # a storage failure names what the command reads (a run folder) or writes (an output)
            line = storage.failure_line(e, a.cmd, getattr(a, "run_dir", None), getattr(a, "writes", None))
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        return 2
