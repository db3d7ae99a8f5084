"""Executors: how a run's segments of work are spread over Ray.

The runner compiles a recipe into segments — a reader (input shards), a chain of fused map
stages, a writer (each stage's output and completion records) — and hands each to an
`Executor`. What a segment does to one shard is a plain function (`Segment.fn(shard, *args)`),
so an executor only decides where and how many of those calls run:

- `RayTasks` (default): plain Ray tasks, at most `tasks_per_cpu * CPUs` in flight
  (backpressure: results are consumed before more work is submitted). Its `TaskPool` also takes
  work while results come in, which lets ingest release a file's shards into the chain as soon
  as the file is read.
- `RayData`: the same segment as a Ray Data `map_batches` over the shard names, in a few
  dozen lines; Ray Data does the scheduling and backpressure.

Either way a task owns one shard end to end and writes its completion record last, which is what
keeps resuming exact and the output independent of the number of workers.

Resources: a stage declares `num_cpus` and `memory` (bytes) as ClassVars; a fused chain asks for
the largest of its stages' (`Resources.of`). Custom code (a stage or reader from the user's own
module) reaches the workers through Ray's `runtime_env` `py_modules`, uploaded by Ray, so nodes
need not share the driver's files or paths (`runtime_env_for`).
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
from abc import ABC, abstractmethod
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable, Iterator

import ray

from pipeline import storage

log = logging.getLogger("pipeline")


# A start of Ray begun by start_ray_soon, which start_ray finishes, and the cluster it joins.
_starting: Future | None = None
_starting_address: str | None = None


class _NotMainThread(logging.Filter):
    """Drops ray.init's warning that it set no SIGTERM handler off the main thread: start_ray_soon
    sets the same handler itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "SIGTERM handler is not set" not in record.getMessage()


class _AuthNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Token authentication is enabled for this Ray cluster")


def start_ray_soon(address: str | None = None, num_cpus: int | None = None) -> None:
    """Begin starting Ray in a background thread; `start_ray` then waits for it. Most of ray.init
    (2-5 s here) is waiting for Ray's own daemons to come up, so the driver's set-up (imports,
    listing inputs, the output check, the plan) runs meanwhile instead of before it."""
    global _starting, _starting_address
    if _starting is not None or ray.is_initialized():
        return
    _starting_address = address or os.environ.get("RAY_ADDRESS") or None
    # What ray.init does on the main thread only: SIGTERM exits through Python, so that atexit
    # handlers (ray.shutdown, the run's lease) still run.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(signum))
    logging.getLogger("ray._private.worker").addFilter(_NotMainThread())
    _starting = Future()

    def start(future: Future = _starting) -> None:
        try:
            future.set_result(_start_ray(address, num_cpus))
        except BaseException as e:  # noqa: BLE001 - handed to the caller of start_ray
            future.set_exception(e)
            return
        # Ray binds its daemons' lives to their parent with PR_SET_PDEATHSIG, and the parent that
        # counts is the thread that started them: this thread must outlive the run (it waits,
        # idle, and ends with the process, which takes the daemons with it as intended).
        threading.Event().wait()

    threading.Thread(target=start, name="start-ray", daemon=True).start()


def local_ray_starting() -> bool:
    """A start of Ray on this machine (no cluster to join), begun by `start_ray_soon`, is still
    under way: its daemons are coming up."""
    return _starting is not None and not _starting.done() and not _starting_address


def stop_ray_soon() -> threading.Thread:
    """Shut Ray down in a background thread (join it before exiting). ray.shutdown stops Ray's
    daemons one after the other, waiting for each: about a second that need not hold up work
    that no longer uses Ray, such as the report."""
    stopping = threading.Thread(target=_shutdown, name="stop-ray")
    stopping.start()
    return stopping


