"""`inspect` (sample documents a stage removed or kept) and `explain` (one document's path).

Both read the run directory only: plan.json for the stage directories (so they also work on a
run that has not finished), `removed/` samples with their reason, `removed_ids/` (every
removed or quarantined id), the kept documents (through `StageDir`, which decides how a stage
keeps them) and a dedup stage's candidate pairs. The run directory may be local or a URL
(`s3://...`): everything is read through `pipeline.storage`.

On a run stopped mid-way (killed, or stopped by an error: failed.json) a stage may have done some
shards only: both say how far it got, and read only what its completion records vouch for (a kill
can leave a shard's side files without its record; a rerun redoes that shard).
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline import storage
from pipeline.samples import SAMPLES_FILE
from pipeline.shards import StageDir, source_shard

SHOWN_COLUMNS_SKIP = {"text", "html", "metadata"}   # printed separately (snippet) or too large


class InspectError(ValueError):
    """The run directory, stage or document asked for does not exist."""


@dataclass
class StageEntry:
    index: int
    id: str
    dir: StageDir


# An id several input documents of one file share (a file read twice): a stage's record for the
# id may be any one of them. Ids shared across files (each numbering its rows from 0 under
# `id_field`) are told apart by file (_by_file).
_SHARED_ID = ("    {n} input documents have this id ({where}): what follows may be about any of them; "
              "give them distinct ids (id_field) to tell them apart")


def run_stages(run_dir: str | Path) -> list[StageEntry]:
    run_dir = storage.path(run_dir)
    plan = run_dir / "plan.json"
    if not storage.exists(plan):
        raise InspectError(f"{storage.url(run_dir)}: not a run directory (no plan.json)")
    out = []
    for name in storage.read_json(plan)["stages"]:
        idx, _, rest = name.partition("-")
        sid = rest.rsplit("-", 1)[0]
        out.append(StageEntry(int(idx), sid, StageDir(run_dir / "stages" / name)))
    return out


def find_stage(run_dir: str | Path, stage: str, stages: list[StageEntry] | None = None) -> StageEntry:
    stages = stages if stages is not None else run_stages(run_dir)
    for s in stages:
        if stage in (s.id, s.dir.path.name, str(s.index)):
            return s
    raise InspectError(f"no stage {stage!r} in {run_dir}; stages: {', '.join(s.id for s in stages)}")


def _files(d) -> list:
    """The Parquet files of one of a stage's side folders (removed, removed_ids, quarantine)."""
    return [d / name for name in storage.names(d, ".parquet")]


def _where(t: pa.Table, column: str, values: list[str]) -> pa.Table:
    return t.filter(pc.is_in(t.column(column), pa.array(values, t.column(column).type)))


def _read_where(files: list, column: str, values: list[str], columns=None) -> pa.Table | None:
    """Rows of the side files whose `column` is one of values."""
    parts = []
    for f in files:
        if column not in storage.parquet_metadata(f).schema.to_arrow_schema().names:
            continue
        t = _where(storage.read_parquet(f, columns), column, values)
        if t.num_rows:
            parts.append(t)
    return pa.concat_tables(parts, promote_options="permissive") if parts else None


def _kept_in(sd: StageDir, column: str, values: list[str], shards=None) -> dict[str, pa.Table]:
    """The stage's kept documents whose `column` is one of values, by shard (of `shards` only, if
    given); the column is read first, a shard is read whole only when it has one."""
    out = {}
    for shard in sd.document_shards():
        if (shards is not None and shard not in shards) or column not in sd.schema(shard).names:
            continue
        hit = _where(sd.read(shard, [column]), column, values)
        if hit.num_rows:
            out[shard] = _where(sd.read(shard), column, values)
    return out


def _kept_where(sd: StageDir, column: str, values: list[str], shards=None) -> pa.Table | None:
    parts = list(_kept_in(sd, column, values, shards).values())
    return pa.concat_tables(parts, promote_options="permissive") if parts else None


