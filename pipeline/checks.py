"""Checks that stop a run with a one-line error instead of letting it exit 0 with wrong output.

- `list_inputs`: every source's files, before any work. A pattern that matches nothing, a named
  file that does not exist, is no regular file (a named pipe) or cannot be opened, or an output
  directory that is (or is inside, or contains) an input is an error naming the source and the path.
- `check_ingest_quarantine`: after ingest, a source whose records were mostly quarantined (a
  wrong `text_field` quarantines every row as `missing_text`) stops the run, naming the source,
  the share and the top reasons. So does one whose files were mostly lost whole (no document,
  something quarantined: a truncated .jsonl.gz, an unreadable parquet), judged by files because
  such a file is one quarantined record however many rows it held. The share is the recipe's
  `max_quarantine_share` (or the source's own). Then each stage sees the ingested documents and
  bytes per source (`Stage.check_input`), e.g. a mix target the sources cannot possibly hold.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.readers import expand_paths, is_glob, special_file_kind, static_prefix
from pipeline.recipe import RecipeError

if TYPE_CHECKING:
    from pipeline.recipe import Recipe


class QuarantineError(RecipeError):
    """Too much of a source was quarantined: the recipe does not fit the data."""


def _local(path: str) -> str | None:
    if "://" not in path:
        return path
    return path[len("file://"):] if path.startswith("file://") else None


def _check_readable(where: str, path: str) -> None:
    local = _local(path)
    if local is None:
        return      # object storage: listing it already proved the object is there
    try:
        with open(local, "rb") as f:
            f.read(1)
    except OSError as e:
        raise RecipeError(f"{where}: cannot read {path!r}: {e.strerror or e}") from None


def listed_paths(paths_file: str, base: str | None, where: str) -> list[str]:
    """The paths a list file names (one a line, as Common Crawl's warc.paths.gz; .gz/.bz2/.xz/.zst
    by suffix; blank and # lines skipped), relative ones under `base` when given."""
    from pipeline import storage
    from pipeline.readers.decompress import CODECS, DecompressedStream
    codec = CODECS.get(os.path.splitext(paths_file)[1].lower())
    try:
        with storage.open(paths_file, "rb") as raw:
            data = DecompressedStream(raw, codec, paths_file).read() if codec else raw.read()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RecipeError(f"{where}: cannot read {paths_file!r}: {type(e).__name__}: {e}") from None
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if base and "://" not in line and not os.path.isabs(line):
            line = base.rstrip("/") + "/" + line.lstrip("/")
        if "://" not in line:                  # a local path, absolute as `paths` become
            line = os.path.abspath(os.path.expanduser(line))
        out.append(line)
    if not out:
        raise RecipeError(f"{where}: {paths_file!r} lists no path")
    return out


def list_inputs(recipe: "Recipe") -> dict[str, list[str]]:
    """Every source's files; a missing, unmatched or unreadable path is an error before any work.
    A file named twice (two patterns, `./` or `..` spellings) is listed once.
    Of the lines of a `paths_file` (a crawl's list may name 100,000 objects) the local ones are
    checked and, on object stores, the first: a wrong `paths_base` fails here; another missing
    object is quarantined `unreadable_file` at ingest, counted."""
    from pipeline.readers import unique_files
    files: dict[str, list[str]] = {}
    for i, src in enumerate(recipe.sources):
        where = f"{recipe.path}: sources[{i}] ({src.name}).paths"
        found: list[str] = []
        if src.paths_file:
            listed = listed_paths(src.paths_file, src.paths_base, f"{recipe.path}: sources[{i}] ({src.name}).paths_file")
            if src.max_files:
                listed = sorted(set(listed))[:src.max_files]
            for k, p in enumerate(listed):
                if _local(p) is not None:
                    if kind := special_file_kind(_local(p)):      # never opened: a FIFO's open waits forever
                        raise RecipeError(f"{where}: {p!r} is {kind}, not a regular file: a source reads "
                                          f"regular files (line of {src.paths_file!r})")
                    if not os.path.isfile(_local(p)):
                        hint = "" if src.paths_base else ("; a relative line is read from the current directory: "
                                                          "paths_base names where a crawl's list is relative to")
                        raise RecipeError(f"{where}: file not found: {p!r} (line of {src.paths_file!r}{hint})")
                    _check_readable(where, p)
                elif k == 0:
                    _check_object(where, p, src.paths_file, src.paths_base)
            found.extend(listed)
        for pattern in src.paths:
            try:
                matched = expand_paths(pattern)
                if not is_glob(pattern) and len(matched) == 1:
                    if _local(pattern) is not None:
                        if not os.path.lexists(_local(matched[0])):     # the named path itself, normalised
                            matched = []
                    elif not _remote_exists(matched[0]):   # a URL that is no glob comes back unlisted
                        matched = []
            except Exception as e:  # noqa: BLE001 - any listing failure (no credentials, bad URL) is an input error
                raise RecipeError(f"{where}: cannot list {pattern!r}: {type(e).__name__}: {e}") from None
            if not matched:
                what = "no file matches" if is_glob(pattern) else "file not found:"
                local = _local(pattern)
                if local and not is_glob(pattern) and os.path.isdir(local):
                    what = "a folder holding no file:"          # it exists: "not found" misled
                # relative paths are read from the current directory (as datatrove's), not the recipe's
                rel = f" (relative to the current directory {os.getcwd()})" if local and not os.path.isabs(local) else ""
                raise RecipeError(f"{where}: {what} {pattern!r}{rel}")
            # A file named on its own must be readable; one a directory or glob turned up (a
            # dangling symlink in a checkout, a file without read permission) is bad input like
            # any other: quarantined as `unreadable_file` when read, the rest of the source is read.
            if not is_glob(pattern) and len(matched) == 1 and _local(pattern) is not None \
                    and not os.path.isdir(_local(pattern)):
                _check_readable(where, matched[0])
            found.extend(matched)
        # Local paths absolute and normalised, each file once however often it is named.
        files[src.name] = unique_files(found)[:src.max_files]
    _check_read_once(recipe, files)
    return files


def _check_read_once(recipe: "Recipe", files: dict[str, list[str]]) -> None:
    """Two sources that read one file with the same reader and options would give its documents
    twice, under two names (a mix would count them twice); refused. Another format or other
    options (one source reads a JSONL file's `question`, another its `answer`) are two readings."""
    seen: dict[tuple[str, str], str] = {}
    for src in recipe.sources:
        reading = f"{src.format}:{src.reader.model_dump_json()}"
        for f in files[src.name]:
            first = seen.setdefault((reading, f), src.name)
            if first != src.name:
                raise RecipeError(f"{recipe.path}: sources {first!r} and {src.name!r} both read {f!r} as "
                                  f"{src.format} with the same options: its documents would be read twice, under "
                                  f"two names; let one source read it (narrow the other's paths)")


def _start_folder(pattern: str, files: set[str]) -> str:
    """The folder a path pattern starts at: before its first wildcard; a file's own folder."""
    local = _local(pattern)
    path = os.path.abspath(local) if local is not None else pattern
    if is_glob(path):
        return static_prefix(path)
    return path.rpartition("/")[0] if path in files else path.rstrip("/")


def id_bases(recipe: "Recipe", files: dict[str, list[str]]) -> dict[str, str]:
    """Each source's `id_base`, or where its paths start: the deepest folder holding the start of
    every pattern in `paths` and every file a `paths_file` lists. Fixed by the recipe (and the
    list), not by which files a glob finds today, so adding a file renames no other."""
    bases = {}
    for src in recipe.sources:
        if src.id_base is not None:     # "" (no common folder, as a trial's copy may say) included
            local = _local(src.id_base)
            bases[src.name] = (os.path.abspath(local) if local else src.id_base).rstrip("/")
            continue
        listed = set(files.get(src.name, []))
        starts = [_start_folder(p, listed) for p in src.paths]
        if src.paths_file:
            from_list = [f for f in listed if not any(f.startswith(s + "/") for s in starts)]
            starts += [f.rpartition("/")[0] for f in from_list]
        parts = [s.split("/") for s in starts]
        common = []
        for column in zip(*parts):
            if len(set(column)) > 1:
                break
            common.append(column[0])
        bases[src.name] = "/".join(common)
    return bases


def _remote_exists(url: str) -> bool:
    """Whether an object (or a prefix holding objects) is there: expand_paths returns a URL with no
    wildcard as it is, so a missing one would otherwise fail later, in the plan, as a traceback."""
    from pipeline import storage
    return storage.exists(url)


def _check_object(where: str, url: str, paths_file: str, base: str | None) -> None:
    from pipeline import storage
    try:
        found, why = storage.exists(url), ""
    except Exception as e:  # noqa: BLE001 - no credentials, a bad host: the listing's own error, named
        found, why = False, f": {type(e).__name__}: {e}"
    if not found:
        raise RecipeError(f"{where}: cannot find {url!r} (the first line of {paths_file!r}){why}")


# -- after ingest --------------------------------------------------------------------------------
# A source whose records were all skipped is usually read with the wrong format: what to say.
_FORMAT_HINTS = {("warc", "skipped_conversion"): "conversion records are a WET file's text: use format: wet",
                 ("warc", "skipped_metadata"): "a WAT file holds only metadata records",
                 ("wet", "skipped_response"): "response records are pages: use format: warc"}


def quarantine_verdict(source: str, docs: int, quarantined: dict[str, int], max_share: float,
                       counters: dict[str, int] | None = None, fmt: str | None = None,
                       files: int = 0, lost_files: dict[str, int] | None = None) -> str | None:
    """None when the source is fine, else the one-line reason to stop (pure: unit-tested).
    `counters`: the readers' counters, whose `skipped_*` say what a source without documents held.
    `files`: the source's files that held records (documents or quarantined ones); `lost_files`:
    of them, those lost whole, by main reason."""
    q = sum(quarantined.values())
    total = docs + q
    if total == 0:
        skipped = {k: n for k, n in (counters or {}).items() if k.startswith("skipped_") and n}
        if not skipped:
            return f"source {source!r}: no records at all (every file empty?)"
        top = sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0]))
        hints = [h for (f, k), h in _FORMAT_HINTS.items() if f == fmt and k in skipped]
        return (f"source {source!r}: no documents: its {sum(skipped.values()):,} records were all skipped ("
                + ", ".join(f"{k.removeprefix('skipped_')} {n:,}" for k, n in top[:5]) + ")"
                + (f"; {hints[0]}" if hints else ""))
    share = q / total
    if share > max_share:
        top = sorted(quarantined.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        reasons = ", ".join(f"{r} {n:,}" for r, n in top)
        return (f"source {source!r}: {q:,} of {total:,} records quarantined ({share:.0%} > max_quarantine_share "
                f"{max_share:g}); top reasons: {reasons}")
    # A file lost whole is one record however many rows it held: 8 of 10 files lost beside 200
    # documents was 4% of the records, and the run went on without most of the source.
    lost = sum((lost_files or {}).values())
    if not files or lost / files <= max_share:
        return None
    top = sorted((lost_files or {}).items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    reasons = ", ".join(f"{r} {n:,}" for r, n in top)
    return (f"source {source!r}: {lost:,} of {files:,} files lost whole ({lost / files:.0%} > max_quarantine_share "
            f"{max_share:g}); top reasons: {reasons}")


@dataclass
class SourceCounts:
    """One source's ingest, summed over its files' records."""
    documents: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    counters: dict[str, int] = field(default_factory=dict)
    files: int = 0
    lost_files: dict[str, int] = field(default_factory=dict)   # files lost whole, by main reason
    worst_files: list[tuple[int, str]] = field(default_factory=list)   # (records quarantined, path), most first, 3


def ingest_counts(ingest_dir: str | Path, n_sources: int) -> list[SourceCounts]:
    """Per source (by index): documents kept, quarantined counts by reason, content bytes kept, the
    readers' counters, files holding records and files lost whole, from the ingest stage's per-file records
    (`files/<source>-<file>.done.json`): one read of each (a crawl may have 90,000 of them).
    A file is lost whole when it gave no document and had something quarantined; an empty one, or
    one whose records were all skipped (a WARC of requests), gave nothing and lost nothing, and a
    trial's --sample may have dropped a file's every document, which the file did hold."""
    from pipeline import storage
    out = [SourceCounts() for _ in range(n_sources)]
    files = storage.join(ingest_dir, "files")
    for name in storage.names(files, ".done.json"):
        c = out[int(name.split("-", 1)[0])]
        rec = storage.read_json(files / name)
        c.documents += int(rec.get("docs_out", 0))
        c.bytes += int(rec.get("bytes_out", 0))
        for into, part in ((c.quarantined, rec.get("quarantined")), (c.counters, rec.get("counters"))):
            for k, n in (part or {}).items():
                into[k] = into.get(k, 0) + n
        q = rec.get("quarantined") or {}
        sampled_out = (rec.get("counters") or {}).get("trial_sampled_out")
        # A group of small files read together records [path, documents, quarantined] of each;
        # its quarantine reasons are the group's: a file lost whole is counted by the group's main one.
        main = min(q.items(), key=lambda kv: (-kv[1], kv[0]))[0] if q else None
        for path, docs, lost in rec.get("group") or [[rec.get("path"), int(rec.get("docs_out", 0)), sum(q.values())]]:
            if lost and path:
                c.worst_files = sorted(c.worst_files + [(lost, path)], key=lambda t: (-t[0], t[1]))[:3]
            if docs or lost:
                c.files += 1          # empty and skipped-only files would dilute the share of files lost
            if not docs and lost and not sampled_out:
                c.lost_files[main] = c.lost_files.get(main, 0) + 1
    return out


def check_stages_against_input(recipe: "Recipe", ingest_dir: str | Path,
                               counts: list[SourceCounts] | None = None) -> None:
    """Give each stage the ingested counts per source ({source: {"documents", "bytes"}}) through
    its `check_input(counts, stage_id)` hook, so a request the input cannot meet (a mix target
    far above what the sources hold) fails before the expensive stages run."""
    counts = counts or ingest_counts(ingest_dir, len(recipe.sources))
    per_source = {src.name: {"documents": c.documents, "bytes": c.bytes} for src, c in zip(recipe.sources, counts)}
    for spec in recipe.stages:
        spec.stage.check_input(per_source, spec.id)


def check_ingest(recipe: "Recipe", ingest_dir: str | Path, executor=None, runtime_env=None) -> None:
    """After ingest: record the number of duplicate ids across files (a counter in the ingest
    stage's stats, `duplicate_id_across_files`), then apply the quarantine guard."""
    from pipeline import storage
    success = storage.join(ingest_dir, "_SUCCESS.json")
    if storage.exists(success):
        done = storage.read_json(success)
        counters = done.get("counters") or {}
        if "duplicate_id_across_files" not in counters:
            from pipeline.duplicate_ids import count_duplicate_ids
            counters["duplicate_id_across_files"] = count_duplicate_ids(ingest_dir, executor, runtime_env)
            storage.write_json_atomic({**done, "counters": counters}, success, compact=True)
    counts = ingest_counts(ingest_dir, len(recipe.sources))
    check_ingest_quarantine(recipe, ingest_dir, counts)
    check_stages_against_input(recipe, ingest_dir, counts)


def check_ingest_quarantine(recipe: "Recipe", ingest_dir: str | Path,
                            counts: list[SourceCounts] | None = None) -> None:
    """Stop the run when a source's records or files are mostly quarantined (see quarantine_verdict), or
    when the `id_field` or the `url_field` it names was in none of its records (a misspelt field,
    or a flat name for a nested one: `url` where the rows have `metadata.url`). The readers count
    `url_field_missing` only for a url_field the recipe names, not for the default `url`."""
    problems = []
    for src, c in zip(recipe.sources, counts or ingest_counts(ingest_dir, len(recipe.sources))):
        share = src.max_quarantine_share if src.max_quarantine_share is not None else recipe.max_quarantine_share
        verdict = quarantine_verdict(src.name, c.documents, c.quarantined, share, c.counters, src.format,
                                     c.files, c.lost_files)
        if verdict and not c.documents and not c.quarantined and c.counters.get("trial_sampled_out"):
            verdict = f"source {src.name!r}: the trial's --sample kept none of its documents (raise the fraction)"
        if verdict and c.worst_files:
            verdict += "; most in " + ", ".join(f"{path} ({n:,})" for n, path in c.worst_files)
        if verdict:
            problems.append(verdict)
        id_field = getattr(src.reader, "id_field", None)
        if id_field and c.documents and c.counters.get("id_field_missing", 0) >= c.documents:
            problems.append(f"source {src.name!r}: id_field {id_field!r} is in none of its {c.documents:,} "
                            f"documents (they would be numbered by file and line): fix id_field or leave it out")
        url_field = getattr(src.reader, "url_field", None)
        if url_field and c.documents and c.counters.get("url_field_missing", 0) >= c.documents:
            problems.append(f"source {src.name!r}: url_field {url_field!r} is in none of its {c.documents:,} "
                            f"documents (every url would be empty, url filters would remove nothing): fix "
                            f"url_field (a dotted path reaches into nested objects: metadata.url) or leave it out")
    if problems:
        raise QuarantineError(f"{recipe.path}: " + "; ".join(problems)
                              + f" (quarantined records: {storage_url(ingest_dir)}/quarantine)")


def storage_url(p) -> str:
    from pipeline import storage
    return storage.url(storage.path(p)).rstrip("/")