def _shutdown() -> None:
    # Ray stops the GCS before the autoscaler monitor, whose SIGTERM handler then reports to the
    # gone GCS until Ray kills it a second later (1.0 of ray.shutdown's 1.5 s here). A Ray this
    # process started has no autoscaling to wind down: its monitor is killed first, at once. A
    # driver that joined a cluster (not its head) owns no daemons and stops none.
    node = getattr(ray._private.worker, "_global_node", None)
    if node is not None and node.is_head():
        node.kill_monitor(check_alive=False)
    ray.shutdown()


def _check_reachable(address: str, timeout: float = 10.0) -> None:
    """A cluster address nothing answers at is one line, not minutes of Ray retrying the GCS
    (`host:port` or `ray://host:port`; `auto` and `local` are Ray's to resolve)."""
    from pipeline.recipe import RecipeError
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise RecipeError(f"Ray cluster address {address!r}: nothing answers there ({e.strerror or e}); "
                          f"start the head with `ray start --head` or check the address") from None


def start_ray(address: str | None = None, num_cpus: int | None = None) -> dict:
    """Start Ray in-process (no address) or join a cluster, or finish the start `start_ray_soon`
    began; returns the cluster's resources."""
    global _starting
    if _starting is not None:
        starting, _starting = _starting, None
        return starting.result()
    return _start_ray(address, num_cpus)


class RayStartFailed(RuntimeError):
    """Ray did not start (or the cluster could not be joined) for a reason of the machine, not of
    the recipe: Ray raises a bare Exception ("The current node timed out during startup" when its
    daemons come up too slowly on a loaded machine), a TimeoutError or a RuntimeError. The CLI says
    it in one line with what to do, instead of Ray's traceback."""


def _start_ray(address: str | None, num_cpus: int | None) -> dict:
    address = address or os.environ.get("RAY_ADDRESS") or None
    if ray.is_initialized():
        return ray.cluster_resources()
    kwargs: dict[str, Any] = dict(logging_level=logging.WARNING, log_to_driver=True)
    if address:
        _check_reachable(address)
        try:
            ray.init(address=address, **kwargs)
        except (ConnectionError, ray.exceptions.AuthenticationError) as e:
            from pipeline.recipe import RecipeError
            # Ray 2.60's `ray start --head` turns on token auth: a driver without it is refused
            raise RecipeError(f"Ray cluster at {address!r}: cannot join it ({' '.join(str(e).split())[:300]}); a "
                              f"cluster started with `ray start --head` needs RAY_AUTH_MODE=token in this process's "
                              f"environment, and its token (~/.ray/auth_token, or RAY_AUTH_TOKEN)") from None
        except Exception as e:
            _stop_half_started()
            raise RayStartFailed(f"Ray cluster at {address!r}: joining it failed ({_said(e)}); check that the "
                                 f"cluster is up and that --ray-address or RAY_ADDRESS names its head, then run "
                                 f"the command again") from e
    else:
        # Ray starts its workers at nice 15 (so its own daemons stay responsive); then any ordinary
        # process on the machine (another job, a CPU hog) takes nearly all the CPU from them: nice 0
        # weighs 1024 against nice 15's 36 in Linux's scheduler, and a busy machine slowed our run
        # 4.5x (datatrove's forked workers, at nice 0, 1.6x). Our workers are the job, so they run
        # at the driver's priority; RAY_worker_niceness in the environment still decides (#19).
        if "RAY_worker_niceness" not in os.environ:
            kwargs["_system_config"] = {"worker_niceness": 0}
        # Ray 2.60 turns token authentication on for a new local cluster (good) and logs a warning
        # saying so at every start: a line of noise before every run's own output.
        logging.getLogger("ray._private.authentication.authentication_token_setup").addFilter(_AuthNotice())
        try:
            ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False, **kwargs)
        except Exception as e:
            _stop_half_started()
            raise RayStartFailed(f"Ray did not start on this machine ({_said(e)}); most often the machine is too "
                                 f"busy for Ray's daemons to come up in time: run the command again (a run resumes "
                                 f"where it stopped) once the load is lower, or join a running cluster with "
                                 f"--ray-address or RAY_ADDRESS") from e
    return ray.cluster_resources()