def _recorded(s: StageEntry, sub: str) -> list:
    """A side folder's files (removed, removed_ids) of the shards the stage has a completion record
    for: a kill between a shard's side files and its record leaves files a rerun rewrites."""
    files = _files(s.dir.path / sub)
    if s.index == 0 or s.dir.finished():
        return files
    # kept: the stage's end merges its per-shard samples into it (and deletes them) before _SUCCESS
    done = set(s.dir.done_shards()) | {SAMPLES_FILE[: -len(".parquet")]}
    return [f for f in files if f.name[: -len(".parquet")] in done]


def _stop_reason(run_dir) -> str:
    if storage.exists(storage.path(run_dir) / "failed.json"):
        return "the run stopped: see failed.json"
    return "the run was stopped, or is still running"


def _progress(stages: list[StageEntry], s: StageEntry, run_dir) -> str | None:
    """How far a stage the run has not finished got (None when it finished): its counts are
    partial, or it has not run."""
    if s.dir.finished():
        return None
    why = _stop_reason(run_dir)
    if s.index == 0:
        files = len(storage.names(s.dir.path / "files", ".done.json"))
        return f"stage {s.id} has not finished ({why}): {files} input file(s) or groups of small files read so " \
               f"far; the counts are partial"
    k = len(s.dir.done_shards())
    if not k:
        return f"stage {s.id} has not run yet ({why})"
    # its shards come from the nearest earlier stage that finished (a global stage's input), or
    # from ingest (a chain's stages write as ingest reads)
    up = next(e.dir for e in reversed(stages[: s.index]) if e.index == 0 or e.dir.finished())
    n = len(up.done_shards())
    done = (f"{k} shards" if k > n else f"{k} of its {n} shards" if up.finished()
            else f"{k} of the {n} shards read so far")
    return f"stage {s.id} has finished {done} ({why}): the counts are partial"


def _snippet(text: str | None, width: int = 100, chars: int = 400) -> str:
    if not text:
        return "    (empty text)"
    body = " ".join(text[:chars].split()) + (" ..." if len(text) > chars else "")
    return textwrap.indent(textwrap.fill(body, width), "    ")


SAMPLE_SHOWN = 200         # bytes of a quarantine item's sample shown (the file under quarantine/ has it all)


def format_doc(row: dict) -> str:
    # a quarantine item with no document (a cut file, bytes between records): where it is instead
    where = f"{row.get('path')}" + (f" at {row['offset']}" if row.get("offset") is not None else "")
    head = f"- {row.get('id') or f'(no document id) {where}'}"
    if row.get("url"):
        head += f"  {row['url']}"
    if row.get("reason"):
        head += f"\n  reason: {row['reason']}"
    extras = {k: v for k, v in row.items() if k not in SHOWN_COLUMNS_SKIP | {"id", "url", "reason"} and v is not None}
    for k, v in extras.items():
        if isinstance(v, bytes) and len(v) > SAMPLE_SHOWN:     # a quarantine item's sample: its start
            extras[k] = f"{v[:SAMPLE_SHOWN]!r}... ({len(v):,} bytes)"
    if extras:
        fields = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in extras.items())
        head += "\n  " + "\n  ".join(textwrap.wrap(fields, 110))
    text = row.get("text") or ""
    if not text and row.get("html"):
        text = "[html] " + row["html"]
    return head + "\n" + _snippet(text)


def inspect_stage(run_dir: str | Path, stage: str, reason: str | None = None, kept: bool = False,
                  n: int = 5) -> list[str]:
    """Up to n sample documents the stage kept, or removed (optionally for one reason)."""
    stages = run_stages(run_dir)
    s = find_stage(run_dir, stage, stages)
    note = _progress(stages, s, run_dir)
    if note and s.index and not s.dir.done_shards():
        return [note]
    return ([note] if note else []) + _inspect(s, reason, kept, n)


