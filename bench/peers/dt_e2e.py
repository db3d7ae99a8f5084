"""(Runs in the peer env.) datatrove 0.10's end-to-end pipeline on WARC files, FineWeb-style.

Request: {"warc_dir", "work_dir", "tokenizer" (tokenizer.json), "lid_model" (lid.176 .ftz/.bin),
"workers", "ngram", "num_buckets", "hashes_per_bucket"}. Answer: wall seconds of the four
executors together, the documents after each step (from datatrove's own stats), and the tokens
written.

Steps: WarcReader -> Trafilatura -> LanguageFilter(en) -> GopherQuality -> GopherRepetition ->
C4Quality -> FineWebQuality -> JsonlWriter -> MinhashDedupSignature | MinhashDedupBuckets |
MinhashDedupCluster | JsonlReader -> MinhashDedupFilter -> DocumentTokenizer. The language model
is put where datatrove's downloader looks first (its asset cache under HF_HOME, with the
".completed" marker), so nothing is downloaded. The model's URL is pointed at the local file:
resolving the https URL needs fsspec's HTTP filesystem (requests, aiohttp), which the peer env
does not install.
"""
import json
import os
import shutil
import sys
import time
from pathlib import Path


def install_lid_model(model: str, hf_home: Path) -> None:
    """Place lid.176 where datatrove.io.cached_asset_path_or_download finds it as already done."""
    folder = hf_home / "assets" / "datatrove" / "lid" / "ft176"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / str(Path(model).resolve()).replace("/", "_")
    if not target.exists():
        shutil.copyfile(model, target)
    Path(f"{target}.completed").touch()


def step_counts(logging_dir: Path) -> list[dict]:
    """[{name, in, out}] per pipeline step from the executor's merged stats.json."""
    stats = json.loads((logging_dir / "stats.json").read_text())
    out = []
    for step in stats:
        s = step.get("stats", {})
        total = s.get("total", 0)
        forwarded = s.get("forwarded", total - s.get("dropped", 0))
        out.append({"name": step.get("name", "?"), "in": total, "out": forwarded, "stats": s})
    return out


def main():
    req = json.loads(sys.stdin.read())
    work = Path(req["work_dir"])
    hf_home = work / "hf"
    install_lid_model(req["lid_model"], hf_home)
    os.environ["HF_HOME"] = str(hf_home)           # read by huggingface_hub at import time
    os.environ["HF_HUB_OFFLINE"] = "1"

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter,
                                          MinhashDedupSignature)
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                            GopherRepetitionFilter, LanguageFilter)
    from datatrove.pipeline.readers import JsonlReader, WarcReader
    from datatrove.pipeline.tokens import DocumentTokenizer
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.lid import FT176LID
    FT176LID.MODEL_URL = str(Path(req["lid_model"]).resolve())   # workers are forked: they see it too

    workers = req.get("workers", 2)
    tasks = len(list(Path(req["warc_dir"]).glob("*.warc.gz")))
    cfg = MinhashConfig(n_grams=req.get("ngram", 5), num_buckets=req.get("num_buckets", 14),
                        hashes_per_bucket=req.get("hashes_per_bucket", 8))
    filtered, sigs, buckets, clusters = (work / d for d in ("filtered", "sigs", "buckets", "clusters"))
    logs = {k: work / "logs" / k for k in ("filter", "buckets", "cluster", "tokenize")}
    # fork (not the default forkserver): workers inherit the local model URL set above
    common = {"skip_completed": False, "start_method": "fork"}

    t = time.perf_counter()
    LocalPipelineExecutor(pipeline=[
        WarcReader(req["warc_dir"], glob_pattern="*.warc.gz"),
        Trafilatura(favour_precision=True, deduplicate=False, timeout=10.0),
        LanguageFilter(languages=["en"], language_threshold=0.65),
        GopherQualityFilter(),
        GopherRepetitionFilter(),
        C4QualityFilter(),
        FineWebQualityFilter(),
        JsonlWriter(str(filtered)),
        MinhashDedupSignature(output_folder=str(sigs), config=cfg),
    ], tasks=tasks, workers=workers, logging_dir=str(logs["filter"]), **common).run()
    LocalPipelineExecutor(pipeline=[MinhashDedupBuckets(input_folder=str(sigs), output_folder=str(buckets),
                                                        config=cfg)],
                          tasks=cfg.num_buckets, workers=workers, logging_dir=str(logs["buckets"]), **common).run()
    LocalPipelineExecutor(pipeline=[MinhashDedupCluster(input_folder=str(buckets), output_folder=str(clusters),
                                                        config=cfg)],
                          tasks=1, workers=1, logging_dir=str(logs["cluster"]), **common).run()
    LocalPipelineExecutor(pipeline=[
        JsonlReader(str(filtered)),
        MinhashDedupFilter(input_folder=str(clusters)),
        DocumentTokenizer(output_folder=str(work / "tokens"), tokenizer_name_or_path=req["tokenizer"],
                          eos_token="<|endoftext|>", local_working_dir=str(work / "tok-tmp")),
    ], tasks=tasks, workers=workers, logging_dir=str(logs["tokenize"]), **common).run()
    seconds = time.perf_counter() - t

    filt, tok = step_counts(logs["filter"]), step_counts(logs["tokenize"])
    tokens = sum(s["stats"].get("tokens", {}).get("total", 0) if isinstance(s["stats"].get("tokens"), dict)
                 else s["stats"].get("tokens", 0) for s in tok if "token" in s["name"].lower())
    print(json.dumps({"seconds": seconds, "filter_steps": filt, "tokenize_steps": tok, "tokens": tokens}))


if __name__ == "__main__":
    main()