def _said(e: BaseException) -> str:
    return f"{type(e).__name__}: {' '.join(str(e).split())[:300] or 'no message'}"


def _stop_half_started() -> None:
    """Stop what a failed ray.init started (daemons of a half-started node), so none outlive the error."""
    with contextlib.suppress(Exception):
        ray.shutdown()


def cluster_cpus() -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def check_fits(stages: Iterable[tuple[str, Any]]) -> None:
    """Refuse, before any task, a (stage id, stage) whose task asks for more CPUs or memory than
    any live node of the Ray cluster has: Ray would keep the task waiting forever (its autoscaler
    only logs "No available node types can fulfill resource request" every half minute, and for
    memory not even that)."""
    nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
    if not nodes:
        return
    from pipeline.recipe import RecipeError
    cpus = max(n.get("CPU", 0.0) for n in nodes)
    memory = max(n.get("memory", 0.0) for n in nodes)
    for sid, stage in stages:
        want = Resources.of([stage])
        if want.num_cpus > cpus:
            raise RecipeError(f"stage {sid!r} asks for {want.num_cpus:g} CPUs a task (num_cpus) and the largest "
                              f"node of this Ray cluster has {cpus:g}: its tasks would wait forever; lower "
                              f"num_cpus, or run it where a node has that many (ray: num_cpus sets a local Ray's)")
        if want.memory and want.memory > memory:
            raise RecipeError(f"stage {sid!r} asks for {want.memory / 2**30:,.1f} GiB a task (memory) and the "
                              f"largest node of this Ray cluster offers {memory / 2**30:,.1f} GiB to tasks: its "
                              f"tasks would wait forever; lower memory, or run it where a node has that much")


# -- what a task needs -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Resources:
    """CPUs and memory (bytes) one task asks Ray for; memory None = no reservation."""
    num_cpus: float = 1.0
    memory: int | None = None

    @classmethod
    def of(cls, stages: Iterable[Any]) -> "Resources":
        """The largest request of the given stages (a fused chain runs them in one task)."""
        stages = [s for s in stages if s is not None]
        cpus = max((float(getattr(s, "num_cpus", 1.0)) for s in stages), default=1.0)
        mems = [getattr(s, "memory", None) for s in stages]
        mems = [int(m) for m in mems if m]
        return cls(cpus, max(mems) if mems else None)

    def ray_options(self) -> dict:
        opts: dict[str, Any] = {"num_cpus": self.num_cpus}
        if self.memory:
            opts["memory"] = self.memory
        return opts


_PROJECT_PACKAGES = ("pipeline", "stages")


def _is_custom(module_name: str) -> bool:
    """A module the workers may not have: neither installed in site-packages, nor the project's own
    packages (installed on every node), nor the standard library."""
    top = module_name.split(".")[0]
    if top in _PROJECT_PACKAGES or top in sys.stdlib_module_names or top == "__main__":
        return False
    mod = sys.modules.get(top)
    path = getattr(mod, "__file__", None) or ""
    return bool(path) and "site-packages" not in path and "dist-packages" not in path


def runtime_env_for(objects: Iterable[Any]) -> dict | None:
    """A runtime_env shipping the user's own modules that define these stages/readers, or None."""
    modules = {}
    for obj in objects:
        if obj is None:
            continue
        for klass in type(obj).__mro__:
            name = klass.__module__
            if _is_custom(name):
                top = name.split(".")[0]
                modules[top] = sys.modules[top]
    if not modules:
        return None
    paths = []
    for k in sorted(modules):
        mod = modules[k]
        # A package ships its folder; a single-file module ships its .py file.
        paths.append(mod.__path__[0] if hasattr(mod, "__path__") else mod.__file__)
    return {"py_modules": paths}