def _inspect(s: StageEntry, reason: str | None, kept: bool, n: int) -> list[str]:
    if kept:
        rows: list[dict] = []
        for shard in sorted(s.dir.document_shards()):      # stored or a view (pipeline/shards.py)
            rows += s.dir.read(shard).slice(0, n - len(rows)).to_pylist()
            if len(rows) >= n:
                break
        if not rows and s.dir.done_shards() and not s.dir.document_shards():
            # an inner stage of a fused chain: its shards are done, their documents were not stored
            raise InspectError(f"stage {s.id} kept counts only, not its documents (an inner stage of a fused "
                               f"chain); rerun with `checkpoint: every_stage` to keep them, or inspect the "
                               f"chain's last stage")
        if not rows:
            return [f"stage {s.id}: no kept documents (no document shards in {storage.url(s.dir.path)})"]
        return [f"stage {s.id}: the first {len(rows)} of its kept documents"] + [format_doc(r) for r in rows]
    want = reason.split("/", 1)[1] if reason and reason.startswith(f"{s.id}/") else reason
    counts = _reason_counts(s)
    if not counts:
        return [f"stage {s.id}: removed nothing"]
    if want is not None and want not in counts:
        return [f"stage {s.id}: no document removed for reason {want!r}; reasons: "
                + ", ".join(f"{k} ({v:,})" for k, v in counts.items())]
    rows = []
    for sub in ("removed", "quarantine"):
        for f in _recorded(s, sub):
            t = storage.read_parquet(f)
            if want is not None:
                t = t.filter(pc.equal(t.column("reason"), want))
            rows += t.slice(0, n - len(rows)).to_pylist()
            if len(rows) >= n:
                break
    verb = "removed" if _recorded(s, "removed_ids") else "quarantined"
    lines = [f"stage {s.id}: {verb} " + ", ".join(f"{k} {v:,}" for k, v in counts.items())]
    if not rows:       # the run kept no samples (removed_samples: 0): the ids are still there
        ids = _read_where(_recorded(s, "removed_ids"), "reason", [want] if want else list(counts))
        lines.append("no sample documents kept (removed_samples: 0); ids:")
        lines += [f"- {r['id']}  ({r['reason']})" for r in ids.slice(0, n).to_pylist()] if ids else []
        return lines
    return lines + [format_doc(r) for r in rows]


def _reason_counts(s: StageEntry) -> dict[str, int]:
    """Documents removed or quarantined by reason: from `removed_ids/`, or for ingest, which writes
    none (what it sets aside are input records, not documents), from its quarantine items, each
    counting the records it stands for."""
    counts: dict[str, int] = {}
    ids = _recorded(s, "removed_ids")
    for f in ids or _recorded(s, "quarantine"):
        t = storage.read_parquet(f)
        weights = t.column("records").to_pylist() if not ids and "records" in t.column_names else None
        for i, r in enumerate(t.column("reason").to_pylist()):
            counts[r] = counts.get(r, 0) + (weights[i] or 1 if weights else 1)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _pairs_note(s: StageEntry, doc_id: str) -> str | None:
    pairs = s.dir.path / "output" / "candidate_pairs.parquet"
    if not storage.exists(pairs):
        return None
    t = storage.read_parquet(pairs, columns=["id_a", "id_b", "similarity", "accepted"])
    t = t.filter(pc.or_(pc.equal(t.column("id_a"), doc_id), pc.equal(t.column("id_b"), doc_id)))
    if not t.num_rows:
        return None
    acc = t.filter(t.column("accepted")).num_rows
    return f"{t.num_rows} candidate pair(s), {acc} verified as near-duplicate"


def _later_fate(stages: list[StageEntry], index: int, copy: str) -> list[str]:
    """What became of the copy a duplicate was removed for: each stage's duplicate_of is its own
    (exact dedup keeps A, a later near-dedup removes A for B), so the chain is followed through
    the stages after `index` to the copy that reaches the output, or to one removed for another
    reason."""
    return _fate(stages, index, copy)[0]


