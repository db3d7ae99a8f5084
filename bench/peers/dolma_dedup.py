"""(Runs in the Dolma env, .bench/dolma.) Dolma 1.2's Rust exact document dedup (bloom filter).

Request {"documents": glob of *.jsonl.gz with {id, text}, "work_dir", "processes", "docs"}.
Answer: wall seconds of `dolma dedupe` (its own process, started inside the timing) and the ids
it marks as duplicates (a document whose text the bloom filter has already seen: the first copy
in file order stays). Bloom filter sized for `docs` documents at a 1e-8 false-positive rate.
"""
import gzip
import json
import subprocess
import sys
import time
from pathlib import Path


def main():
    req = json.loads(sys.stdin.read())
    work = Path(req["work_dir"])
    dolma = Path(sys.executable).with_name("dolma")
    cmd = [str(dolma), "dedupe", "--documents", req["documents"], "--dedupe.name", "exact",
           "--dedupe.documents.key", "$.text", "--dedupe.documents.attribute_name", "bff_duplicate",
           "--dedupe.skip_empty", "--bloom_filter.file", str(work / "bloom.bin"), "--no-bloom_filter.read_only",
           "--bloom_filter.estimated_doc_count", str(req["docs"]),
           "--bloom_filter.desired_false_positive_rate", "1e-8", "--processes", str(req.get("processes", 2))]
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"dolma dedupe failed:\n{r.stderr[-3000:]}")
    dups = []
    docs_dir = Path(req["documents"]).parent
    for p in sorted((docs_dir.parent / "attributes" / "exact").glob("*.jsonl.gz")):
        for line in gzip.open(p, "rt"):
            a = json.loads(line)
            if a["attributes"].get("bff_duplicate"):
                dups.append(a["id"])
    print(json.dumps({"seconds": seconds, "duplicates": dups}))


if __name__ == "__main__":
    main()
