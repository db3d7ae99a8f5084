"""(Runs in the peer env.) datatrove 0.10's four-stage MinHash dedup on JSONL documents.

Request: {"input_dir" (*.jsonl of {id, text}, one file per task), "work_dir", "workers",
"ngram", "num_buckets", "hashes_per_bucket"}. Answer: wall seconds per stage and in total
(the four executors only, not this interpreter's start-up or reading the answer back), the
removed ids, and for each the id of the document its cluster kept ("duplicate_of").

Stages: JsonlReader -> MinhashDedupSignature (English word tokenizer, datatrove's default) |
MinhashDedupBuckets | MinhashDedupCluster(save_cluster_id) | JsonlReader ->
MinhashDedupFilter(load_cluster_ids, exclusion_writer) -> JsonlWriter. The cluster ids on kept
and excluded documents are how a removed document is mapped to the one its cluster kept.
"""
import gzip
import json
import sys
import time
from pathlib import Path


def read_jsonl_gz(folder: Path) -> list[dict]:
    return [json.loads(line) for p in sorted(folder.glob("*.jsonl.gz")) for line in gzip.open(p, "rt")]


def main():
    req = json.loads(sys.stdin.read())
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter,
                                          MinhashDedupSignature)
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    work, inp = Path(req["work_dir"]), req["input_dir"]
    workers = req.get("workers", 2)
    # one task per input file: a document's (task, index) in stage 1 is the same in stage 4
    tasks = len(list(Path(inp).glob("*.jsonl")))
    cfg = MinhashConfig(n_grams=req.get("ngram", 5), num_buckets=req.get("num_buckets", 14),
                        hashes_per_bucket=req.get("hashes_per_bucket", 8))
    sigs, buckets, clusters, kept, removed = (work / d for d in ("sigs", "buckets", "clusters", "kept", "removed"))
    common = {"skip_completed": False, "start_method": "fork"}

    def reader():
        return JsonlReader(inp, glob_pattern="*.jsonl")

    stages = {
        "signature": ([reader(), MinhashDedupSignature(output_folder=str(sigs), config=cfg)], tasks, workers),
        "buckets": ([MinhashDedupBuckets(input_folder=str(sigs), output_folder=str(buckets), config=cfg)],
                    cfg.num_buckets, workers),
        "cluster": ([MinhashDedupCluster(input_folder=str(buckets), output_folder=str(clusters), config=cfg,
                                         save_cluster_id=True)], 1, 1),
        "filter": ([reader(), MinhashDedupFilter(input_folder=str(clusters), load_cluster_ids=True,
                                                 exclusion_writer=JsonlWriter(str(removed))),
                    JsonlWriter(str(kept))], tasks, workers),
    }
    seconds = {}
    for name, (pipeline, n_tasks, n_workers) in stages.items():
        t = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=n_tasks, workers=n_workers,
                              logging_dir=str(work / "logs" / name), **common).run()
        seconds[name] = time.perf_counter() - t
    seconds["total"] = sum(seconds.values())

    # every cluster keeps exactly one document (the union-find root), so cluster id -> kept id
    keeper = {d["metadata"]["minhash_cluster_id"]: d["id"] for d in read_jsonl_gz(kept)
              if d["metadata"].get("minhash_cluster_id", -1) != -1}
    gone = read_jsonl_gz(removed)
    print(json.dumps({"seconds": seconds, "removed": [d["id"] for d in gone],
                      "duplicate_of": [keeper.get(d["metadata"]["minhash_cluster_id"]) for d in gone]}))


if __name__ == "__main__":
    main()
