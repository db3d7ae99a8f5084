"""Custom stages written the way a user would, to prove the Python API end to end."""
import time
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from pipeline import Filter, Stage, register
from pipeline.stage import Judgement


class CharCount(Stage):
    """Adds `n_chars`; optionally sleeps per shard so a test can kill a run mid-way."""
    sleep_seconds: float = 0.0

    def process(self, batch: pa.Table) -> pa.Table:
        if self.sleep_seconds:
            time.sleep(self.sleep_seconds)
        col = batch.column("text") if "text" in batch.column_names else batch.column("html")
        n = pc.utf8_length(col)
        if "n_chars" in batch.column_names:
            return batch.set_column(batch.column_names.index("n_chars"), "n_chars", n)
        return batch.append_column("n_chars", n)


@register("test_drop_short")
class DropShort(Filter):
    min_chars: int = 100

    def judge(self, batch: pa.Table) -> Judgement:
        n = batch.column("n_chars").to_pylist()
        return Judgement([None if (x or 0) >= self.min_chars else "too_short" for x in n],
                         {"long_enough": [(x or 0) >= self.min_chars for x in n]})


class BrokenModel(Stage):
    """Cannot load its model: the run must stop with that error, not produce empty output."""

    def setup(self) -> None:
        raise RuntimeError("model file missing: /nonexistent/model.bin")

    def process(self, batch):
        return batch


class NodeTag(Stage):
    """Records which Ray node processed each shard (to prove a cluster really shares the work)."""
    sleep_seconds: float = 0.3

    def process(self, batch: pa.Table) -> pa.Table:
        import ray
        time.sleep(self.sleep_seconds)
        node = ray.get_runtime_context().get_node_id()
        return batch.append_column("node", pa.array([node] * batch.num_rows, pa.string()))


class TwoCpus(Stage):
    """Declares that one task needs two CPUs; records what Ray assigned the task that ran it."""
    num_cpus: ClassVar[float] = 2.0

    def process(self, batch: pa.Table) -> pa.Table:
        import ray
        cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 0.0)
        return batch.append_column("task_cpus", pa.array([float(cpus)] * batch.num_rows, pa.float64()))


class Greedy(TwoCpus):
    """Asks for more CPUs a task than a test machine has."""
    num_cpus: ClassVar[float] = 4096.0


class Hungry(TwoCpus):
    """Asks for more memory a task than a test machine has (1 PiB)."""
    num_cpus: ClassVar[float] = 1.0
    memory: ClassVar[int | None] = 1 << 50


from pipeline.readers import Doc, Reader  # noqa: E402  (the reader below, written as a user would)


class WaitsForChain(Reader):
    """Lines of a text file as documents; after the first one it waits until a file matching
    `wait_glob` exists (the chain's output for the first shard), so the file can only be read
    to its end if its first shard was processed while it was still being read."""
    wait_glob: str
    timeout: float = 60.0

    def read(self, path, src, state):
        import glob
        for i, line in enumerate(open(path, encoding="utf-8")):
            if i == 1:
                deadline = time.time() + self.timeout
                while not glob.glob(self.wait_glob):
                    if time.time() > deadline:
                        raise RuntimeError(f"no chain output for the first shard of {path} while it was read")
                    time.sleep(0.05)
            yield Doc(id=f"line-{i}", text=line.strip())


class DiesOnceMidFile(Reader):
    """Lines of a text file as documents; the first time, after `die_after` documents (once
    their shards have gone to the chain), the worker process dies as a killed worker would.
    `marker` records that it died, so Ray's retry of the task reads the file to its end."""
    marker: str
    die_after: int = 3

    def read(self, path, src, state):
        import os
        for i, line in enumerate(open(path, encoding="utf-8")):
            if i == self.die_after and not os.path.exists(self.marker):
                time.sleep(1.0)              # the shards already yielded reach the chain first
                open(self.marker, "w").close()
                os._exit(1)
            yield Doc(id=f"line-{i}", text=line.strip())


def _burn_cpu(seconds: float) -> None:
    while time.process_time() < seconds:
        pass


class BusyChild(Stage):
    """Has a forked child burn `cpu_seconds` of CPU per shard while this process only waits."""
    cpu_seconds: float = 0.3

    def process(self, batch: pa.Table) -> pa.Table:
        import multiprocessing
        child = multiprocessing.get_context("fork").Process(target=_burn_cpu, args=(self.cpu_seconds,))
        child.start()
        child.join()
        return batch


class KillsItsWorker(Stage):
    """Kills the process running it, as the kernel's OOM killer would (a run must say so in a line)."""

    def process(self, batch: pa.Table) -> pa.Table:
        import os
        import signal
        os.kill(os.getpid(), signal.SIGKILL)
        return batch


class RaisesOnAWord(Stage):
    """A custom stage with a bug: raises on the first batch holding `word`."""
    word: str = "the"

    def process(self, batch: pa.Table) -> pa.Table:
        if any(self.word in t for t in batch.column("text").to_pylist()):
            raise KeyError(f"no entry for {self.word!r}")
        return batch


class ReturnsADict(Stage):
    """A custom stage that returns columns as a dict instead of a table."""

    def process(self, batch: pa.Table):
        return {"text": batch.column("text").to_pylist()}


def _count_words_with_a_bug(path: str) -> int:
    from pipeline.shards import read_shard
    texts = read_shard(path, columns=["text"]).column("text").to_pylist()
    return sum(len(t.split()) for t in texts) // {}["no such key"]     # the bug


from pipeline.stage import GlobalStage  # noqa: E402


class GlobalWithABug(GlobalStage):
    """A custom global stage whose phase function raises in its Ray tasks."""

    def run(self, ctx) -> None:
        ctx.map(_count_words_with_a_bug, [(ctx.input_path(s),) for s in ctx.input_shards], phase="count")
