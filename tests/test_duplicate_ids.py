"""Repeated ingest ids: counted on the driver when few, partitioned over tasks when many."""
import random

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.duplicate_ids import count_duplicate_ids
from pipeline.executor import make_executor


def _ingest_dir(tmp_path, files: int = 6, per_file: int = 3000, seed: int = 1):
    rng = random.Random(seed)
    ids_dir = tmp_path / "ingest" / "ids"
    ids_dir.mkdir(parents=True)
    pool = [f"web/{i:08d}" for i in range(files * per_file)]
    seen, repeats = set(), 0
    for f in range(files):
        ids = rng.sample(pool, per_file)            # files overlap: the same page in two crawls
        repeats += sum(i in seen for i in ids)
        seen.update(ids)
        pq.write_table(pa.table({"id": ids}), ids_dir / f"{f:05d}.parquet")
    return tmp_path / "ingest", repeats


def test_driver_count_equals_the_true_number_of_repeats(tmp_path):
    ingest, repeats = _ingest_dir(tmp_path)
    assert repeats > 1000
    assert count_duplicate_ids(ingest) == repeats


def test_partitioned_count_over_tasks_matches_and_cleans_up(tmp_path, ray_local):
    ingest, repeats = _ingest_dir(tmp_path)
    executor = make_executor("tasks", 4)
    # 18,000 ids over a bound of 2,500: 8 partitions, each counted by its own task
    assert count_duplicate_ids(ingest, executor, driver_ids=2_500) == repeats
    assert not (ingest / "scratch" / "duplicate_ids").exists()