def _fate(stages: list[StageEntry], index: int, copy: str) -> tuple[list[str], bool]:
    """(_later_fate's lines, whether a copy reaches the output). An id several input files share
    (each numbering its rows from 0 under `id_field`) does not say which of them duplicate_of
    means: each is followed, and none reaching the output is said only when all were removed."""
    _, n, shards = _entry(stages, copy)
    records = _ingest_records(stages, shards) if n > 1 else {}
    by_file = _by_file(shards, records) if n > 1 else {}
    if len(by_file) > 1:
        return _shared_fate(stages, index, copy, n, by_file)
    if n > 1 and _read_together(records):
        # small files read into shared shards (group_bytes): their documents are not told apart by
        # shard, so which of them duplicate_of means, and whether it reaches the output, is not known
        return [f"    {copy} is the id of {n} input documents read together from small files (group_bytes); "
                f"which one is meant is not recorded, nor whether it reaches the output"], True
    for s in stages[1:]:
        if s.index <= index or (r := _removal(s, copy)) is None:
            continue
        nxt = r.get("duplicate_of")
        out = [f"    {copy} was removed later: [{s.index:02d} {s.id}] {r['reason']}"
               + (f", duplicate_of: {nxt}" if nxt else "")]
        if not nxt:
            return out + ["    no copy of it reaches the output"], False
        more, reaches = _fate(stages, s.index, nxt)
        return out + (more or [f"    the copy that reaches the output: {nxt}"]), reaches
    return [], True


def _shared_fate(stages: list[StageEntry], index: int, copy: str, n: int,
                 by_file: dict[str, set[str]]) -> tuple[list[str], bool]:
    out = [f"    {copy} is the id of {n} input documents, in {len(by_file)} files; which one is meant "
           f"is not recorded:"]
    reached = False
    for path, shards in by_file.items():
        hit = next(((s, r) for s in stages[1:] if (r := _removal(s, copy, shards)) is not None), None)
        if hit is None:
            out.append(f"    the one in {path} is not removed by any stage: it reaches the output")
            reached = True
            continue
        s, r = hit
        nxt = r.get("duplicate_of")
        what = f"[{s.index:02d} {s.id}] {r['reason']}" + (f", duplicate_of: {nxt}" if nxt else "")
        if s.index <= index:        # gone by then: not the copy kept for the duplicate
            out.append(f"    the one in {path} was removed by {what}: not the kept copy")
            continue
        out.append(f"    the one in {path} was removed later: {what}")
        if nxt:
            more, reaches = _fate(stages, s.index, nxt)
            out += more or [f"    the copy that reaches the output: {nxt}"]
            reached |= reaches
    return out + ([] if reached else ["    no copy of it reaches the output"]), reached


def _removal(s: StageEntry, doc_id: str, shards: set[str] | None = None) -> dict | None:
    """The stage's removed_ids record of doc_id (of ingest's `shards` only, if given: removed_ids/
    is written per shard), or None."""
    files = _recorded(s, "removed_ids")
    if shards is not None:
        files = [f for f in files if _of({f.name[: -len(".parquet")]}, shards)]
    gone = _read_where(files, "id", [doc_id])
    return gone.to_pylist()[0] if gone is not None else None


def _ingest_records(stages: list[StageEntry], shards: set[str]) -> dict[str, dict]:
    """Ingest's completion record of each file (or group of small files) `shards` came from, read
    once each; {} for one that is not there."""
    out = {}
    for fid in sorted({shard.rsplit("-", 1)[0] for shard in shards}):
        try:
            out[fid] = storage.read_json(stages[0].dir.path / "files" / f"{fid}.done.json")
        except FileNotFoundError:
            out[fid] = {}
    return out


def _read_together(records: dict[str, dict]) -> bool:
    """Whether some of these ingest records are of small files read as a group into shared shards."""
    return any(rec.get("group") for rec in records.values())


def _by_file(shards: set[str], records: dict[str, dict]) -> dict[str, set[str]]:
    """Ingest's shards by the input file they were read from (a shard is `<file>-<n>`; the file's
    record names its path)."""
    out: dict[str, set[str]] = {}
    for shard in sorted(shards):
        fid = shard.rsplit("-", 1)[0]
        rec = records.get(fid) or {}
        path = rec.get("path")
        if path and rec.get("group"):        # small files read together into shared shards
            path = f"{path} and the {len(rec['group']) - 1} files read with it"
        out.setdefault(path or f"input file {fid}", set()).add(shard)
    return out