def upload_runtime_env(env: dict | None) -> dict | None:
    """Upload the runtime_env's local `py_modules` to the cluster (Ray's own packaging, as
    `ray.init(runtime_env=...)` does for a job) so tasks can name them by URI: Ray accepts local
    paths only at job level, and Ray may already be running when a recipe is loaded."""
    if not env or not env.get("py_modules"):
        return env
    from ray._private.runtime_env.py_modules import upload_py_modules_if_needed
    scratch = ray._private.worker.global_worker.node.get_runtime_env_dir_path()
    return upload_py_modules_if_needed(dict(env), include_gitignore=True, scratch_dir=scratch, logger=log)


# Ray runs a task again when its worker dies (not when it raises): 1 + this many attempts.
_RETRIES = 2


@ray.remote(max_retries=_RETRIES)
def _call(fn: Callable, args: tuple, kwargs: dict) -> Any:
    return fn(*args, **kwargs)


@ray.remote(max_retries=_RETRIES)
def _call_streaming(fn: Callable, args: tuple, kwargs: dict):
    # A generator task: each item reaches the driver as soon as it is yielded (Ray's
    # streaming generators), e.g. every shard of a file while the file is still being read.
    yield from fn(*args, **kwargs)


class WorkerLost(RuntimeError):
    """A task whose worker process (or node) died under it on every attempt: the kernel's OOM
    killer, Ray's memory monitor, a crash in native code, a node gone. The CLI says it in one line
    naming the work, instead of Ray's traceback that names neither the input nor what to do."""


class TaskFailed(RuntimeError):
    """A task's own code raised: which part of it (`part`, e.g. a stage of a fused chain), the
    exception in one line, and the traceback of where it was raised (the task's frames, not
    Ray's wrapper around them). The pool adds what the task was doing (`what`: the shard and the
    input file it came from), so the CLI says in one line where the run stopped, then shows the
    frames that name the line to fix (a custom stage's own code, most often)."""

    def __init__(self, part: str, error: str, trace: str = "", what: str = ""):
        super().__init__(part, error, trace, what)
        self.part, self.error, self.trace, self.what = part, error, trace, what

    @classmethod
    def of(cls, part: str, e: BaseException) -> "TaskFailed":
        import traceback
        # from the part's call inward: not raised_in's frame nor the wrapper's that holds it
        frames = traceback.extract_tb(e.__traceback__)[2:]
        return cls(part, f"{type(e).__name__}: {' '.join(str(e).split())[:1000]}",
                   "".join(traceback.format_list(frames)).rstrip())

    def within(self, what: str) -> "TaskFailed":
        return TaskFailed(self.part, self.error, self.trace, what)

    def __str__(self) -> str:
        return f"{self.what + ': ' if self.what else ''}{self.part} raised {self.error}"


@contextlib.contextmanager
def raised_in(part: str):
    """Around a stage's own code in a task (a chain's stage, a global stage's phase function): an
    exception from it becomes TaskFailed naming `part`, with its frames. Exceptions of the project
    itself (a StageError, a damaged file, the input unreadable) are one-line messages already and
    pass as they are, and so does storage failing under the task (the CLI's own line)."""
    try:
        yield
    except Exception as e:
        if type(e).__module__.split(".")[0] in ("pipeline", "stages") or storage.failure_line(e) is not None:
            raise
        raise TaskFailed.of(part, e) from e


_LOST = (ray.exceptions.WorkerCrashedError, ray.exceptions.OutOfMemoryError, ray.exceptions.NodeDiedError,
         ray.exceptions.LocalRayletDiedError, ray.exceptions.ObjectLostError)


