"""One run per output: a lease on the run folder, and checks that the output is a safe place.

A run writes `RUN/_LEASE.json` (host, pid, a token, start time, heartbeat) before any work and
refreshes the heartbeat every few seconds from a background thread; it removes the lease when it
stops. A second run into the same output finds a live lease and is refused with one line. A lease
is stale (taken over, with a message saying whose it was) when its process is gone (same host) or
its heartbeat is older than `STALE_SECONDS` (another host: a crashed node, a killed job).

A new lease is created only where none is (a hard link locally; a conditional PUT, `If-None-Match: *`,
on S3; a generation match on GCS), so of two runs starting together one gets it and the other is
refused. Taking over a stale lease overwrites it: each run doing so re-reads the record after
writing, and only the run whose token is there goes on (so does a store that ignores conditional
writes).

Before any work the output is also checked: a non-empty folder that is not a run (no `plan.json`)
is refused (a typo'd `--output` must not overwrite someone's files), and so is an output that a
source's input could reach (a folder input read recursively, a glob whose parts match the output's
path or that holds `**`), or one that holds input files: the next run would read its own output.
An output beside the inputs a glob names (`data/*.warc.gz`, output `data/run`) is fine.
"""
from __future__ import annotations

import fnmatch
import json
import logging
import os
import socket
import threading
import time
import uuid

from pipeline import storage
from pipeline.readers import is_glob, static_prefix
from pipeline.recipe import RecipeError

log = logging.getLogger("pipeline")
LEASE = "_LEASE.json"
HEARTBEAT_SECONDS = 5.0
STALE_SECONDS = 60.0