def _damage_in_its_file(run_dir, stages, doc_id: str) -> str:
    """For an id that names its file (`source/path#row`: row formats, wikitext, text), what the
    input's quarantine holds for that file: a row cut off with the file is not in the input."""
    path = doc_id.split("/", 1)[-1].rsplit("#", 1)[0]
    items = _read_where(_files(stages[0].dir.path / "quarantine"), "path", [path], ["path", "reason", "offset"]) \
        if stages else None
    if items is None:
        return ""
    found = ", ".join(f"{r['reason']} at {r['offset']}" for r in items.slice(0, 3).to_pylist())
    return (f"; its file {path} has {items.num_rows} quarantined item(s) ({found}): the row may be lost there; "
            f"`python -m pipeline inspect {run_dir} --stage 0 --reason {items.column('reason')[0]}` shows them")


def _of(names, shards: set[str]) -> set[str]:
    """Those of a stage's shard names that hold documents of ingest's `shards` (a global stage may
    name its shards after its input's: `shards.derived_shard`)."""
    return {d for d in names if d in shards or source_shard(d) in shards}


def _entry(stages: list[StageEntry], doc_id: str) -> tuple[pa.Table | None, int, set[str]]:
    """(the document's raw rows if ingest still has them, how many input documents have its id,
    the ingest shards it can be in). The first chain deletes a raw shard once its end has
    recorded it, and ingest's ids/ are written per file once the file is read: in a run stopped
    mid-chain a document is in a raw shard, or in ids/, or (its file still being read) only in
    what the chain's stages recorded for shards of its file."""
    ingest = stages[0].dir
    raw = _kept_in(ingest, "id", [doc_id])
    if raw:
        t = pa.concat_tables(list(raw.values()), promote_options="permissive")
        return t, t.num_rows, set(raw)
    n, shards, read = 0, set(), set()
    for f in _files(ingest.path / "ids"):
        fid = f.name[: -len(".parquet")]
        read.add(fid)
        hit = _where(storage.read_parquet(f, ["id"]), "id", [doc_id]).num_rows
        if hit:
            n += hit
            rec = ingest.path / "files" / f"{fid}.done.json"
            shards |= set(storage.read_json(rec)["shards"]) if storage.exists(rec) else \
                {d for d in ingest.done_shards() if d.rsplit("-", 1)[0] == fid}
    if n:
        return None, n, shards
    unread = {d for d in ingest.done_shards() if d.rsplit("-", 1)[0] not in read}
    for s in stages[1:] if unread else ():
        hits = {f.name[: -len(".parquet")] for f in _recorded(s, "removed_ids")
                if f.name[: -len(".parquet")] in unread and _read_where([f], "id", [doc_id], ["id"]) is not None}
        hits |= set(_kept_in(s.dir, "id", [doc_id], unread))
        if hits:
            return None, 1, hits
    return None, 0, set()


def _skipped_at_ingest(run_dir) -> str:
    """What ingest skipped without making a document (a redirect, a disambiguation page, an empty
    file, a request record): such an item has no id to explain, so the message says how many."""
    try:
        counters = storage.read_json(storage.path(run_dir) / "stats.json")["stages"][0].get("counters") or {}
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return ""
    skipped = sorted(((k, v) for k, v in counters.items() if k.startswith("skipped_") and v), key=lambda kv: -kv[1])
    if not skipped:
        return ""
    return ("; it may be an item ingest skipped, which makes no document: "
            + ", ".join(f"{k} {v:,}" for k, v in skipped[:6]))