def worker_lost(what: str, e: BaseException) -> WorkerLost:
    if isinstance(e, ray.exceptions.OutOfMemoryError):
        why = "Ray's memory monitor killed its worker (the node's memory was nearly full)"
    elif isinstance(e, (ray.exceptions.NodeDiedError, ray.exceptions.LocalRayletDiedError)):
        why = "the node running it died"
    elif isinstance(e, ray.exceptions.ObjectLostError):
        why = "its result was lost with the process that held it"
    else:
        why = ("its worker process died (killed by the kernel's OOM killer or a signal, or a crash in native "
               "code: `dmesg` and Ray's python-core-worker-*.log say which)")
    return WorkerLost(f"{what}: {why}, on each of its {1 + _RETRIES} attempts; the work recorded so far is kept, "
                      f"and running the same command again resumes from it")


class TaskPool:
    """Ray tasks with at most `max_in_flight` running; jobs may be added while results come in
    (a finished ingest task releases the shard tasks that follow it, so stages overlap instead
    of waiting at a barrier).

    A job submitted with `streaming=True` is a generator: each item it yields is a result of its
    own, delivered while the job still runs. Jobs submitted with `first=True` go before the
    others still queued (work released by a finished piece runs before new pieces start, which
    keeps what waits on storage small).

    Waits are batched: one blocking wait for the next result, then one non-blocking wait that
    collects everything else already finished. A task that raises cancels every task still in
    flight (and drops the queue) before the run stops with that error."""

    def __init__(self, max_in_flight: int, runtime_env: dict | None = None):
        self.max_in_flight = max_in_flight
        self.runtime_env = runtime_env
        self.queue: deque[tuple[Any, Any, tuple, dict, Resources, bool, str]] = deque()
        self.pending: dict[Any, tuple[Any, str]] = {}    # task -> (tag, what it does: WorkerLost's words)
        self._fn_refs: dict[int, Any] = {}

    def submit(self, tag: Any, fn: Callable, /, *args, resources: Resources = Resources(),
               streaming: bool = False, first: bool = False, what: str | None = None, **kwargs) -> None:
        """`what`: the work in a user's words ("reading FILE"), should the task's worker die."""
        ref = self._fn_refs.get(id(fn))
        if ref is None:
            ref = self._fn_refs[id(fn)] = ray.put(fn)
        job = (tag, ref, args, kwargs, resources, streaming, what or f"a task of {getattr(fn, '__name__', fn)}")
        self.queue.appendleft(job) if first else self.queue.append(job)

    def _fill(self) -> None:
        while self.queue and len(self.pending) < self.max_in_flight:
            tag, ref, args, kwargs, res, streaming, what = self.queue.popleft()
            opts = res.ray_options()
            if self.runtime_env:
                opts["runtime_env"] = self.runtime_env
            if streaming:
                task = _call_streaming.options(num_returns="streaming", **opts).remote(ref, args, kwargs)
            else:
                task = _call.options(**opts).remote(ref, args, kwargs)
            self.pending[task] = (tag, what)

    def cancel(self) -> None:
        # The run stops with the error that led here; what the tasks stopped now (or already
        # failed, unread) return is that failure again or its cancellation. Ray would print each as
        # an "Unhandled error" traceback when its reference goes, after the run's one-line error.
        os.environ["RAY_IGNORE_UNHANDLED_ERRORS"] = "1"
        self.queue.clear()
        for ref in list(self.pending):
            try:
                ray.cancel(ref, force=True)
            except Exception:   # already finished or gone: nothing left to stop
                pass
        self.pending.clear()

    def results(self) -> Iterator[tuple[Any, Any]]:
        while True:
            self._fill()
            if not self.pending:
                return
            refs = list(self.pending)
            ready, rest = ray.wait(refs, num_returns=1)
            if rest:
                more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
                ready += more
            for r in ready:
                tag, what = self.pending[r]
                try:
                    if isinstance(r, ray.ObjectRefGenerator):
                        try:
                            value = ray.get(next(r))     # ready: the next item is there, or the end
                        except StopIteration:
                            del self.pending[r]
                            continue
                    else:
                        del self.pending[r]
                        value = ray.get(r)
                except _LOST as e:
                    self.cancel()
                    raise worker_lost(what, e) from None
                except BaseException as e:
                    self.cancel()
                    cause = getattr(e, "cause", None) or e     # (Ray's wrapper holds the task's error)
                    if isinstance(cause, TaskFailed):
                        raise cause.within(what) from None
                    raise
                yield tag, value