class OutputBusy(RecipeError):
    """Another live run holds the output's lease."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(rec: dict, now: float) -> str | None:
    """Why a lease record no longer holds (None: it is live)."""
    if rec.get("host") == socket.gethostname() and not _pid_alive(int(rec.get("pid", -1))):
        return f"process {rec.get('pid')} on {rec.get('host')} is gone"
    age = now - float(rec.get("heartbeat", 0))
    if age > STALE_SECONDS:
        return f"no heartbeat for {age:.0f} s"
    return None


class Lease:
    def __init__(self, run_dir):
        self.path = storage.path(run_dir) / LEASE
        self.token = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.record: dict = {}
        self.lost: str | None = None            # why this run no longer holds the lease (the heartbeat saw)

    def check(self, now: float | None = None) -> tuple[dict, str] | None:
        """Raise OutputBusy if a live run holds the lease; else (the stale record, why it is stale)
        or None when there is none. Reading only: the CLI asks before it starts Ray, so that a
        refused run stops at once and its error is the last line it prints."""
        if not self.path.exists():
            return None
        try:
            other = storage.read_json(self.path)
        except (ValueError, OSError):
            other = {}
        why = _stale(other, time.time() if now is None else now) if other else "unreadable lease"
        if why is None:
            raise OutputBusy(f"{storage.url(self.path.parent)}: another run is writing this output "
                             f"(host {other.get('host')}, pid {other.get('pid')}, since {other.get('started')}); "
                             f"wait for it or choose another output")
        return other, why

    def acquire(self) -> "Lease":
        now = time.time()
        stale = self.check(now)
        if stale is not None:
            other, why = stale
            log.warning("taking over a stale lease on %s (%s: host %s, pid %s)", storage.url(self.path.parent),
                        why, other.get("host"), other.get("pid"))
        self.record = {"host": socket.gethostname(), "pid": os.getpid(), "token": self.token,
                       "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)), "heartbeat": now}
        taken = f"{storage.url(self.path.parent)}: another run took this output's lease just now"
        if stale is None:
            # No lease: created only if still absent, so of two runs that both found none, one gets
            # it (a write then a read back let both win when they started 0.3 s apart on S3).
            if not storage.create_file(self.path, json.dumps(self.record, sort_keys=True, indent=1).encode()):
                raise OutputBusy(taken)
        else:
            storage.write_json_atomic(self.record, self.path)
        # A takeover overwrites, and so does a store that ignores conditional writes: let a racing
        # writer land, then see who won.
        time.sleep(0.05)
        if storage.read_json(self.path).get("token") != self.token:
            raise OutputBusy(taken)
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                try:
                    current = storage.read_json(self.path)
                except FileNotFoundError:
                    # Removed by hand (or by a cleanup), taken by no run: this run still writes
                    # here, so it holds the output again; without a record a second run would start.
                    log.warning("%s: the output's lease record was removed while this run held it; written "
                                "again", storage.url(self.path.parent))
                    current = self.record
                if current.get("token") != self.token:
                    self.lost = (f"{storage.url(self.path.parent)}: this run lost the output's lease to another "
                                 f"run (host {current.get('host')}, pid {current.get('pid')}): stopped, so that "
                                 f"two runs do not write one output")
                    log.error("%s", self.lost)
                    return
                storage.write_json_atomic({**self.record, "heartbeat": time.time()}, self.path)
            except Exception as e:          # a missed beat is retried; staleness needs many
                log.warning("lease heartbeat failed: %s", e)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=HEARTBEAT_SECONDS + 5)
        try:
            if storage.read_json(self.path).get("token") == self.token:
                storage.remove_file(self.path)
        except Exception as e:  # noqa: BLE001 - storage gone too: the lease goes stale, a rerun takes it over
            if not isinstance(e, (FileNotFoundError, ValueError)):
                log.warning("lease not released (%s: %s): the next run takes it over once it is stale",
                            type(e).__name__, e)

    def held(self) -> None:
        """Raise OutputBusy when another run has taken the lease (the runner asks between its
        segments of work and before it writes stats: a run that lost its output stops)."""
        if self.lost is not None:
            raise OutputBusy(self.lost)

    def __enter__(self) -> "Lease":
        return self.acquire()

    def __exit__(self, exc_type, *exc) -> None:
        self.release()
        if exc_type is None:
            self.held()


def _reaches(pattern: str, out) -> bool:
    """Could input `pattern` name `out` or a file in it? A path without wildcards is a file, or a
    folder read recursively; a glob names paths as many parts below its folder as it has parts
    there (`*` stops at '/'), or any depth with `**`."""
    base = static_prefix(pattern)     # a folder input is read recursively; inside a file, nothing
    if not base or not storage.is_within(out, base):
        return False
    if not is_glob(pattern) or "**" in pattern:
        return True
    parts = pattern[len(base):].strip("/").split("/")
    below = str(storage.path(out)).rstrip("/")[len(str(storage.path(base)).rstrip("/")):].strip("/")
    below_parts = below.split("/") if below else []
    # The output's parts below the folder each match the pattern's part at that depth.
    return len(parts) >= len(below_parts) and all(map(fnmatch.fnmatchcase, below_parts, parts))


def check_output(run_dir, recipe, files: dict[str, list[str]]) -> None:
    """Refuse, before any work, an output that is not a run but holds files, or that overlaps a
    source's input."""
    out = storage.path(run_dir)
    where = f"{recipe.path}: output {storage.url(out)!r}"
    # fsspec's memory:// is one process's memory: Ray's workers would each write to their own and
    # read nothing, and the run would blame its inputs ("no records at all").
    # An export there would vanish with the driver: the run would say "exported" and leave nothing.
    places = ([("output", storage.url(out))] + [(f"source {s.name!r}", p) for s in recipe.sources for p in s.paths]
              + ([("export.to", recipe.export.to)] if recipe.export is not None else []))
    for what, place in places:
        if place.startswith("memory://"):
            raise RecipeError(f"{recipe.path}: {what} {place!r} is in memory://, one process's memory that "
                              f"Ray's worker processes cannot see and that is gone when the command ends; use a "
                              f"local path, s3:// or gs://")
    if not storage.is_local(out) and (problem := storage.bucket_problem(out.fs, out.path.split("/", 1)[0])):
        raise RecipeError(f"{where}: {problem}")      # a run would fail at its first write, after Ray and the plan
    exported = storage.path(recipe.export.to) if recipe.export is not None else None
    for src in recipe.sources:
        for pattern in src.paths:
            if _reaches(pattern, out):
                raise RecipeError(f"{where} is inside the input of source {src.name!r} ({pattern!r}); "
                                  f"the next run would read it back as input")
            if exported is not None and _reaches(pattern, exported):
                raise RecipeError(f"{recipe.path}: export.to {recipe.export.to!r} is inside the input of source "
                                  f"{src.name!r} ({pattern!r}); the next run would read the export back as input")
        for f in files.get(src.name, []):
            if storage.is_within(f, out):
                raise RecipeError(f"{where} holds input file {f!r} of source {src.name!r}")
    if recipe.export is not None:
        from pipeline.export import ExportError, check_config
        try:
            check_config(recipe.export)        # refused after the whole run, before
        except ExportError as e:
            raise RecipeError(f"{recipe.path}: {e}") from None
    if storage.is_file(out):
        raise RecipeError(f"{where} is a file, not a folder; name a folder (new, empty, or an earlier run)")
    if not storage.is_empty_dir(out) and not (out / "plan.json").exists() and not (out / LEASE).exists():
        raise RecipeError(f"{where} is not empty and is not a tokenmill run (no plan.json); "
                          f"choose an empty or new output")