def _follow(run_dir, stages: list[StageEntry], apply_to: dict, doc_id: str, shards: set[str],
            last_row: dict | None, scoped: bool = False) -> tuple[list[str], dict | None]:
    """explain's lines for the stages after ingest, and the document's last row seen; `scoped`:
    the id is shared by other files' documents, so only `shards`' records are read (removed
    samples, which do not say their shard, are left out)."""
    source = doc_id.split("/", 1)[0]       # ids are the source's name, "/", the reader's id
    lines: list[str] = []
    for s in stages[1:]:
        where = f"[{s.index:02d} {s.id}]"
        done = _of(s.dir.done_shards(), shards)
        if not done and not s.dir.finished():
            shard = ", ".join(sorted(shards))
            lines.append(f"{where} has not finished this document's shard {shard} ({_stop_reason(run_dir)})"
                         if s.dir.done_shards() else f"{where} not run yet ({_stop_reason(run_dir)})")
            break
        if s.id in apply_to and source not in apply_to[s.id]:
            lines.append(f"{where} passed through: the stage applies to {', '.join(apply_to[s.id])} only")
            continue
        r = _removal(s, doc_id, shards if scoped else None)
        if r is not None:
            lines.append(f"{where} {'quarantined' if r.get('quarantined') else 'removed'}: {r['reason']}")
            links = {k: v for k, v in r.items() if k not in ("id", "reason", "quarantined") and v is not None}
            if links:          # a stage's linked columns (say, the kept copy of a duplicate)
                lines.append("    " + ", ".join(f"{k}: {v}" for k, v in links.items()))
            if links.get("duplicate_of"):
                lines += _later_fate(stages, s.index, links["duplicate_of"])
            sample = None if scoped else _read_where(_recorded(s, "removed"), "id", [doc_id])
            if sample is not None:
                last_row = sample.to_pylist()[0]      # with the signals of the stage that removed it
            note = _pairs_note(s, doc_id)
            if note:       # pairs name ids: scoped, they may be another file's document's
                lines.append(f"    {note}" + (" (of any document with this id)" if scoped else ""))
            break
        note = None if scoped else _pairs_note(s, doc_id)
        stored = done & set(s.dir.document_shards())
        if done and (not stored or stored <= s.dir.view_shards()):
            # an inner stage of a chain (counts only), or a view of its input: it did not remove it
            lines.append(f"{where} kept" + (f" ({note}; this copy is the one kept)" if note else ""))
            continue
        if not done and not s.dir.document_shards():
            lines.append(f"{where} (writes no document shards: the documents went into its dataset)")
            continue
        kept = _kept_where(s.dir, "id", [doc_id], stored or None)
        if kept is None:
            lines.append(f"{where} not in this stage's output")
            break
        last_row = kept.to_pylist()[0]
        lines.append(f"{where} kept" + (f" ({note}; this copy is the one kept)" if note else ""))
    return lines, last_row


def explain(run_dir: str | Path, doc_id: str) -> list[str]:
    """What happened to one document at each stage, in order; on a run stopped mid-way, up to the
    first stage that has not done its shard."""
    stages = run_stages(run_dir)
    apply_to = storage.read_json(storage.path(run_dir) / "plan.json").get("apply_to", {})
    lines = [f"document {doc_id}"]
    first = f"[{stages[0].index:02d} {stages[0].id}]"
    q = _read_where(_files(stages[0].dir.path / "quarantine"), "id", [doc_id])
    if q is not None:
        return lines + [f"{first} quarantined: {q.column('reason')[0]}"]
    raw, n, shards = _entry(stages, doc_id)
    if not shards:
        raise InspectError(f"no document with id {doc_id!r} in {run_dir} (ids look like 'source/...'; "
                           f"`python -m pipeline inspect {run_dir} --stage 0 --kept` shows some)"
                           + _skipped_at_ingest(run_dir) + _damage_in_its_file(run_dir, stages, doc_id))
    lines.append(f"{first} kept")
    records = _ingest_records(stages, shards) if n > 1 else {}
    by_file = _by_file(shards, records) if n > 1 else {}
    if len(by_file) > 1:
        # files that each number their rows from 0: each document is followed in its own file
        lines.append(f"    {n} input documents have this id, in {len(by_file)} files; each is followed on its own")
        for path, its_shards in by_file.items():
            raw = _kept_where(stages[0].dir, "id", [doc_id], its_shards)
            more, last_row = _follow(run_dir, stages, apply_to, doc_id, its_shards,
                                     raw.to_pylist()[0] if raw is not None else None, scoped=True)
            lines += [f"  the one in {path}:"] + ["  " + line for line in more]
            if last_row is not None:
                lines.append("    last seen with: " + format_doc(last_row)[2:].replace("\n", "\n    "))
        return lines
    if n > 1:                  # a file read twice, or small files read together: the id names no one document
        lines.append(_SHARED_ID.format(n=n, where="small files read together (group_bytes)"
                                       if _read_together(records) else "a file read twice?"))
    more, last_row = _follow(run_dir, stages, apply_to, doc_id, shards, raw.to_pylist()[0] if raw is not None else None)
    lines += more
    if last_row is not None:
        lines.append("last seen with: " + format_doc(last_row)[2:])
    return lines