def run_tasks(fn: Callable, jobs: Iterable[tuple], max_in_flight: int,
              num_cpus: float = 1, kwargs: dict | None = None,
              runtime_env: dict | None = None, what: str | None = None) -> Iterator[tuple[int, Any]]:
    """Run fn(*job) for each job as a Ray task; yield (job index, result) as they finish. `what`:
    the work in a user's words, numbered per task in a failure's message."""
    pool = TaskPool(max_in_flight, runtime_env)
    jobs = list(jobs)
    for i, job in enumerate(jobs):
        pool.submit(i, fn, *job, resources=Resources(num_cpus), **(kwargs or {}),
                    what=None if what is None else f"{what} (task {i + 1} of {len(jobs)})")
    yield from pool.results()


# -- segments and executors ------------------------------------------------------------------------
@dataclass
class Segment:
    """One unit of a run's plan: `fn(shard, *args)` for every shard (read the shard, run the fused
    chain on it, write the outputs and completion records) with these resources."""
    name: str
    shards: list[str]
    fn: Callable
    args: tuple = ()
    resources: Resources = field(default_factory=Resources)
    runtime_env: dict | None = None


class Executor(ABC):
    """Runs segments; yields (shard, fn's result) as shards finish, in any order."""
    name: ClassVar[str] = ""

    def __init__(self, max_in_flight: int):
        self.max_in_flight = max_in_flight

    @abstractmethod
    def run(self, segment: Segment) -> Iterator[tuple[str, Any]]:
        ...

    def pool(self, runtime_env: dict | None = None) -> TaskPool:
        """A streaming pool for work released while other work runs (ingest -> chain)."""
        return TaskPool(self.max_in_flight, runtime_env)

    streams_ingest: ClassVar[bool] = True   # can shards enter the chain while files are still read?


class RayTasks(Executor):
    name = "tasks"

    def run(self, segment: Segment) -> Iterator[tuple[str, Any]]:
        pool = TaskPool(self.max_in_flight, segment.runtime_env)
        for s in segment.shards:
            pool.submit(s, segment.fn, s, *segment.args, resources=segment.resources,
                        what=f"{segment.name} on shard {s}")
        yield from pool.results()


class RayData(Executor):
    """The same segments as Ray Data `map_batches` over the shard names (one shard per call)."""
    name = "ray_data"
    streams_ingest = False

    def run(self, segment: Segment) -> Iterator[tuple[str, Any]]:
        import pickle

        import numpy as np
        import ray.data

        if not segment.shards:
            return
        fn, args = segment.fn, segment.args

        def body(batch: dict) -> dict:
            out = [pickle.dumps(fn(str(s), *args)) for s in batch["shard"]]
            return {"shard": batch["shard"], "result": np.array(out, dtype=object)}

        opts = segment.resources.ray_options()
        if segment.runtime_env:
            opts["runtime_env"] = segment.runtime_env
        ds = ray.data.from_items([{"shard": s} for s in segment.shards], override_num_blocks=len(segment.shards))
        ds = ds.map_batches(body, batch_size=1, concurrency=self.max_in_flight, **opts)
        for row in ds.iter_rows():
            yield str(row["shard"]), pickle.loads(row["result"])


EXECUTORS: dict[str, type[Executor]] = {RayTasks.name: RayTasks, RayData.name: RayData}


def make_executor(name: str, max_in_flight: int) -> Executor:
    try:
        return EXECUTORS[name](max_in_flight)
    except KeyError:
        raise ValueError(f"unknown executor {name!r}; known: {', '.join(sorted(EXECUTORS))}") from None
